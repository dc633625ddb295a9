"""Import and export of the tree as CSV or JSON.

Both formats carry the same fields, one unit per line (CSV, UTF-8, header line) or per object
(JSON list): `code, parent_code, name, name_fr, name_en, kind, abbreviation, active, valid_from,
valid_to`. Dates are ISO (`2025-07-01`), `active` is true/false, an empty `parent_code` is a root.

An import is all or nothing: every line is parsed and checked first (encoding, columns, codes,
kinds, dates, parents, duplicates, cycles, the actor's scope); any problem refuses the whole file
with `ImportFailed` listing every bad line. Otherwise units are created or updated (matched by
code, moved when their parent changed) in one transaction, with one unit event and one audit
event per changed unit and one summary audit event. Unchanged lines write nothing, so importing
an export again is a no-op.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from secretariat.audit import services as audit
from secretariat.core import clock
from secretariat.core.locks import for_update

from . import access, hooks, selectors
from .errors import ImportFailed, ImportProblem
from .models import Unit, UnitEvent, UnitEventKind
from .services import insert_unit, move_unit, snapshot, unit_field_errors

COLUMNS = (
    "code",
    "parent_code",
    "name",
    "name_fr",
    "name_en",
    "kind",
    "abbreviation",
    "active",
    "valid_from",
    "valid_to",
)
# An import file of a whole province is well under 1 MB; refuse anything absurdly larger.
MAX_IMPORT_BYTES = 5 * 1024 * 1024
_TRUE = {"", "true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class Format(StrEnum):
    CSV = "csv"
    JSON = "json"


def parse_format(value: str | None, *, filename: str = "") -> Format:
    """The format named by `value`, else guessed from the file name's extension (CSV default)."""
    if value:
        try:
            return Format(value.lower())
        except ValueError as exc:
            raise ImportFailed(
                [ImportProblem(0, _("Unknown format “%(fmt)s”: use csv or json.") % {"fmt": value})]
            ) from exc
    return Format.JSON if filename.lower().endswith(".json") else Format.CSV


# --- export -----------------------------------------------------------------------------------


def export_rows(*, user: Any | None) -> list[dict[str, Any]]:
    """The units in the user's scope as import rows, parents before children."""
    units = list(selectors.units_visible_to(user=user))
    parents = selectors.parent_codes(units)
    return [
        {
            "code": u.code,
            "parent_code": parents[u.path] or "",
            "name": u.name,
            "name_fr": u.name_fr,
            "name_en": u.name_en,
            "kind": u.kind,
            "abbreviation": u.abbreviation,
            "active": u.active,
            "valid_from": u.valid_from.isoformat() if u.valid_from else None,
            "valid_to": u.valid_to.isoformat() if u.valid_to else None,
        }
        for u in units
    ]


def tree_export(*, user: Any | None, fmt: str) -> str:
    """The units in the user's scope as CSV or JSON text."""
    rows = export_rows(user=user)
    if Format(fmt) is Format.JSON:
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                **row,
                "active": "true" if row["active"] else "false",
                "valid_from": row["valid_from"] or "",
                "valid_to": row["valid_to"] or "",
            }
        )
    return out.getvalue()


def export_download(*, user: Any | None, fmt: str) -> tuple[str, str, str]:
    """The export with its content type and file name, for a download."""
    fmt = Format(fmt)
    content_type = "application/json" if fmt is Format.JSON else "text/csv"
    return tree_export(user=user, fmt=fmt), f"{content_type}; charset=utf-8", f"units.{fmt}"


# --- import: parsing --------------------------------------------------------------------------


@dataclass
class ImportRow:
    line: int
    code: str
    parent_code: str
    fields: dict[str, Any]  # name, name_fr, name_en, kind, abbreviation, active, validity


@dataclass
class ImportResult:
    created: int
    updated: int
    unchanged: int


class _Problems:
    def __init__(self, *, where: str = "line") -> None:
        self.items: list[ImportProblem] = []
        self.where = where

    def add(self, line: int, message: str | Promise, *, where: str | None = None) -> None:
        self.items.append(ImportProblem(line, message, where or self.where))

    def raise_if_any(self) -> None:
        if self.items:
            raise ImportFailed(sorted(self.items, key=lambda p: p.line))


