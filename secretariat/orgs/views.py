"""Pages of the organization tree. Thin: parse a form, call a service or selector, render.

A unit outside the user's scope is a 404 (its existence is not revealed); a write the user may not
do is a 403; input the services refuse comes back inline on the form with status 400.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from secretariat.core import errors

from . import access, io, selectors, services
from .errors import ImportFailed
from .forms import DissolveForm, ImportForm, MergeForm, MoveForm, UnitEditForm, UnitForm
from .models import Unit


def _unit_or_404(request: HttpRequest, code: str) -> Unit:
    try:
        return selectors.unit_get(user=request.user, code=code)
    except errors.NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _choices(units: list[Unit]) -> list[tuple[str, str]]:
    return [(u.code, f"{'— ' * (u.depth - 1)}{u.display_name} ({u.code})") for u in units]


def _move_choices(request: HttpRequest, unit: Unit) -> list[tuple[str, str]]:
    parent = services.parent_of(unit)
    candidates = selectors.units_manageable_by(user=request.user).filter(active=True)
    candidates = candidates.exclude(path__startswith=unit.path)
    if parent is not None:
        candidates = candidates.exclude(pk=parent.pk)
    return _choices(list(candidates))


def _merge_choices(request: HttpRequest, unit: Unit) -> list[tuple[str, str]]:
    candidates = selectors.units_manageable_by(user=request.user).filter(active=True)
    return _choices(list(candidates.exclude(path__startswith=unit.path)))


def _render_unit(
    request: HttpRequest, unit: Unit, status: int = 200, **bound: forms.Form
) -> HttpResponse:
    manager = access.can_manage(request.user, unit)
    context: dict[str, Any] = {
        "unit": unit,
        "parent": services.parent_of(unit),
        "children": selectors.unit_children(user=request.user, unit=unit),
        "history": selectors.unit_history(user=request.user, unit=unit),
        "can_manage": manager,
    }
    if manager:
        context["child_form"] = bound.get("child_form") or UnitForm(prefix="child")
        context["edit_form"] = bound.get("edit_form") or UnitEditForm(
            prefix="edit",
            initial={
                f: getattr(unit, f)
                for f in ("name", "name_fr", "name_en", "kind", "code", "abbreviation")
            }
            | {"valid_from": unit.valid_from, "valid_to": unit.valid_to},
        )
        context["move_form"] = bound.get("move_form") or MoveForm(
            prefix="move", parents=_move_choices(request, unit)
        )
        context["merge_form"] = bound.get("merge_form") or MergeForm(
            prefix="merge", targets=_merge_choices(request, unit)
        )
        context["dissolve_form"] = bound.get("dissolve_form") or DissolveForm(prefix="dissolve")
    return render(request, "orgs/unit.html", context, status=status)


def _show_errors(form: forms.Form, exc: errors.ValidationFailed, mapping: dict[str, str]) -> None:
    """Put a service's field errors on the form's fields (the rest on the form itself)."""
    for field, messages_ in exc.field_errors.items():
        target = mapping.get(field, field)
        for message in messages_:
            form.add_error(target if target in form.fields else None, str(message))
    if not exc.field_errors:
        form.add_error(None, str(exc.message))


def _unit_action(
    request: HttpRequest,
    code: str,
    *,
    form_name: str,
    build: Callable[[Unit], forms.Form],
    act: Callable[[Unit, dict[str, Any]], Unit],
    success: str,
    mapping: dict[str, str] | None = None,
) -> HttpResponse:
    """The common shape of every write on a unit page: 404 outside the scope, 403 for a
    non-manager, the service's refusal shown on the form (400), a message and a redirect."""
    unit = _unit_or_404(request, code)
    if not access.can_manage(request.user, unit):
        raise DjangoPermissionDenied
    form = build(unit)
    if form.is_valid():
        try:
            result = act(unit, form.cleaned_data)
        except errors.PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc.message)) from exc
        except errors.ValidationFailed as exc:
            _show_errors(form, exc, mapping or {})
        except errors.DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, success % {"code": result.code, "name": result.name})
            return redirect("orgs:unit", code=result.code)
    return _render_unit(request, Unit.objects.get(pk=unit.pk), status=400, **{form_name: form})


