"""The rules page: quorum and majority rules per meeting type for a unit and its subtree.

`/meetings/rules/?unit=<id>` shows, for each meeting type, the rules a meeting of that unit
created now would copy, and where they come from (the unit's own, an ancestor's, the defaults);
someone with `meetings.organize` on the unit sets them (POST to the same page) or clears the
unit's own (`rules/clear/`: back to inheritance). Units outside the user's scope answer 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from secretariat.core import errors
from secretariat.orgs.models import Unit

from . import selectors
from .models import Base, MeetingKind, Threshold
from .rules_defaults import FIELDS
from .services import rulesets as services

# The quorum is never counted against the members present themselves (the service refuses it).
QUORUM_BASES = [(value, label) for value, label in Base.choices if value != Base.PRESENT]


class RuleSetForm(forms.Form):
    unit = forms.UUIDField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(choices=MeetingKind.choices, widget=forms.HiddenInput)
    quorum_base = forms.ChoiceField(label=gettext_lazy("Quorum counted against"))
    quorum_threshold = forms.ChoiceField(
        label=gettext_lazy("Quorum needs"), choices=Threshold.choices
    )
    resolution_base = forms.ChoiceField(
        label=gettext_lazy("Resolutions counted against"), choices=Base.choices
    )
    resolution_threshold = forms.ChoiceField(
        label=gettext_lazy("Resolutions need"), choices=Threshold.choices
    )
    election_base = forms.ChoiceField(
        label=gettext_lazy("Elections counted against"), choices=Base.choices
    )
    election_threshold = forms.ChoiceField(
        label=gettext_lazy("Elections need"), choices=Threshold.choices
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quorum_base"].choices = QUORUM_BASES  # type: ignore[attr-defined]


class ClearForm(forms.Form):
    unit = forms.UUIDField()
    kind = forms.ChoiceField(choices=MeetingKind.choices)


def _units(request: HttpRequest) -> QuerySet[Unit]:
    units = selectors.organizer_units(user=request.user)
    if not units.exists():
        raise DjangoPermissionDenied
    return units


def _unit(units: QuerySet[Unit], pk: Any) -> Unit:
    unit = units.filter(pk=pk).first() if pk else None
    if unit is None:
        # Outside the user's scope, or no such unit: nothing says which.
        raise Http404(_("No such unit, or its rules are not yours to set."))
    return unit


def _render(
    request: HttpRequest,
    units: QuerySet[Unit],
    unit: Unit,
    *,
    bound: RuleSetForm | None = None,
    status: int = 200,
) -> HttpResponse:
    rows = []
    for effective in services.effective_rules(unit=unit):
        if bound is not None and bound.data.get("kind") == effective.kind:
            form = bound
        else:
            form = RuleSetForm(
                initial={"unit": unit.pk, "kind": effective.kind, **effective.rules._asdict()},
                auto_id=f"id_{effective.kind}_%s",
            )
        rows.append(
            {
                "kind": effective.kind,
                "label": MeetingKind(effective.kind).label,
                "rules": [
                    (
                        Base(getattr(effective.rules, f"{part}_base")).label,
                        Threshold(getattr(effective.rules, f"{part}_threshold")).label,
                    )
                    for part in ("quorum", "resolution", "election")
                ],
                "own": effective.own is not None,
                "source": effective.source,
                "form": form,
            }
        )
    return render(
        request,
        "meetings/rules.html",
        {
            "unit": unit,
            "units": [(u, "— " * (u.depth - 1)) for u in units],
            "rows": rows,
            "fields": FIELDS,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def rules_page(request: HttpRequest) -> HttpResponse:
    units = _units(request)
    if request.method == "GET":
        pk = request.GET.get("unit")
        if not pk:
            first = units.first()
            assert first is not None
            return _render(request, units, first)
        try:
            parsed = uuid.UUID(pk)
        except ValueError as exc:
            raise Http404(_("No such unit, or its rules are not yours to set.")) from exc
        return _render(request, units, _unit(units, parsed))
    form = RuleSetForm(request.POST, auto_id=f"id_{request.POST.get('kind', '')}_%s")
    if not form.is_valid():
        unit_pk = form.cleaned_data.get("unit")
        if unit_pk is None:
            raise Http404(_("No such unit, or its rules are not yours to set."))
        return _render(request, units, _unit(units, unit_pk), bound=form, status=400)
    data = form.cleaned_data
    unit = _unit(units, data["unit"])
    try:
        services.ruleset_set(
            actor=request.user,
            unit=unit,
            kind=data["kind"],
            **{name: data[name] for name in FIELDS},
        )
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except errors.DomainError as exc:
        for field, problems in exc.field_errors.items():
            for problem in problems:
                form.add_error(field if field in form.fields else None, str(problem))
        if not exc.field_errors:
            form.add_error(None, str(exc.message))
        return _render(request, units, unit, bound=form, status=400)
    messages.success(
        request,
        _("Rules saved. Meetings created from now on copy them; existing meetings keep theirs."),
    )
    return redirect(f"{reverse('meetings:rules')}?unit={unit.pk}")


@login_required
@require_POST
def rules_clear(request: HttpRequest) -> HttpResponse:
    units = _units(request)
    form = ClearForm(request.POST)
    if not form.is_valid():
        if form.cleaned_data.get("unit") is None:
            raise Http404(_("No such unit, or its rules are not yours to set."))
        unit = _unit(units, form.cleaned_data["unit"])
        messages.error(request, _("Choose a meeting type."))
        return _render(request, units, unit, status=400)
    unit = _unit(units, form.cleaned_data["unit"])
    try:
        services.ruleset_clear(actor=request.user, unit=unit, kind=form.cleaned_data["kind"])
    except errors.PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except errors.DomainError as exc:
        messages.error(request, str(exc.message))
        return _render(request, units, unit, status=400)
    messages.success(
        request,
        _("The unit's own rules are removed: it follows the rules above it again."),
    )
    return redirect(f"{reverse('meetings:rules')}?unit={unit.pk}")