def _decode(content: bytes) -> str:
    try:
        # utf-8-sig: spreadsheets save UTF-8 with a byte-order mark; accept it silently.
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise ImportFailed(
            [
                ImportProblem(
                    line, _("The file is not UTF-8 text (byte %(pos)d).") % {"pos": exc.start}
                )
            ]
        ) from exc


def _records_csv(text: str, problems: _Problems) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, dict[str, Any]]] = []
    try:
        header = next(reader, None)
        if header is None:
            problems.add(0, _("The file is empty."))
            return []
        header = [h.strip() for h in header]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            problems.add(1, _("Missing column(s): %(cols)s.") % {"cols": ", ".join(missing)})
            return []
        line = reader.line_num
        for values in reader:
            start, line = line + 1, reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                problems.add(
                    start,
                    _("Expected %(expected)d fields, found %(found)d.")
                    % {"expected": len(header), "found": len(values)},
                )
                continue
            records.append((start, dict(zip(header, values, strict=True))))
    except csv.Error as exc:
        problems.add(reader.line_num, _("Malformed CSV: %(error)s") % {"error": exc})
    return records


def _records_json(text: str, problems: _Problems) -> list[tuple[int, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.add(
            exc.lineno,
            where="line",
            message=_("Malformed JSON: %(error)s (column %(col)d).")
            % {"error": exc.msg, "col": exc.colno},
        )
        return []
    if not isinstance(data, list):
        problems.add(0, _("The JSON file must hold a list of units."))
        return []
    records: list[tuple[int, dict[str, Any]]] = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            problems.add(number, _("Not an object."))
            continue
        missing = [c for c in COLUMNS if c not in item]
        if missing:
            problems.add(
                number,
                _("Missing field(s): %(cols)s.") % {"cols": ", ".join(missing)},
            )
            continue
        records.append((number, item))
    return records


def _text(value: Any, name: str, line: int, problems: _Problems) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        problems.add(line, _("%(field)s must be text.") % {"field": name})
        return ""
    return str(value).strip()


def _date(value: str, name: str, line: int, problems: _Problems) -> dt.date | None:
    if not value:
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        problems.add(
            line,
            _("%(field)s: “%(value)s” is not a date (YYYY-MM-DD).")
            % {"field": name, "value": value},
        )
        return None


def _active(value: Any, line: int, problems: _Problems) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value, "active", line, problems).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    problems.add(line, _("active: “%(value)s” is not true or false.") % {"value": text})
    return True


def parse_rows(content: bytes, fmt: Format) -> tuple[list[ImportRow], _Problems, dict[str, int]]:
    """Parse and check each line on its own (no database).

    Returns the good rows, the problems of the bad ones, and the line where each code is declared
    (bad lines included, so that their children are not also reported as orphans). Raises
    ImportFailed at once only when the file as a whole is unreadable."""
    # JSON has no reliable line per object once parsed: problems name the item's position (1…).
    problems = _Problems(where="item" if fmt is Format.JSON else "line")
    if len(content) > MAX_IMPORT_BYTES:
        problems.add(0, _("The file is larger than %(mb)d MB.") % {"mb": MAX_IMPORT_BYTES // 2**20})
        problems.raise_if_any()
    text = _decode(content)
    records = _records_json(text, problems) if fmt is Format.JSON else _records_csv(text, problems)
    rows: list[ImportRow] = []
    first_line: dict[str, int] = {}
    for line, record in records:
        values = {c: _text(record.get(c), c, line, problems) for c in COLUMNS if c != "active"}
        fields: dict[str, Any] = {
            "name": values["name"],
            "name_fr": values["name_fr"],
            "name_en": values["name_en"],
            "kind": values["kind"],
            "abbreviation": values["abbreviation"],
            "active": _active(record.get("active"), line, problems),
            "valid_from": _date(values["valid_from"], "valid_from", line, problems),
            "valid_to": _date(values["valid_to"], "valid_to", line, problems),
        }
        code, parent_code = values["code"], values["parent_code"]
        field_errors = unit_field_errors(
            code=code,
            **{k: v for k, v in fields.items() if k != "active"},
        )
        for messages in field_errors.values():
            for message in messages:
                problems.add(line, message)
        if code and code in first_line:
            problems.add(
                line,
                _("The code %(code)s already appears on line %(first)d.")
                % {"code": code, "first": first_line[code]},
            )
        elif code:
            first_line[code] = line
        if code and code == parent_code:
            problems.add(line, _("A unit cannot be its own parent."))
        # A line with field errors is still checked against the tree (unknown parent, scope,
        # cycles), so that one reading of the file reports every problem of every line.
        rows.append(ImportRow(line, code, parent_code, fields))
    if not records:
        problems.raise_if_any()
    return rows, problems, first_line


# --- import: checks against the tree, then writing ---------------------------------------------


def _check_against_tree(
    rows: list[ImportRow], *, actor: Any | None, problems: _Problems, declared: dict[str, int]
) -> tuple[dict[str, Unit], dict[str, str | None]]:
    """Check parents, scope, cycles and activity against the current tree, adding to `problems`.
    Returns the existing units by code and the final parent of every code."""
    # Code → path of every unit: a province is a few thousand units, and cycle checks need the
    # ancestry of existing units beyond the ones named in the file.
    path_of = dict(Unit.objects.values_list("code", "path"))
    code_at = {path: code for code, path in path_of.items()}
    steplen = Unit.steplen

    def current_parent(code: str) -> str | None:
        path = path_of[code]
        return code_at.get(path[:-steplen]) if len(path) > steplen else None

    referenced = {r.code for r in rows} | {r.parent_code for r in rows if r.parent_code}
    existing = {u.code: u for u in Unit.objects.filter(code__in=referenced)}
    in_file = {r.code: r for r in rows}
    final_parent: dict[str, str | None] = {r.code: r.parent_code or None for r in rows}

    def parent_in_final(code: str) -> str | None:
        return final_parent[code] if code in final_parent else current_parent(code)

    for row in rows:
        unit = existing.get(row.code)
        parent_code = row.parent_code or None
        defined_earlier = declared.get(parent_code or "", row.line) < row.line
        if parent_code and not defined_earlier and parent_code not in existing:
            problems.add(
                row.line,
                _("Unknown parent code %(code)s (neither earlier in the file nor existing).")
                % {"code": parent_code},
            )
        elif unit is not None and not access.can_manage(actor, unit):
            problems.add(
                row.line,
                _("The code %(code)s is used by a unit you may not manage.") % {"code": row.code},
            )
        elif unit is None or current_parent(row.code) != parent_code:
            # A new unit or a move: the actor must manage where it goes.
            if parent_code is None:
                if not access.is_system(actor):
                    problems.add(
                        row.line, _("Only a system administrator may create or move a root unit.")
                    )
            elif parent_code in existing and not access.can_manage(actor, existing[parent_code]):
                problems.add(
                    row.line,
                    _("The parent %(code)s is outside the units you manage.")
                    % {"code": parent_code},
                )

    # Cycles: walk up the final tree from each line; coming back to the line's code is a cycle.
    for row in rows:
        seen = [row.code]
        parent = parent_in_final(row.code)
        while parent is not None and parent not in seen and parent in path_of | in_file:
            seen.append(parent)
            parent = parent_in_final(parent)
        if parent == row.code:
            problems.add(
                row.line,
                _("The parents form a cycle: %(chain)s.")
                % {"chain": " → ".join([*seen, row.code])},
            )

    def final_active(code: str) -> bool:
        if code in in_file:
            return bool(in_file[code].fields["active"])
        return bool(existing[code].active) if code in existing else True

    for row in rows:
        parent_code = row.parent_code or None
        if row.fields["active"] and parent_code and not final_active(parent_code):
            problems.add(
                row.line,
                _("An active unit cannot be under the inactive unit %(code)s.")
                % {"code": parent_code},
            )
        unit = existing.get(row.code)
        if unit is not None and unit.active and not row.fields["active"]:
            # Becoming inactive is a dissolution: same rules, sub-units named in the file aside.
            staying = Unit.objects.filter(
                path__startswith=unit.path, depth=unit.depth + 1, active=True
            ).exclude(code__in=in_file.keys())
            if staying.exists():
                problems.add(row.line, _("The unit still has active sub-units."))
            members = sum(c.active_members(unit) for c in hooks.dissolve_checks())
            if members:
                problems.add(
                    row.line,
                    _("%(count)d person(s) still hold a position in the unit.")
                    % {"count": members},
                )
    return existing, final_parent


def _final_depths(rows: Iterable[ImportRow], final_parent: dict[str, str | None]) -> dict[str, int]:
    path_of = dict(Unit.objects.values_list("code", "path"))
    depths: dict[str, int] = {}

    def depth(code: str) -> int:
        if code not in depths:
            if code in final_parent:
                parent = final_parent[code]
                depths[code] = 1 if parent is None else depth(parent) + 1
            else:
                depths[code] = len(path_of[code]) // Unit.steplen
        return depths[code]

    for row in rows:
        depth(row.code)
    return depths


@transaction.atomic(durable=True)
def tree_import(*, actor: Any | None, content: bytes, fmt: str, filename: str) -> ImportResult:
    """Import units from CSV or JSON bytes: all lines or none (see the module docstring)."""
    rows, problems, declared = parse_rows(content, parse_format(fmt, filename=filename))
    # Lock every unit the file names, in primary-key order, before checking: the checks and the
    # writes then see the same tree.
    referenced = {r.code for r in rows} | {r.parent_code for r in rows if r.parent_code}
    list(for_update(Unit.objects).filter(code__in=referenced).order_by("pk"))
    existing, final_parent = _check_against_tree(
        rows, actor=actor, problems=problems, declared=declared
    )
    problems.raise_if_any()

    # Parents before children in the *final* tree, so no move ever passes through a cycle.
    depths = _final_depths(rows, final_parent)
    ordered = sorted(rows, key=lambda r: depths[r.code])
    created = updated = unchanged = 0
    for row in ordered:
        parent = Unit.objects.get(code=row.parent_code) if row.parent_code else None
        unit = existing.get(row.code)
        if unit is None:
            unit = insert_unit(parent=parent, fields={"code": row.code, **row.fields})
            details: dict[str, Any] = {"created": True, "file": filename}
            effective_on = row.fields["valid_from"]
            before = None
            created += 1
        else:
            unit = Unit.objects.get(pk=unit.pk)
            before = snapshot(unit)
            changes = {
                f: [_json(getattr(unit, f)), _json(v)]
                for f, v in row.fields.items()
                if getattr(unit, f) != v
            }
            old_parent = before["parent_code"]
            moved = (old_parent or None) != (row.parent_code or None)
            if not changes and not moved:
                unchanged += 1
                continue
            for f, v in row.fields.items():
                setattr(unit, f, v)
            unit.save(update_fields=[*row.fields, "updated_at"])
            if moved:
                unit = move_unit(unit=unit, new_parent=parent)
                changes["parent_code"] = [old_parent, row.parent_code or None]
            details = {"changes": changes, "file": filename}
            effective_on = None
            updated += 1
        UnitEvent.objects.create(
            unit=unit,
            kind=UnitEventKind.IMPORTED,
            effective_on=effective_on or clock.today(),
            details=details,
        )
        audit.record(
            actor=actor,
            action="orgs.unit_imported",
            unit=unit,
            obj=unit,
            before=before,
            after=snapshot(unit),
            data={"code": unit.code, "created": before is None},
        )
    audit.record(
        actor=actor,
        action="orgs.units_imported",
        object_type="orgs.import",
        object_id=filename[:64],
        data={
            "file": filename,
            "created": created,
            "updated": updated,
            "unchanged": unchanged,
        },
    )
    return ImportResult(created=created, updated=updated, unchanged=unchanged)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
