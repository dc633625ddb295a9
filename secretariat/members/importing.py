"""Import of member records from a spreadsheet (XLSX or CSV) with a column mapping.

The user uploads a file, maps its columns to the targets below (profile fields, sensitive fields,
the member's cell and the admission / official membership events), runs a dry run, then imports.

* **Reading**: the type is told by the content, never by the name — an XLSX is a ZIP holding
  `xl/workbook.xml`, anything else must be UTF-8 text (a byte-order mark is tolerated) read as
  CSV (comma, semicolon or tab). Old binary Excel files, corrupt workbooks, other encodings and
  empty files are refused with a message saying what to do. Leading lines whose first cell starts
  with `#` are comments (the watermark of our own exports); the next line is the header.
* **Dry run** (`dry_run`): every line is checked with the services' own rules
  (`services.profile_errors`, the life-cycle derivation over the line's events, the unit's scope,
  duplicates in the file and in the registry) and every problem is reported with its line number
  and column, in the reader's language. Nothing is written.
* **Import** (`run_import`): in one durable transaction, the dry run again (the registry may have
  changed), then one `member_create` and its events per line through the services (each audited)
  and one `members.imported` audit event naming the file's SHA-256 and the count. Any problem
  and nothing is imported.

Between the steps the uploaded file is kept sealed (`core.keys.seal`, bound to the uploader and a
random token) under `FILES_DIR/staging/members-import`; it is removed after the import and any
staged file older than a day is removed at the next upload.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import re
import secrets
import time
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.audit import services as audit
from secretariat.core import clock, keys
from secretariat.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from secretariat.orgs.models import Unit

from . import lifecycle, sealing, services
from .choices import EventKind
from .models import Member

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
# A workbook's parts once unpacked: a zip bomb is refused before openpyxl reads it.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
STAGING_MAX_AGE_SECONDS = 24 * 3600
TOKEN_PATTERN = re.compile(r"^[0-9a-f]{32}$")


class FileKind(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


# --- Targets --------------------------------------------------------------------------------------

# The life-cycle columns: the cell the member belongs to (its electronic code) and two events.
UNIT_CODE = "unit_code"
ADMITTED_ON = "admitted_on"
ADMISSION_DECISION = "admission_decision"
OFFICIAL_ON = "official_on"
OFFICIAL_DECISION = "official_decision"
EVENT_TARGETS: dict[str, Any] = {
    UNIT_CODE: gettext_lazy("Cell (electronic code)"),
    ADMITTED_ON: gettext_lazy("Date of admission"),
    ADMISSION_DECISION: gettext_lazy("Admission decision number"),
    OFFICIAL_ON: gettext_lazy("Date of official membership"),
    OFFICIAL_DECISION: gettext_lazy("Official membership decision number"),
}
REQUIRED_TARGETS = ("full_name", "gender", "birth_date", "ethnicity")

# Header names seen in the province's spreadsheets, besides each target's label in every
# language of the interface (compared without case or accents).
_ALIASES: dict[str, tuple[str, ...]] = {
    "full_name": (
        "họ và tên",
        "họ tên",
        "tên",
        "họ và tên khai sinh",
        "nom",
        "nom complet",
        "name",
    ),
    "other_names": ("tên gọi khác", "bí danh", "autres noms"),
    "gender": ("giới tính", "sexe", "sex"),
    "birth_date": ("ngày sinh", "ngày tháng năm sinh", "date de naissance", "birth date", "dob"),
    "birth_registration_place": ("nơi đăng ký khai sinh", "nơi sinh", "lieu de naissance"),
    "hometown": ("quê quán", "lieu d'origine"),
    "residence": ("nơi ở hiện nay", "nơi cư trú", "nơi ở", "domicile", "adresse"),
    "citizen_id": ("số cccd", "cccd", "căn cước công dân", "số căn cước", "cmnd", "citizen id"),
    "party_record_number": ("số lý lịch", "số lý lịch đảng viên", "số ll"),
    "card_number": ("số thẻ đảng", "số thẻ", "numéro de carte"),
    "introducer_1": ("người giới thiệu 1", "người giới thiệu thứ nhất"),
    "introducer_2": ("người giới thiệu 2", "người giới thiệu thứ hai"),
    "youth_union_on": ("ngày vào đoàn",),
    "ethnicity": ("dân tộc", "ethnie"),
    "religion": ("tôn giáo",),
    "occupation": ("nghề nghiệp", "profession"),
    "general_education": ("giáo dục phổ thông", "trình độ học vấn", "học vấn"),
    "professional_qualification": ("chuyên môn nghiệp vụ", "chuyên môn"),
    "degree": ("trình độ chuyên môn", "học vị", "diplôme", "diplome"),
    "academic_title": ("học hàm",),
    "political_theory": ("lý luận chính trị", "trình độ lý luận chính trị", "llct"),
    "languages": ("ngoại ngữ", "langues"),
    "it_skills": ("tin học",),
    "health": ("tình trạng sức khỏe", "sức khỏe", "santé"),
    "income_type": ("loại thu nhập",),
    "dues_base_amount": ("thu nhập", "mức lương", "lương"),
    UNIT_CODE: ("mã chi bộ", "chi bộ", "mã đơn vị", "unit code", "cell code", "code cellule"),
    ADMITTED_ON: ("ngày vào đảng", "ngày kết nạp", "date d'admission", "admission date"),
    ADMISSION_DECISION: ("số quyết định kết nạp", "quyết định kết nạp"),
    OFFICIAL_ON: ("ngày chính thức", "ngày công nhận chính thức", "official date"),
    OFFICIAL_DECISION: ("số quyết định chính thức", "quyết định chính thức"),
}
# Values of coded columns as people type them (compared without case or accents), besides
# the code, its label in every language and the Vietnamese term an English label gives.
_NONE_WORDS = {"khong": "none", "chua": "none", "chua co": "none", "aucun": "none", "-": "none"}
_VALUE_WORDS: dict[str, dict[str, str]] = {
    "gender": {
        "nam": "male",
        "nu": "female",
        "m": "male",
        "f": "female",
        "homme": "male",
        "femme": "female",
    },
    "religion": {
        **_NONE_WORDS,
        "phat giao": "buddhism",
        "cong giao": "catholicism",
        "thien chua giao": "catholicism",
        "tin lanh": "protestantism",
        "cao dai": "caodaism",
        "hoa hao": "hoa_hao",
        "phat giao hoa hao": "hoa_hao",
        "hoi giao": "islam",
        "ba la mon": "brahmanism",
    },
    "degree": _NONE_WORDS,
    "academic_title": {**_NONE_WORDS, "giao su": "professor", "pho giao su": "associate_professor"},
    "political_theory": _NONE_WORDS,
    "income_type": {
        "luong": "salaried",
        "huong luong": "salaried",
        "huu tri": "pensioner",
        "hoc sinh": "student",
        "sinh vien": "student",
    },
}


def _fold(text: str) -> str:
    """Lower case, no accents, single spaces: "Họ và Tên " → "ho va ten"."""
    text = unicodedata.normalize("NFKD", str(text).replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(text.replace("_", " ").split())


def _model_field(name: str) -> models.Field[Any, Any] | None:
    if name not in services.PROFILE_FIELDS:
        return None
    found = Member._meta.get_field(name)
    assert isinstance(found, models.Field)
    return found


def target_label(name: str) -> str:
    """The target's label in the active language."""
    if name in EVENT_TARGETS:
        return str(EVENT_TARGETS[name])
    if name in sealing.SENSITIVE_FIELDS:
        return str(sealing.SENSITIVE_FIELDS[name][0])
    model_field = _model_field(name)
    if model_field is not None:
        return str(model_field.verbose_name)
    return name


