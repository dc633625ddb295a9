"""Metadata read from a document's first page, offered to the clerk, who confirms or edits it.

The layout is fixed by Decree 30/2020/NĐ-CP Art. 8 and Appendix I (State) and Hướng dẫn
36-HD/VPTW (Party): the issuing body at the top left (an asterisk under it for the Party), the
national title or "ĐẢNG CỘNG SẢN VIỆT NAM" at the top right; the number and notation under the
issuing body (`Số: 12/QĐ-UBND`, `Số: 05/2026/NQ-HĐND`, Party `Số 125-QĐ/TU`); place and date on
the right (`Lâm Đồng, ngày 12 tháng 3 năm 2026`); the type title in capitals in the middle
(`QUYẾT ĐỊNH`) with the subject (trích yếu) under it, or, for a công văn, `V/v …` under the
number.

The text comes from `pdftotext -layout`, often of an OCR'd scan: letters lose their diacritics
(`ngay 12 thang 3 nam 2026`, `QD` for `QĐ`) and spacing varies, so matching is done on an
unaccented copy of each line that keeps every character's position, and the original letters
are returned.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Right-hand headers: never the issuing body.
_NATIONAL_HEADERS = ("CONG HOA XA HOI", "DOC LAP", "DANG CONG SAN VIET NAM")
# Issuer abbreviations whose Đ OCR often reads as D (HD 36 list and State bodies).
_ISSUER_FIXES = {"HDND": "HĐND", "DU": "ĐU", "DB": "ĐB", "DTN": "ĐTN", "DHDCD": "ĐHĐCĐ"}
_CELL_SPLIT = re.compile(r"\s{3,}")
_ABBR = r"[A-Za-z][A-Za-z]{0,5}"
# `Số: 12/QĐ-UBND`, `Số: 05/2026/NQ-HĐND`, `Số: 123/UBND-VP` (công văn: no type).
# Tesseract sometimes reads the ố of `Số` as a digit (`S6 310-CV/TU`): a capital S followed by 0
# or 6 is accepted as `Số` too.
_SO = r"\b(?:so|(?-i:S)[06])"
_STATE_NUMBER = re.compile(
    _SO
    + r"\s*:?\s*(?P<number>\d{1,6})\s*/\s*(?P<rest>(?:\d{4}\s*/\s*)?[A-Za-z][\w.]*(?:\s*-\s*[A-Za-z][\w.]*)+)",
    re.IGNORECASE,
)
# `Số 125-QĐ/TU`, `Số 12-NQ/BTV` (Party: hyphen, then the issuer after a slash).
_PARTY_NUMBER = re.compile(
    _SO
    + r"\s*:?\s*(?P<number>\d{1,6})\s*-\s*(?P<type>"
    + _ABBR
    + r")\s*/\s*(?P<issuer>[A-Za-z][\w/-]*)",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"(?:(?P<place>[^\W\d_][^,\d]{1,60}?)\s*,\s*)?ngay\s*(?P<day>\d{1,2})\s+thang\s*(?P<month>\d{1,2})\s+nam\s*(?P<year>\d{4})",
    re.IGNORECASE,
)
_SUBJECT_START = re.compile(r"^(?:v\s*/\s*v\b|ve\s+viec\b|ve\s)", re.IGNORECASE)
_STOP = re.compile(r"^(?:can\s+cu|kinh\s+gui|[-_=.*]{3,})", re.IGNORECASE)


@dataclass(frozen=True)
class TypeEntry:
    code: str
    name: str
    state_abbreviation: str
    party_abbreviation: str


def unaccent(text: str) -> str:
    """Letters without diacritics, character for character (same length, same positions)."""
    out = []
    for char in text:
        if char in "đĐ":
            out.append("d" if char == "đ" else "D")
            continue
        base = unicodedata.normalize("NFD", char)[0]
        out.append(base if len(base) == 1 else char)
    return "".join(out)


def _catalogue() -> list[TypeEntry]:
    from .models import DocumentType

    return [
        TypeEntry(t.code, t.name, t.state_abbreviation, t.party_abbreviation)
        for t in DocumentType.objects.all()
    ]


def _cells(line: str) -> list[tuple[int, str]]:
    """The text blocks of a laid-out line with their columns (3+ spaces separate blocks)."""
    cells = []
    position = 0
    for part in _CELL_SPLIT.split(line):
        start = line.find(part, position)
        if part.strip():
            cells.append((start + len(part) - len(part.lstrip()), part.strip()))
        position = start + len(part)
    return cells


def _is_upper_line(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _fix_abbreviation(found: str, known: Iterable[str]) -> str:
    """`QD` read by OCR is `QĐ` of the catalogue; an unknown abbreviation stays as read."""
    for abbreviation in known:
        if abbreviation and unaccent(abbreviation).upper() == unaccent(found).upper():
            return abbreviation
    return found


def _fix_issuer(issuer: str) -> str:
    parts = re.split(r"([/-])", issuer)
    return "".join(_ISSUER_FIXES.get(p.upper(), p) for p in parts)


def suggest(text: str, *, types: list[TypeEntry] | None = None) -> dict[str, Any]:
    """Suggested metadata from the first page of `text`: any of `issuing_body`, `number`,
    `notation`, `place`, `issued_on` (ISO date), `doc_type` (catalogue code), `subject`, and
    under `matched` the text each was read from. JSON-able; empty when nothing is found."""
    catalogue = types if types is not None else _catalogue()
    first_page = text.split("\x0c", 1)[0]
    lines = [line.rstrip() for line in first_page.splitlines()]
    plain = [unaccent(line) for line in lines]
    result: dict[str, Any] = {}
    matched: dict[str, str] = {}

    # Number and notation (Art. 8.2; Party form of HD 36).
    number_line = None
    for index, line in enumerate(plain):
        party = _PARTY_NUMBER.search(line)
        state = _STATE_NUMBER.search(line)
        if party and (not state or party.start() <= state.start()):
            original = lines[index][party.start() : party.end()]
            abbreviation = _fix_abbreviation(
                lines[index][party.start("type") : party.end("type")],
                [t.party_abbreviation for t in catalogue],
            )
            issuer = _fix_issuer(lines[index][party.start("issuer") : party.end("issuer")])
            number = party.group("number")
            result["number"] = number
            result["notation"] = f"{number}-{abbreviation}/{issuer}"
            result["_type_abbreviation"] = ("party", abbreviation)
            matched["notation"] = original
            number_line = index
            break
        if state:
            original = lines[index][state.start() : state.end()]
            rest = _squash(lines[index][state.start("rest") : state.end("rest")]).replace(" ", "")
            pieces = rest.split("/")
            head, _sep, tail = pieces[-1].partition("-")
            abbreviation = _fix_abbreviation(head, [t.state_abbreviation for t in catalogue])
            fixed = "-".join([abbreviation, *[_fix_issuer(p) for p in tail.split("-") if p]])
            number = state.group("number")
            result["number"] = number
            result["notation"] = "/".join([number, *pieces[:-1], fixed])
            result["_type_abbreviation"] = ("state", abbreviation)
            matched["notation"] = original
            number_line = index
            break

    # Place and date (Art. 8.3): `Lâm Đồng, ngày 12 tháng 3 năm 2026`.
    for index, line in enumerate(plain):
        found = _DATE.search(line)
        if not found:
            continue
        try:
            issued = dt.date(int(found["year"]), int(found["month"]), int(found["day"]))
        except ValueError:
            continue
        result["issued_on"] = issued.isoformat()
        begin = found.start()
        if found["place"]:
            raw_place = lines[index][found.start("place") : found.end("place")]
            # The left column may share the line (`Số 125-QĐ/TU      Lâm Đồng, ngày …`).
            place = _CELL_SPLIT.split(raw_place.strip())[-1]
            if place and not unaccent(place).lower().startswith("so"):
                result["place"] = _squash(place)
                begin = found.start("place") + raw_place.rfind(place)
        matched["date"] = _squash(lines[index][begin : found.end()])
        break

    # Type title: a line that is exactly a catalogue name in capitals (Art. 8.4).
    names = {unaccent(t.name).upper(): t for t in catalogue}
    title_line = None
    for index, line in enumerate(plain):
        for _column, cell in _cells(line):
            entry = names.get(_squash(cell).upper())
            if entry is not None and _is_upper_line(lines[index]):
                result["doc_type"] = entry.code
                matched["doc_type"] = _squash(lines[index])
                title_line = index
                break
        if title_line is not None:
            break
    kind_and_abbreviation = result.pop("_type_abbreviation", None)
    if "doc_type" not in result and kind_and_abbreviation:
        form, abbreviation = kind_and_abbreviation
        for entry in catalogue:
            own = entry.party_abbreviation if form == "party" else entry.state_abbreviation
            if own and own == abbreviation:
                result["doc_type"] = entry.code
                matched["doc_type"] = abbreviation
                break

    # Subject (trích yếu): under the title, or `V/v …` under the number for a công văn.
    subject_lines: list[str] = []
    start = title_line + 1 if title_line is not None else None
    if start is None:
        for index, line in enumerate(plain):
            cells = _cells(line)
            if cells and _SUBJECT_START.match(cells[0][1]):
                start = index
                break
    if start is not None:
        for index in range(start, min(start + 12, len(lines))):
            cells = _cells(lines[index])
            if not cells:
                if subject_lines:
                    break
                continue
            text_cell = cells[0][1] if title_line is None else _squash(lines[index])
            plain_cell = unaccent(text_cell)
            if subject_lines and (_STOP.match(plain_cell) or _is_upper_line(text_cell)):
                break
            if (
                not subject_lines
                and _STOP.match(plain_cell)
                and not _SUBJECT_START.match(plain_cell)
            ):
                break
            subject_lines.append(text_cell)
            if len(subject_lines) == 3:
                break
    if subject_lines:
        subject = _squash(" ".join(subject_lines))
        result["subject"] = subject
        matched["subject"] = subject
        if "doc_type" not in result and re.match(r"v\s*/\s*v\b", unaccent(subject), re.I):
            for entry in catalogue:
                if entry.code == "cong_van":
                    result["doc_type"] = entry.code
                    matched["doc_type"] = "V/v"

    # Issuing body (Art. 8.1): the left column above the number (or the title).
    end = number_line if number_line is not None else title_line
    if end is not None:
        body: list[str] = []
        for index in range(end):
            cells = _cells(lines[index])
            if not cells:
                continue
            _column, cell = cells[0]
            plain_cell = unaccent(cell).upper()
            if any(header in plain_cell for header in _NATIONAL_HEADERS):
                continue
            if _is_upper_line(cell):
                body.append(cell)
        if body:
            result["issuing_body"] = _squash(" ".join(body))
            matched["issuing_body"] = " / ".join(body)

    if matched:
        result["matched"] = matched
    return result
