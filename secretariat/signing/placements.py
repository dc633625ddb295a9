"""Where the visible signature goes, per document type (`StampPlacement`): set by the node's
signing administrators, read by `appearance.placement_for` when a document is signed."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from secretariat.audit.services import record
from secretariat.core.errors import NotFound, ValidationFailed

from .models import StampKind, StampPlacement
from .pki import require_node_wide

# An A4 page is 595 × 842 points; A3 landscape is 1191 wide. Anything beyond is a typing error.
MAX_POINTS = 1200.0


def placements() -> QuerySet[StampPlacement]:
    return StampPlacement.objects.order_by("document_type", "kind")


def _check(*, kind: str, page: int, box: tuple[float, float, float, float]) -> None:
    errors: dict[str, list[Any]] = {}
    if kind not in StampKind.values:
        errors["kind"] = [_("Choose a personal signature or the organization seal.")]
    if page == 0 or abs(page) > 999:
        errors["page"] = [_("Give a page number from 1, or from the end: -1 is the last page.")]
    x, y, width, height = box
    if min(x, y) < 0 or max(x + width, y + height) > MAX_POINTS:
        errors["x"] = [_("The box must lie on the page (0 to 1200 points).")]
    if width < 40 or height < 20:
        errors["width"] = [_("The box is too small: at least 40 × 20 points.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], field_errors=errors)


def placement_set(
    *,
    actor: Any,
    document_type: str,
    kind: str,
    page: int,
    box: tuple[float, float, float, float],
) -> StampPlacement:
    """Set the box of `kind` for `document_type` ("" = every type without its own)."""
    require_node_wide(actor)
    _check(kind=kind, page=page, box=box)
    x, y, width, height = box
    with transaction.atomic(durable=True):
        placement, created = StampPlacement.objects.update_or_create(
            document_type=document_type,
            kind=kind,
            defaults={"page": page, "x": x, "y": y, "width": width, "height": height},
        )
        record(
            actor=actor,
            action="signing.placement_set",
            obj=placement,
            data={
                "document_type": document_type or "*",
                "kind": kind,
                "page": page,
                "box": [x, y, width, height],
                "created": created,
            },
        )
    return placement


def placement_delete(*, actor: Any, placement_id: Any) -> None:
    require_node_wide(actor)
    with transaction.atomic(durable=True):
        placement = StampPlacement.objects.filter(pk=placement_id).first()
        if placement is None:
            raise NotFound(_("No such placement."))
        record(
            actor=actor,
            action="signing.placement_deleted",
            obj=placement,
            data={"document_type": placement.document_type or "*", "kind": placement.kind},
        )
        placement.delete()