def targets() -> list[tuple[str, str]]:
    """(name, label) of every target, in the form's order."""
    names = [
        *services.PROFILE_FIELDS,
        *sealing.SENSITIVE_FIELDS,
        *EVENT_TARGETS,
    ]
    return [(name, target_label(name)) for name in names]


def _labels_in_every_language(label: Any) -> set[str]:
    found = {str(label)}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            found.add(str(label))
    return found


def _header_aliases() -> dict[str, str]:
    """Folded header name → target."""
    aliases: dict[str, str] = {}
    for name, _label in targets():
        candidates = {name, *_ALIASES.get(name, ())}
        if name in EVENT_TARGETS:
            candidates |= _labels_in_every_language(EVENT_TARGETS[name])
        elif name in sealing.SENSITIVE_FIELDS:
            candidates |= _labels_in_every_language(sealing.SENSITIVE_FIELDS[name][0])
        else:
            model_field = _model_field(name)
            assert model_field is not None
            candidates |= _labels_in_every_language(model_field.verbose_name)
        for candidate in candidates:
            aliases.setdefault(_fold(candidate), name)
    return aliases


def guess_mapping(headers: list[str]) -> dict[int, str]:
    """Column index → target, for the headers whose name says what they hold (in Vietnamese,
    French or English); each target at most once, the first column wins."""
    aliases = _header_aliases()
    mapping: dict[int, str] = {}
    used: set[str] = set()
    for index, header in enumerate(headers):
        name = aliases.get(_fold(header))
        if name is not None and name not in used:
            mapping[index] = name
            used.add(name)
    return mapping


