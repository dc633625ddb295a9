"""Export of a unit's member records as XLSX or CSV, watermarked and audited.

* Only records officers of the unit (`members.manage`) export: the file holds individual records.
  The sensitive fields are columns like the others, chosen explicitly, and only for them.
* Every export writes a `members.exported` audit event (unit, format, count, the columns, which of
  them are sensitive, the file's SHA-256) in the same transaction that reads the records.
* Watermark: who exported and when, on the first line (a `#` comment line of the CSV; the first
  row, the printed page header and the document properties of the workbook).
* The columns carry the import's target labels and values it reads back (choices as their
  labels, dates as dates), so an export re-imports with the mapping the import guesses
  (`importing.guess_mapping`): the watermark line is skipped as a comment.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.audit import services as audit
from secretariat.core import clock
from secretariat.core.errors import PermissionDenied, ValidationFailed
from secretariat.orgs.models import Unit

from . import importing, sealing
from .choices import MEMBER_STATUSES, EventKind, Status
from .models import Member, MemberEvent
from .selectors_members import members_of_unit


class Format(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


CONTENT_TYPES = {
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Format.CSV: "text/csv; charset=utf-8",
}
STATUS = "status"
FORMULA_STARTS = ("=", "+", "@")
# The current records of a unit: candidates and Party members.
CURRENT_STATUSES = (Status.UNRECORDED, Status.CANDIDATE, *MEMBER_STATUSES)
DEFAULT_FIELDS = (
    importing.UNIT_CODE,
    "full_name",
    "gender",
    "birth_date",
    "ethnicity",
    "religion",
    "party_record_number",
    "card_number",
    importing.ADMITTED_ON,
    importing.OFFICIAL_ON,
    STATUS,
)


def field_choices() -> list[tuple[str, str, bool]]:
    """(name, label, sensitive) of every exportable column."""
    names = [name for name, _label in importing.targets()]
    result = [
        (name, importing.target_label(name), name in sealing.SENSITIVE_FIELDS) for name in names
    ]
    result.append((STATUS, str(Member._meta.get_field("status").verbose_name), False))
    return result


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    content_type: str
    filename: str
    count: int


def watermark(*, actor: Any, unit: Unit, count: int, when: dt.datetime) -> str:
    local = timezone.localtime(when)
    return _(
        "CONFIDENTIAL — exported by %(name)s (%(username)s) on %(when)s: %(count)d record(s) of "
        "%(unit)s. Personal data: keep it safe, do not pass it on."
    ) % {
        "name": getattr(actor, "full_name", "") or actor.username,
        "username": actor.username,
        "when": local.strftime("%d/%m/%Y %H:%M"),
        "count": count,
        "unit": unit.display_name,
    }


def _decisions(members: list[Member]) -> dict[tuple[Any, str], str]:
    """(member id, "admission" | "official") → the decision number of the latest such event."""
    kinds: dict[str, str] = {
        EventKind.ADMISSION: "admission",
        EventKind.READMISSION: "admission",
        EventKind.OFFICIAL: "official",
    }
    found: dict[tuple[Any, str], str] = {}
    rows = (
        MemberEvent.objects.filter(member__in=[m.pk for m in members], kind__in=list(kinds))
        .order_by("effective_on", "sequence")
        .values_list("member_id", "kind", "decision_number")
    )
    for member_id, kind, number in rows:
        found[(member_id, kinds[kind])] = number
    return found


def _value(member: Member, name: str, decisions: dict[tuple[Any, str], str]) -> Any:
    if name == importing.UNIT_CODE:
        return member.unit.code
    if name == importing.ADMITTED_ON:
        return member.admitted_on
    if name == importing.OFFICIAL_ON:
        return member.official_on
    if name == importing.ADMISSION_DECISION:
        return decisions.get((member.pk, "admission"), "")
    if name == importing.OFFICIAL_DECISION:
        return decisions.get((member.pk, "official"), "")
    if name == STATUS:
        return member.get_status_display()
    if name in sealing.SENSITIVE_FIELDS:
        return sealing.read_sensitive_field(member, name)
    model_field = Member._meta.get_field(name)
    if getattr(model_field, "choices", None):
        value = getattr(member, name)
        return getattr(member, f"get_{name}_display")() if value else ""
    return getattr(member, name)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        # A spreadsheet would run it as a formula; the import removes the quote again.
        return "'" + value
    return value


def _csv(headers: list[str], rows: list[list[Any]], mark: str) -> bytes:
    out = io.StringIO()
    out.write(f"# {mark}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    # A byte-order mark so that spreadsheets open the UTF-8 text as UTF-8.
    return out.getvalue().encode("utf-8-sig")


def _xlsx(
    headers: list[str],
    rows: list[list[Any]],
    mark: str,
    *,
    actor: Any,
    unit: Unit,
    when: dt.datetime,
) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = (unit.code or "members")[:31]
    sheet.append([f"# {mark}"])
    sheet["A1"].font = Font(bold=True, color="B00000")
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            # Text is text: a value that starts with "=" must not become a formula.
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    for column in sheet.iter_cols(min_row=3):
        for cell in column:
            if isinstance(cell.value, dt.date):
                cell.number_format = "DD/MM/YYYY"
    for index, header in enumerate(headers, start=1):
        letter = sheet.cell(row=2, column=index).column_letter
        sheet.column_dimensions[letter].width = max(12, min(40, len(header) + 2))
    sheet.freeze_panes = "A3"
    # Printed pages carry the watermark too.
    sheet.oddHeader.center.text = mark
    sheet.oddFooter.center.text = "&P / &N"
    properties = workbook.properties
    properties.creator = actor.username
    properties.lastModifiedBy = actor.username
    properties.title = _("Party members of %(unit)s") % {"unit": unit.display_name}
    properties.subject = unit.code
    properties.description = mark
    properties.keywords = "secretariat; members; confidential"
    properties.created = timezone.make_naive(when, dt.UTC)
    properties.modified = properties.created
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@transaction.atomic(durable=True)
def export_members(
    *,
    actor: Any,
    unit: Unit,
    fields: Sequence[str],
    fmt: str,
    include_former: bool = False,
) -> ExportFile:
    """The records of `unit` and the units below it (current members and candidates; with
    `include_former`, everyone ever recorded there) with the `fields` chosen, as XLSX or CSV,
    watermarked and audited."""
    if not policy.can(actor, Action.MEMBERS_MANAGE, unit):
        raise PermissionDenied(_("You do not have permission to do this here."))
    known = {name for name, _label, _sensitive in field_choices()}
    chosen = [name for name in dict.fromkeys(fields) if name in known]
    if not chosen or len(chosen) != len(set(fields)):
        message = _("Choose the columns to export.")
        raise ValidationFailed(message, field_errors={"columns": [message]})
    try:
        fmt = Format(fmt)
    except ValueError as exc:
        raise ValidationFailed(_("Choose XLSX or CSV.")) from exc
    statuses = None if include_former else tuple(CURRENT_STATUSES)
    members = list(
        members_of_unit(user=actor, unit=unit, statuses=statuses).order_by(
            "unit__path", "full_name", "birth_date"
        )
    )
    decisions = (
        _decisions(members)
        if {importing.ADMISSION_DECISION, importing.OFFICIAL_DECISION} & set(chosen)
        else {}
    )
    labels = {name: label for name, label, _sensitive in field_choices()}
    headers = [labels[name] for name in chosen]
    rows = [[_value(member, name, decisions) for name in chosen] for member in members]
    when = clock.now()
    mark = watermark(actor=actor, unit=unit, count=len(members), when=when)
    if fmt is Format.CSV:
        content = _csv(headers, rows, mark)
    else:
        content = _xlsx(headers, rows, mark, actor=actor, unit=unit, when=when)
    sensitive = sorted(n for n in chosen if n in sealing.SENSITIVE_FIELDS)
    audit.record(
        actor=actor,
        action="members.exported",
        unit=unit,
        data={
            "unit": unit.code,
            "format": fmt.value,
            "count": len(members),
            "fields": chosen,
            "sensitive_fields": sensitive,
            "include_former": include_former,
            "sha256": hashlib.sha256(content).hexdigest(),
        },
    )
    stamp = timezone.localtime(when).strftime("%Y%m%d-%H%M")
    filename = f"members-{slugify(unit.code) or 'unit'}-{stamp}.{fmt.value}"
    return ExportFile(
        content=content, content_type=CONTENT_TYPES[fmt], filename=filename, count=len(members)
    )


__all__ = ["DEFAULT_FIELDS", "ExportFile", "Format", "export_members", "field_choices"]