@login_required
@require_GET
def tree(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "orgs/tree.html",
        {
            "roots": selectors.unit_tree(user=request.user),
            "can_import": access.can_manage_somewhere(request.user),
        },
    )


@login_required
@require_GET
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    return _render_unit(request, _unit_or_404(request, code))


@login_required
@require_POST
def unit_add_child(request: HttpRequest, code: str) -> HttpResponse:
    def act(parent: Unit, data: dict[str, Any]) -> Unit:
        return services.unit_create(actor=request.user, parent=parent, **data)

    return _unit_action(
        request,
        code,
        form_name="child_form",
        build=lambda unit: UnitForm(request.POST, prefix="child"),
        act=act,
        success=_("The unit %(name)s (%(code)s) was created."),
        mapping={"parent": "__all__"},
    )


@login_required
@require_POST
def unit_edit(request: HttpRequest, code: str) -> HttpResponse:
    def act(unit: Unit, data: dict[str, Any]) -> Unit:
        return services.unit_update(actor=request.user, unit=unit, **data)

    return _unit_action(
        request,
        code,
        form_name="edit_form",
        build=lambda unit: UnitEditForm(request.POST, prefix="edit"),
        act=act,
        success=_("The unit %(name)s (%(code)s) was saved."),
    )


@login_required
@require_POST
def unit_move(request: HttpRequest, code: str) -> HttpResponse:
    def act(unit: Unit, data: dict[str, Any]) -> Unit:
        new_parent = selectors.unit_get(user=request.user, code=data["new_parent"])
        return services.unit_move(actor=request.user, unit=unit, new_parent=new_parent)

    return _unit_action(
        request,
        code,
        form_name="move_form",
        build=lambda unit: MoveForm(
            request.POST, prefix="move", parents=_move_choices(request, unit)
        ),
        act=act,
        success=_("The unit %(name)s (%(code)s) was moved."),
    )


@login_required
@require_POST
def unit_merge(request: HttpRequest, code: str) -> HttpResponse:
    def act(unit: Unit, data: dict[str, Any]) -> Unit:
        target = selectors.unit_get(user=request.user, code=data["target"])
        services.unit_merge(
            actor=request.user, source=unit, target=target, effective_on=data["effective_on"]
        )
        return Unit.objects.get(pk=unit.pk)

    return _unit_action(
        request,
        code,
        form_name="merge_form",
        build=lambda unit: MergeForm(
            request.POST, prefix="merge", targets=_merge_choices(request, unit)
        ),
        act=act,
        success=_("The unit %(name)s (%(code)s) was merged."),
        mapping={"source": "__all__"},
    )


@login_required
@require_POST
def unit_dissolve(request: HttpRequest, code: str) -> HttpResponse:
    def act(unit: Unit, data: dict[str, Any]) -> Unit:
        return services.unit_dissolve(actor=request.user, unit=unit, **data)

    return _unit_action(
        request,
        code,
        form_name="dissolve_form",
        build=lambda unit: DissolveForm(request.POST, prefix="dissolve"),
        act=act,
        success=_("The unit %(name)s (%(code)s) was dissolved."),
        mapping={"unit": "__all__"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_units(request: HttpRequest) -> HttpResponse:
    if not access.can_manage_somewhere(request.user):
        raise DjangoPermissionDenied
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = io.tree_import(
                    actor=request.user,
                    content=upload.read(io.MAX_IMPORT_BYTES + 1),
                    fmt=form.cleaned_data["fmt"],
                    filename=upload.name or "upload",
                )
            except ImportFailed as exc:
                form.add_error(None, str(exc.message))
                problems = [str(p) for p in exc.problems]
            except errors.DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(
                    request,
                    _(
                        "Imported: %(created)d created, %(updated)d updated, %(unchanged)d unchanged."
                    )
                    % {
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                    },
                )
                return redirect("orgs:tree")
        status = 400
    else:
        form = ImportForm()
    return render(
        request,
        "orgs/import.html",
        {"form": form, "problems": problems, "columns": io.COLUMNS},
        status=status,
    )


@login_required
@require_GET
def export_units(request: HttpRequest) -> HttpResponse:
    fmt = request.GET.get("fmt")
    if fmt not in {f.value for f in io.Format}:
        return render(request, "orgs/export.html", {"formats": list(io.Format)})
    content, content_type, filename = io.export_download(user=request.user, fmt=fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