def mapping_errors(mapping: Mapping[int, str]) -> list[str]:
    """What is wrong with a mapping as a whole (a target twice, a required one missing)."""
    problems = []
    known = {name for name, _label in targets()}
    seen: set[str] = set()
    for name in mapping.values():
        if name not in known:
            problems.append(_("Unknown field “%(name)s”.") % {"name": name})
        elif name in seen:
            problems.append(
                _("The field “%(field)s” is given to several columns.")
                % {"field": target_label(name)}
            )
        seen.add(name)
    for name in REQUIRED_TARGETS:
        if name not in seen:
            problems.append(
                _("Choose the column that holds “%(field)s”.") % {"field": target_label(name)}
            )
    if OFFICIAL_ON in seen and ADMITTED_ON not in seen:
        problems.append(
            _("An official membership date needs the admission date: map that column too.")
        )
    return problems


# --- Reading the file -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A file's header and its data lines (line number as the user sees it, cell values)."""

    kind: FileKind
    headers: list[str]
    rows: list[tuple[int, list[Any]]]


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(message, field_errors={"file": [message]})


def detect_kind(content: bytes) -> FileKind:
    """The file's type from its first bytes (the name may lie)."""
    if not content.strip():
        raise _refuse(_("The file is empty."))
    if content.startswith(b"PK\x03\x04"):
        return FileKind.XLSX
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise _refuse(
            _("This is an old Excel file (.xls): save it as an Excel workbook (.xlsx) or as CSV.")
        )
    if b"\x00" in content[:4096]:
        raise _refuse(_("The file is neither an Excel workbook (.xlsx) nor a CSV text file."))
    return FileKind.CSV


