"""Organization tree endpoints, mounted at `/api/v1/orgs`.

Units are addressed by their electronic code. A unit outside the caller's scope answers 404 (its
existence is not revealed); a unit in scope that the caller may not manage answers 403 on writes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from secretariat.core import clock
from secretariat.core.errors import NotFound, PermissionDenied, ValidationFailed

from . import access, io, selectors, services
from .models import Unit

router = Router(tags=["organization"])


class UnitOut(Schema):
    code: str
    name: str
    name_fr: str
    name_en: str
    display_name: str
    kind: str
    abbreviation: str
    parent_code: str | None
    depth: int
    active: bool
    valid_from: dt.date | None
    valid_to: dt.date | None
    merged_into_code: str | None


class UnitEventOut(Schema):
    kind: str
    effective_on: dt.date
    recorded_at: dt.datetime
    details: dict[str, Any]


class UnitDetailOut(UnitOut):
    children: list[str]
    history: list[UnitEventOut]


class UnitCreateIn(Schema):
    parent_code: str | None = None
    name: str
    kind: str
    code: str
    abbreviation: str
    name_fr: str = ""
    name_en: str = ""
    valid_from: dt.date | None = None


class UnitPatchIn(Schema):
    name: str | None = None
    name_fr: str | None = None
    name_en: str | None = None
    kind: str | None = None
    code: str | None = None
    abbreviation: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


class MoveIn(Schema):
    new_parent_code: str


class MergeIn(Schema):
    target_code: str
    effective_on: dt.date | None = None


class DissolveIn(Schema):
    reason: str
    effective_on: dt.date | None = None


class ImportOut(Schema):
    created: int
    updated: int
    unchanged: int


def _unit_out(unit: Unit, parent_code: str | None) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name": unit.name,
        "name_fr": unit.name_fr,
        "name_en": unit.name_en,
        "display_name": unit.display_name,
        "kind": unit.kind,
        "abbreviation": unit.abbreviation,
        "parent_code": parent_code,
        "depth": unit.depth,
        "active": unit.active,
        "valid_from": unit.valid_from,
        "valid_to": unit.valid_to,
        "merged_into_code": unit.merged_into.code if unit.merged_into else None,
    }


def _detail(user: Any, unit: Unit) -> dict[str, Any]:
    parent = services.parent_of(unit)
    return {
        **_unit_out(unit, parent.code if parent else None),
        "children": [c.code for c in selectors.unit_children(user=user, unit=unit)],
        "history": [
            {
                "kind": e.kind,
                "effective_on": e.effective_on,
                "recorded_at": e.created_at,
                "details": e.details,
            }
            for e in selectors.unit_history(user=user, unit=unit)
        ],
    }


def _referenced(user: Any, code: str, field: str) -> Unit:
    """A unit named in a request body: unknown or out of scope is a field error, alike."""
    try:
        return selectors.unit_get(user=user, code=code)
    except NotFound as exc:
        raise ValidationFailed(exc.message, field_errors={field: [exc.message]}) from exc


def _require_manager(user: Any) -> None:
    """Refuse callers who manage no unit at all before reading what their request names: they
    learn nothing about the units a body refers to, and get 403 rather than a field error."""
    if not access.can_manage_somewhere(user):
        raise PermissionDenied(_("You do not have permission to do this here."))


@router.get("/units", response=list[UnitOut], summary="The units visible to the caller")
def list_units(request: HttpRequest) -> list[dict[str, Any]]:
    units = list(selectors.units_visible_to(user=request.user))
    parents = selectors.parent_codes(units)
    return [_unit_out(u, parents[u.path]) for u in units]


@router.get("/units/{code}", response=UnitDetailOut, summary="A unit with its history")
def get_unit(request: HttpRequest, code: str) -> dict[str, Any]:
    return _detail(request.user, selectors.unit_get(user=request.user, code=code))


@router.post("/units", response={201: UnitDetailOut}, summary="Create a unit")
def create_unit(request: HttpRequest, payload: UnitCreateIn) -> Status[dict[str, Any]]:
    _require_manager(request.user)
    parent = (
        _referenced(request.user, payload.parent_code, "parent_code")
        if payload.parent_code
        else None
    )
    unit = services.unit_create(
        actor=request.user,
        parent=parent,
        name=payload.name,
        kind=payload.kind,
        code=payload.code,
        abbreviation=payload.abbreviation,
        name_fr=payload.name_fr,
        name_en=payload.name_en,
        valid_from=payload.valid_from,
    )
    return Status(201, _detail(request.user, unit))


@router.patch("/units/{code}", response=UnitDetailOut, summary="Change a unit's fields")
def update_unit(request: HttpRequest, code: str, payload: UnitPatchIn) -> dict[str, Any]:
    unit = selectors.unit_get(user=request.user, code=code)
    given = payload.model_dump(exclude_unset=True)
    for text_field in ("name", "name_fr", "name_en", "kind", "code", "abbreviation"):
        if text_field in given and given[text_field] is None:
            # Only dates may be cleared with null; a null text would silently mean "empty".
            raise ValidationFailed(
                _("The request is not valid."), field_errors={text_field: [_("Must not be null.")]}
            )
    unit = services.unit_update(actor=request.user, unit=unit, **given)
    return _detail(request.user, unit)


@router.post("/units/{code}/move", response=UnitDetailOut, summary="Move a unit and its subtree")
def move_unit(request: HttpRequest, code: str, payload: MoveIn) -> dict[str, Any]:
    unit = selectors.unit_get(user=request.user, code=code)
    access.require_manage(request.user, unit)
    new_parent = _referenced(request.user, payload.new_parent_code, "new_parent_code")
    unit = services.unit_move(actor=request.user, unit=unit, new_parent=new_parent)
    return _detail(request.user, unit)


@router.post("/units/{code}/merge", response=UnitDetailOut, summary="Merge a unit into another")
def merge_unit(request: HttpRequest, code: str, payload: MergeIn) -> dict[str, Any]:
    source = selectors.unit_get(user=request.user, code=code)
    access.require_manage(request.user, source)
    target = _referenced(request.user, payload.target_code, "target_code")
    services.unit_merge(
        actor=request.user,
        source=source,
        target=target,
        effective_on=payload.effective_on or clock.today(),
    )
    return _detail(request.user, Unit.objects.get(pk=source.pk))


@router.post("/units/{code}/dissolve", response=UnitDetailOut, summary="Dissolve a unit")
def dissolve_unit(request: HttpRequest, code: str, payload: DissolveIn) -> dict[str, Any]:
    unit = selectors.unit_get(user=request.user, code=code)
    unit = services.unit_dissolve(
        actor=request.user,
        unit=unit,
        effective_on=payload.effective_on or clock.today(),
        reason=payload.reason,
    )
    return _detail(request.user, unit)


@router.get("/export", summary="The caller's units as CSV or JSON")
def export_units(request: HttpRequest, fmt: io.Format = io.Format.CSV) -> HttpResponse:
    content, content_type, filename = io.export_download(user=request.user, fmt=fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.post("/import", response=ImportOut, summary="Import units from CSV or JSON, all or nothing")
def import_units(
    request: HttpRequest, file: File[UploadedFile], fmt: Form[str] = ""
) -> dict[str, int]:
    _require_manager(request.user)
    result = io.tree_import(
        actor=request.user,
        content=file.read(io.MAX_IMPORT_BYTES + 1),
        fmt=fmt,
        filename=file.name or "upload",
    )
    return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
