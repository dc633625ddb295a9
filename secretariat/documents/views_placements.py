"""Where the visible signature goes on each type of document (signing.placements), set by the
node's signing administrators. The page lives here because it lists the document types of the
catalogue, which the signing app (a lower layer) does not know."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from secretariat.core import errors
from secretariat.signing import pki, placements
from secretariat.signing.models import StampKind

from .models import DocumentType


class PlacementForm(forms.Form):
    document_type = forms.ChoiceField(label=gettext_lazy("Document type"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Signature"), choices=StampKind.choices)
    page = forms.IntegerField(
        label=gettext_lazy("Page"),
        initial=-1,
        help_text=gettext_lazy("From 1; from the end with -1 (the last page)."),
    )
    x = forms.FloatField(label=gettext_lazy("From the left (points)"), initial=330)
    y = forms.FloatField(label=gettext_lazy("From the bottom (points)"), initial=60)
    width = forms.FloatField(label=gettext_lazy("Width (points)"), initial=220)
    height = forms.FloatField(label=gettext_lazy("Height (points)"), initial=90)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["document_type"].choices = [  # type: ignore[attr-defined]
            ("", _("Every type without its own placement")),
            *DocumentType.objects.order_by("ordering", "name").values_list("code", "name"),
        ]


def _require(request: HttpRequest) -> None:
    if not pki.node_wide(request.user):
        raise DjangoPermissionDenied(_("Only the node's signing administrators may do this."))


@login_required
@require_http_methods(["GET", "POST"])
def stamp_placements(request: HttpRequest) -> HttpResponse:
    _require(request)
    form = PlacementForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                placements.placement_set(
                    actor=request.user,
                    document_type=data["document_type"] or "",
                    kind=data["kind"],
                    page=data["page"],
                    box=(data["x"], data["y"], data["width"], data["height"]),
                )
            except errors.PermissionDenied as exc:
                raise DjangoPermissionDenied(str(exc.message)) from exc
            except errors.DomainError as exc:
                for field, problems in exc.field_errors.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, str(problem))
                if not exc.field_errors:
                    form.add_error(None, str(exc.message))
                status = exc.status
            else:
                messages.success(request, _("The placement was saved."))
                return redirect("documents:stamp_placements")
        else:
            status = 400
    names = dict(DocumentType.objects.values_list("code", "name"))
    rows = [(p, names.get(p.document_type, p.document_type)) for p in placements.placements()]
    return render(
        request, "documents/stamp_placements.html", {"form": form, "rows": rows}, status=status
    )


@login_required
@require_POST
def stamp_placement_delete(request: HttpRequest, placement_id: UUID) -> HttpResponse:
    _require(request)
    try:
        placements.placement_delete(actor=request.user, placement_id=placement_id)
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc
    messages.success(request, _("The placement was removed: the default applies."))
    return redirect("documents:stamp_placements")


urlpatterns: list[URLPattern] = [
    path("stamps/", stamp_placements, name="stamp_placements"),
    path(
        "stamps/<uuid:placement_id>/delete/", stamp_placement_delete, name="stamp_placement_delete"
    ),
]