def read_table(content: bytes) -> Table:
    """Read an uploaded file (raises ValidationFailed with a clear message when it cannot)."""
    if len(content) > MAX_IMPORT_BYTES:
        raise _refuse(
            _("The file is larger than %(size)d MB.") % {"size": MAX_IMPORT_BYTES // (1024 * 1024)}
        )
    kind = detect_kind(content)
    lines = _xlsx_lines(content) if kind is FileKind.XLSX else _csv_lines(content)
    header: list[str] | None = None
    rows: list[tuple[int, list[Any]]] = []
    for number, values in lines:
        if not any(_cell_text(v) for v in values):
            continue
        if header is None:
            if _cell_text(values[0]).startswith("#"):
                continue  # a comment line (the watermark of an export)
            header = [_cell_text(v) for v in values]
            while header and not header[-1]:
                header.pop()
            continue
        rows.append((number, values))
        if len(rows) > MAX_ROWS:
            raise _refuse(_("The file has more than %(rows)d lines.") % {"rows": MAX_ROWS})
    if header is None or not header:
        raise _refuse(_("The file is empty."))
    if not rows:
        raise _refuse(_("The file has a header line but no member."))
    return Table(kind=kind, headers=header, rows=rows)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    text = str(value).strip()
    if text[:1] == "'" and text[1:2] in ("=", "+", "@"):
        # Our CSV exports quote what a spreadsheet would take for a formula.
        return text[1:]
    return text


def _csv_lines(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise _refuse(
            _(
                "The file is not UTF-8 text (line %(line)d). Save it as “CSV UTF-8” or as an "
                "Excel workbook (.xlsx)."
            )
            % {"line": line}
        ) from exc
    sample = "\n".join(line for line in text.splitlines()[:20] if not line.startswith("#"))
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    result = []
    line = 0
    try:
        for values in reader:
            start, line = line + 1, reader.line_num
            result.append((start, list(values)))
    except csv.Error as exc:
        raise _refuse(
            _("The CSV file is malformed at line %(line)d.") % {"line": reader.line_num}
        ) from exc
    return iter(result)


def _xlsx_lines(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    corrupt = _("The Excel file cannot be read (it is damaged or not a workbook).")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refuse(corrupt) from exc
    if "xl/workbook.xml" not in names:
        raise _refuse(_("The file is a ZIP archive, not an Excel workbook (.xlsx)."))
    if unpacked > MAX_UNPACKED_BYTES:
        raise _refuse(corrupt)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        result = [
            (number, list(values))
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
        workbook.close()
    # openpyxl reports a damaged part with whatever its XML or ZIP layer raised.
    except Exception as exc:
        raise _refuse(corrupt) from exc
    return iter(result)


# --- Converting cells ---------------------------------------------------------------------------

_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y/%m/%d")


class CellError(Exception):
    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = str(message)


def _to_date(value: Any) -> dt.date | None:
    if value is None or _cell_text(value) == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _cell_text(value)
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a calendar date)
        except ValueError:
            continue
    raise CellError(_("“%(value)s” is not a date (write it as 31/12/1980).") % {"value": text})


def _to_text(value: Any, name: str) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    text = _cell_text(value)
    if name == "citizen_id" and isinstance(value, int):
        # A spreadsheet that stored the number as a number dropped its leading zeros.
        if len(text) in (10, 11):
            text = text.zfill(12)
        elif len(text) == 8:
            text = text.zfill(9)
    return text


_AMOUNT = re.compile(r"^\d{1,3}([.,\s]\d{3})+$|^\d+$")


def _to_amount(value: Any) -> int | None:
    if value is None or _cell_text(value) == "":
        return None
    if isinstance(value, bool):
        raise CellError(_("Enter an amount in dong (a whole number, not negative)."))
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _cell_text(value)
    if _AMOUNT.match(text):
        return int(re.sub(r"[.,\s]", "", text))
    raise CellError(_("Enter an amount in dong (a whole number, not negative)."))


def _choice_words(model_field: models.Field[Any, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """(exact, folded) word → code of a coded field: the code, its label in every language, and
    the Vietnamese term the English label gives in parentheses."""
    exact: dict[str, str] = {}
    folded: dict[str, set[str]] = {}
    for code, label in model_field.choices or ():
        words = {str(code), *_labels_in_every_language(label)}
        for word in list(words):
            inner = re.search(r"\(([^)]*)\)", word)
            if inner:
                words.add(inner.group(1))
        for word in words:
            exact.setdefault(word.strip().casefold(), str(code))
            folded.setdefault(_fold(word), set()).add(str(code))
    unique = {word: next(iter(codes)) for word, codes in folded.items() if len(codes) == 1}
    return exact, unique


@functools.lru_cache(maxsize=32)
def _choice_words_of(name: str) -> tuple[dict[str, str], dict[str, str]]:
    """`_choice_words` of a profile field, computed once per process (every language)."""
    model_field = _model_field(name)
    assert model_field is not None
    return _choice_words(model_field)


def _to_choice(value: Any, name: str, model_field: models.Field[Any, Any]) -> str:
    text = _to_text(value, name)
    if not text:
        return ""
    if name == "ethnicity" and text.isdigit() and len(text) <= 2:
        return text.zfill(2)
    exact, folded = _choice_words_of(name)
    if text.casefold() in exact:
        return exact[text.casefold()]
    words = _VALUE_WORDS.get(name, {})
    if _fold(text) in words:
        return words[_fold(text)]
    if _fold(text) in folded:
        return folded[_fold(text)]
    raise CellError(_("“%(value)s” is not one of the choices.") % {"value": text})


def convert(name: str, value: Any) -> Any:
    """A cell's value as the services take it for the target `name` (raises CellError)."""
    if name in (ADMITTED_ON, OFFICIAL_ON):
        return _to_date(value)
    if name in EVENT_TARGETS or name in sealing.SENSITIVE_FIELDS:
        return _to_text(value, name)
    model_field = _model_field(name)
    assert model_field is not None
    if model_field.choices:
        return _to_choice(value, name, model_field)
    if isinstance(model_field, models.DateField):
        return _to_date(value)
    if isinstance(model_field, models.PositiveBigIntegerField):
        return _to_amount(value)
    return _to_text(value, name)


# --- Dry run ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    line: int
    column: str  # the file's column header, or the field's label when no column holds it
    message: str


@dataclass
class PlannedMember:
    line: int
    unit: Unit
    profile: dict[str, Any]
    admitted_on: dt.date | None = None
    admission_decision: str = ""
    official_on: dt.date | None = None
    official_decision: str = ""


@dataclass
class DryRun:
    problems: list[Problem] = field(default_factory=list)
    planned: list[PlannedMember] = field(default_factory=list)
    lines: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _require_unit(actor: Any, unit: Unit) -> None:
    if not policy.can(actor, Action.MEMBERS_MANAGE, unit):
        raise PermissionDenied(_("You do not have permission to do this here."))


class _Units:
    """Unit codes of the file, looked up once each."""

    def __init__(self, actor: Any, default: Unit) -> None:
        self.actor = actor
        self.default = default
        self.cache: dict[str, Unit | str] = {}

    def get(self, code: str) -> Unit | str:
        """The unit, or the problem with the code."""
        if not code:
            return self.default
        if code not in self.cache:
            unit = Unit.objects.filter(code=code).first()
            if unit is None:
                self.cache[code] = _("No unit has the code “%(code)s”.") % {"code": code}
            elif not unit.path.startswith(self.default.path):
                self.cache[code] = _("The unit %(code)s is not under %(unit)s.") % {
                    "code": code,
                    "unit": self.default.display_name,
                }
            elif not policy.can(self.actor, Action.MEMBERS_MANAGE, unit):
                self.cache[code] = _("You do not keep the records of the unit %(code)s.") % {
                    "code": code
                }
            elif not unit.active:
                self.cache[code] = _("The unit %(code)s is no longer active.") % {"code": code}
            else:
                self.cache[code] = unit
        return self.cache[code]


def _duplicates(
    planned: list[PlannedMember], columns: dict[str, str], problems: list[Problem]
) -> None:
    """Lines that repeat another line's (or an existing record's) unique number."""
    checks = (
        ("party_record_number", _("Another member has this Party record number.")),
        ("card_number", _("Another member has this Party card number.")),
        ("citizen_id", _("Another member has this citizen ID.")),
    )
    for name, message in checks:
        if name not in columns:
            continue
        keys_by_line: dict[str, list[int]] = {}
        for plan in planned:
            value = plan.profile.get(name) or ""
            if name == "citizen_id":
                value = sealing.citizen_id_digest(value)
            if value:
                keys_by_line.setdefault(value, []).append(plan.line)
        if not keys_by_line:
            continue
        lookup = "citizen_id_digest" if name == "citizen_id" else name
        existing = set(
            Member.objects.filter(**{f"{lookup}__in": list(keys_by_line)}).values_list(
                lookup, flat=True
            )
        )
        for value, lines in keys_by_line.items():
            if value in existing:
                problems.extend(Problem(line, columns[name], message) for line in lines)
            elif len(lines) > 1:
                for line in lines:
                    others = ", ".join(str(other) for other in lines if other != line)
                    problems.append(
                        Problem(
                            line,
                            columns[name],
                            _("The same value is on line(s) %(lines)s of the file.")
                            % {"lines": others},
                        )
                    )


def _event_problems(plan: PlannedMember, columns: dict[str, str], today: dt.date) -> list[Problem]:
    problems = []
    facts = []
    for name, on in ((ADMITTED_ON, plan.admitted_on), (OFFICIAL_ON, plan.official_on)):
        if on is not None and on > today:
            problems.append(Problem(plan.line, columns[name], _("The date is in the future.")))
    if problems:
        return problems
    if plan.official_on is not None and plan.admitted_on is None:
        return [
            Problem(
                plan.line,
                columns.get(ADMITTED_ON, target_label(ADMITTED_ON)),
                _("An official member needs the date of admission."),
            )
        ]
    if plan.admitted_on is not None:
        facts.append(
            lifecycle.EventFact(
                kind=EventKind.ADMISSION,
                effective_on=plan.admitted_on,
                sequence=0,
                to_unit_id=plan.unit.pk,
                confirmed=True,
            )
        )
    if plan.official_on is not None:
        facts.append(
            lifecycle.EventFact(
                kind=EventKind.OFFICIAL, effective_on=plan.official_on, sequence=1, confirmed=True
            )
        )
    try:
        lifecycle.derive(
            facts, initial_unit_id=plan.unit.pk, birth_date=plan.profile.get("birth_date")
        )
    except ValidationFailed as exc:
        column = OFFICIAL_ON if plan.official_on is not None else ADMITTED_ON
        if str(EventKind(EventKind.ADMISSION).label) in str(exc.message):
            column = ADMITTED_ON
        problems.append(Problem(plan.line, columns[column], str(exc.message)))
    return problems


def failed_columns(problems: Iterable[Problem]) -> set[str]:
    return {p.column for p in problems}


def dry_run(
    *,
    actor: Any,
    table: Table,
    mapping: Mapping[int, str],
    unit: Unit,
    today: dt.date | None = None,
) -> DryRun:
    """Check every line of `table` as `mapping` reads it, for members of `unit` (or of the
    cells the file names under it). Writes nothing."""
    _require_unit(actor, unit)
    today = today or clock.today()
    result = DryRun(lines=len(table.rows))
    whole = mapping_errors(mapping)
    if whole:
        result.problems = [Problem(0, "", message) for message in whole]
        return result
    columns = {name: table.headers[index] for index, name in mapping.items()}
    for name in (*REQUIRED_TARGETS, ADMITTED_ON, OFFICIAL_ON):
        columns.setdefault(name, target_label(name))
    units = _Units(actor, unit)
    every_line: list[PlannedMember] = []
    for line, values in table.rows:
        line_problems: list[Problem] = []
        data: dict[str, Any] = {}
        for index, name in mapping.items():
            raw = values[index] if index < len(values) else None
            try:
                data[name] = convert(name, raw)
            except CellError as exc:
                line_problems.append(Problem(line, columns[name], exc.message))
        where = units.get(str(data.pop(UNIT_CODE, "") or ""))
        if isinstance(where, str):
            line_problems.append(Problem(line, columns.get(UNIT_CODE, ""), where))
            where = unit
        plan = PlannedMember(
            line=line,
            unit=where,
            profile={},
            admitted_on=data.pop(ADMITTED_ON, None),
            admission_decision=str(data.pop(ADMISSION_DECISION, "") or ""),
            official_on=data.pop(OFFICIAL_ON, None),
            official_decision=str(data.pop(OFFICIAL_DECISION, "") or ""),
        )
        for name in REQUIRED_TARGETS:
            if (
                name in data
                and data[name] in ("", None)
                and columns[name] not in failed_columns(line_problems)
            ):
                line_problems.append(Problem(line, columns[name], _("This field is required.")))
        failed = failed_columns(line_problems)
        plan.profile = {
            k: v
            for k, v in data.items()
            if columns[k] not in failed and not (v in ("", None) and k not in REQUIRED_TARGETS)
        }
        for name, messages in services.profile_errors(plan.profile).items():
            if name in columns and columns[name] in failed:
                continue
            line_problems.extend(
                Problem(line, columns.get(name, target_label(name)), str(m)) for m in messages
            )
        for name in (ADMISSION_DECISION, OFFICIAL_DECISION):
            value = getattr(plan, name)
            if len(value) > 50:
                line_problems.append(
                    Problem(line, columns[name], _("At most %(max)d characters.") % {"max": 50})
                )
        if not line_problems:
            line_problems = _event_problems(plan, columns, today)
        result.problems.extend(line_problems)
        every_line.append(plan)
        if not line_problems:
            result.planned.append(plan)
    # Duplicates are looked for on every line, whatever its other problems.
    duplicated: list[Problem] = []
    _duplicates(every_line, columns, duplicated)
    result.problems.extend(duplicated)
    bad_lines = {p.line for p in duplicated}
    result.planned = [plan for plan in result.planned if plan.line not in bad_lines]
    result.problems.sort(key=lambda p: p.line)
    return result


# --- Import -------------------------------------------------------------------------------------


class ImportRefused(ValidationFailed):
    """The file has problems: nothing was imported. `problems` lists them line by line."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            _("Nothing was imported: %(count)d problem(s) in the file.") % {"count": len(problems)}
        )
        self.problems = problems


def file_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@transaction.atomic(durable=True)
def run_import(
    *,
    actor: Any,
    content: bytes,
    filename: str,
    mapping: Mapping[int, str],
    unit: Unit,
) -> int:
    """Import every line of the file, or nothing: the dry run again, then each member through
    the services (record opened, admission and official membership recorded, each audited) and
    one `members.imported` audit event with the file's digest and the count. Raises
    `ImportRefused` (nothing written) when any line has a problem."""
    table = read_table(content)
    checked = dry_run(actor=actor, table=table, mapping=mapping, unit=unit)
    if not checked.ok:
        raise ImportRefused(checked.problems)
    for plan in checked.planned:
        try:
            _create(actor, plan)
        except PermissionDenied:
            raise
        except DomainError as exc:
            # The registry changed since the check (or a rule only the service knows).
            transaction.set_rollback(True)
            raise ImportRefused([Problem(plan.line, "", str(exc.message))]) from exc
    audit.record(
        actor=actor,
        action="members.imported",
        unit=unit,
        data={
            "unit": unit.code,
            "file": filename[:255],
            "sha256": file_digest(content),
            "kind": table.kind.value,
            "count": len(checked.planned),
            "columns": sorted(set(mapping.values())),
        },
    )
    return len(checked.planned)


def _create(actor: Any, plan: PlannedMember) -> Member:
    member = services.member_create_nondurable(actor=actor, unit=plan.unit, profile=plan.profile)
    if plan.admitted_on is not None:
        services.member_event_record_nondurable(
            actor=actor,
            member=member,
            kind=EventKind.ADMISSION,
            effective_on=plan.admitted_on,
            decision_number=plan.admission_decision,
            to_unit=plan.unit,
        )
    if plan.official_on is not None:
        services.member_event_record_nondurable(
            actor=actor,
            member=member,
            kind=EventKind.OFFICIAL,
            effective_on=plan.official_on,
            decision_number=plan.official_decision,
            # History from a spreadsheet: the signed forms are in the paper file.
            without_forms=True,
            without_forms_reason="imported from a spreadsheet",
        )
    return member


# --- Staging between the steps ------------------------------------------------------------------


def _staging_dir() -> Path:
    return Path(settings.FILES_DIR) / "staging" / "members-import"


def _context(actor: Any, token: str) -> str:
    return f"members.import:{actor.pk}:{token}"


def _clean_stale(directory: Path) -> None:
    limit = time.time() - STAGING_MAX_AGE_SECONDS
    for path in directory.glob("*.sealed"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            continue


def stage(*, actor: Any, content: bytes, filename: str) -> str:
    """Keep the uploaded file, sealed for this user, until the import; its token."""
    directory = _staging_dir()
    directory.mkdir(parents=True, exist_ok=True)
    _clean_stale(directory)
    token = secrets.token_hex(16)
    name = filename.replace("\n", " ")[:200].encode("utf-8")
    payload = len(name).to_bytes(2, "big") + name + content
    sealed = keys.seal(payload, context=_context(actor, token))
    path = directory / f"{token}.sealed"
    path.write_bytes(sealed)
    path.chmod(0o600)
    return token


def staged(*, actor: Any, token: str) -> tuple[bytes, str]:
    """The staged file of this user (content, file name); NotFound when there is none."""
    missing = NotFound(_("This upload is no longer available: upload the file again."))
    if not TOKEN_PATTERN.match(token or ""):
        raise missing
    path = _staging_dir() / f"{token}.sealed"
    try:
        payload = keys.unseal(path.read_bytes(), context=_context(actor, token))
    except (OSError, keys.SealError) as exc:
        raise missing from exc
    size = int.from_bytes(payload[:2], "big")
    return payload[2 + size :], payload[2 : 2 + size].decode("utf-8", "replace")


def discard(*, token: str) -> None:
    if TOKEN_PATTERN.match(token or ""):
        (_staging_dir() / f"{token}.sealed").unlink(missing_ok=True)


def units_for_import(*, user: Any) -> Iterable[Unit]:
    """Active units where the user keeps the records, in tree order."""
    return policy.units_in_scope(user, Action.MEMBERS_MANAGE).filter(active=True).order_by("path")
