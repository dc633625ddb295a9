"""The statutory report as an XLSX workbook (openpyxl): one sheet per table, the BC21 list on
its own sheet when the exporter may see it. The watermark — who exported it and when — is the
first line of every sheet, the printed page header, and the document properties (creator,
description, keywords)."""

from __future__ import annotations

import io
import unicodedata
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from .reports import Report


def _nfc(text: Any) -> str:
    return unicodedata.normalize("NFC", str(text))


def render_xlsx(report: Report, *, watermark: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    from .reports import CODES_NOTE

    mark = _nfc(watermark)
    workbook = Workbook()
    workbook.remove(workbook.active)
    props = workbook.properties
    props.creator = mark
    props.lastModifiedBy = mark
    props.title = _nfc(_("Party member statistics") + f" — {report.unit_name}")
    props.description = mark
    props.keywords = mark
    props.subject = _nfc(report.unit_code)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    fill = PatternFill("solid", fgColor="F2DCDB")

    def start(title: str, heading: str) -> Any:
        ws = workbook.create_sheet(title=title[:31])
        ws["A1"] = mark
        ws["A1"].font = Font(italic=True, size=9, color="C00000")
        ws["A2"] = _nfc(report.unit_name)
        ws["A2"].font = Font(bold=True)
        ws["A3"] = _nfc(heading)
        ws["A3"].font = Font(bold=True, size=13)
        ws["A4"] = _nfc(
            _("As of %(date)s") % {"date": report.as_of.strftime("%d/%m/%Y")}
            + " — "
            + str(CODES_NOTE)
        )
        ws["A4"].font = Font(italic=True, size=9)
        ws.oddHeader.center.text = mark
        ws.oddFooter.center.text = mark
        ws.column_dimensions["A"].width = 58
        return ws

    for table in report.tables:
        heading = f"{table.code} — {table.title}" if table.code else table.title
        ws = start(table.key, heading)
        row_index = 5
        if table.note:
            ws.cell(row=row_index, column=1, value=_nfc(table.note))
            row_index += 1
        row_index += 1
        for col, name in enumerate(table.columns, 2):
            cell = ws.cell(row=row_index, column=col, value=_nfc(name))
            cell.font = Font(bold=True)
            cell.fill = fill
            cell.border = border
            cell.alignment = Alignment(horizontal="center", wrap_text=True)
            ws.column_dimensions[cell.column_letter].width = 15
        ws.cell(row=row_index, column=1).border = border
        ws.cell(row=row_index, column=1).fill = fill
        for row in table.rows:
            row_index += 1
            label = ws.cell(row=row_index, column=1, value=_nfc(row.label))
            label.alignment = Alignment(indent=2 * row.level)
            label.border = border
            if row.level == 0:
                label.font = Font(bold=True)
            for col, value in enumerate(row.values, 2):
                cell = ws.cell(row=row_index, column=col, value=value)
                cell.border = border
                cell.number_format = "#,##0"
    if report.due_list is not None:
        ws = start("BC21", _("BC21 — Probationary members due for recognition"))
        ws["A5"] = _("Restricted: for the member-records officers of the unit.")
        headings = [
            _("Full name"),
            _("Born"),
            _("Unit"),
            _("Admitted on"),
            _("Probation ends on"),
            _("Overdue"),
        ]
        for col, name in enumerate(headings, 1):
            cell = ws.cell(row=7, column=col, value=_nfc(name))
            cell.font = Font(bold=True)
            cell.fill = fill
            cell.border = border
        for offset, due in enumerate(report.due_list, 8):
            line: list[Any] = [
                _nfc(due.full_name),
                due.birth_year,
                _nfc(due.unit_name),
                due.admitted_on,
                due.probation_ends_on,
                _("yes") if due.overdue else "",
            ]
            for col, item in enumerate(line, 1):
                cell = ws.cell(row=offset, column=col, value=item)
                cell.border = border
                if col in (4, 5):
                    cell.number_format = "DD/MM/YYYY"
        for letter, width in zip("BCDEF", (8, 40, 14, 16, 10), strict=True):
            ws.column_dimensions[letter].width = width
        ws.column_dimensions["A"].width = 30
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
