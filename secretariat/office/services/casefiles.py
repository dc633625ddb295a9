"""Case files (hồ sơ), Decree 30/2020/NĐ-CP Art. 28–31: each unit's yearly file plan (danh mục
hồ sơ), case files opened in it, filled with documents, closed with a retention period, and
exported as a package for transfer to the archive (files kept 5 years or more go to the archive
within a year of closing, Art. 31 [unverified details]).

Case files are kept by the records office: every change needs OFFICE_CLERK on the plan's unit.
The public functions are durable; the `*_nondurable` variants run in a caller's transaction
(filing an incoming document adds it to a case file in the filing's transaction).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.db import IntegrityError, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.audit import services as audit
from secretariat.core import clock
from secretariat.core.errors import Conflict, ValidationFailed
from secretariat.core.locks import for_update
from secretariat.documents import storage
from secretariat.documents.models import Document
from secretariat.orgs.models import Unit

from .. import archive
from ..models import CaseFile, CaseFileState, FilePlan

P = ParamSpec("P")
R = TypeVar("R")

# Retention periods are whole years; None means permanent (vĩnh viễn).
MAX_RETENTION_YEARS = 100

AUDIT_LABELS: dict[str, str | Promise] = {
    "office.file_plan_opened": _("File plan opened"),
    "office.case_file_opened": _("Case file opened"),
    "office.case_file_document_added": _("Document added to a case file"),
    "office.case_file_closed": _("Case file closed"),
    "office.case_file_exported": _("Case file exported for the archive"),
}


def _durable(function: Callable[P, R]) -> Callable[P, R]:
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction.atomic(durable=True):
            return function(*args, **kwargs)

    wrapper.__doc__ = function.__doc__
    wrapper.__name__ = function.__name__.removesuffix("_nondurable")
    return wrapper


def _snapshot(case_file: CaseFile) -> dict[str, Any]:
    return {
        "plan": str(case_file.plan_id),
        "code": case_file.code,
        "title": case_file.title,
        "retention_years": case_file.retention_years,
        "state": case_file.state,
        "opened_on": case_file.opened_on.isoformat(),
        "closed_on": case_file.closed_on.isoformat() if case_file.closed_on else None,
    }


def _check_year(year: int) -> None:
    if not 1900 <= year <= 9999:
        raise ValidationFailed(_("Invalid year."), field_errors={"year": [_("Invalid year.")]})


def file_plan_for(*, unit: Unit, year: int) -> FilePlan:
    """The unit's file plan of `year`, opened (by the system) when missing. Race-safe through
    the unique constraint; the caller checks the user's rights on `unit`. Non-durable."""
    _check_year(year)
    existing = FilePlan.objects.filter(unit=unit, year=year).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        try:
            # A savepoint: losing the race must not break the caller's transaction.
            with transaction.atomic():
                plan = FilePlan.objects.create(unit=unit, year=year)
        except IntegrityError:
            return FilePlan.objects.get(unit=unit, year=year)
        audit.record(
            actor=None,
            action="office.file_plan_opened",
            unit=unit,
            obj=plan,
            after={"unit": unit.code, "year": year},
            data={"year": year},
        )
    return plan


def case_file_open_nondurable(
    *,
    actor: Any,
    unit: Unit,
    year: int,
    code: str,
    title: str,
    retention_years: int | None,
) -> CaseFile:
    """Open a case file in the unit's file plan of `year` (Art. 28–29). `code` is unique in the
    plan; `retention_years` None keeps it permanently. The opener keeps it."""
    policy.require(actor, Action.OFFICE_CLERK, unit)
    _check_year(year)
    errors: dict[str, list[str | Promise]] = {}
    clean_code, clean_title = (code or "").strip(), (title or "").strip()
    if not clean_code or len(clean_code) > 30:
        errors["code"] = [_("Give a file code of at most 30 characters.")]
    if not clean_title or len(clean_title) > 300:
        errors["title"] = [_("Give a title of at most 300 characters.")]
    if retention_years is not None and not 1 <= retention_years <= MAX_RETENTION_YEARS:
        errors["retention_years"] = [
            _("Give 1 to %(max)d years, or nothing for permanent retention.")
            % {"max": MAX_RETENTION_YEARS}
        ]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], field_errors=errors)
    plan = file_plan_for(unit=unit, year=year)
    message = _("The file plan already has a case file %(code)s.") % {"code": clean_code}
    if CaseFile.objects.filter(plan=plan, code=clean_code).exists():
        raise Conflict(message)
    try:
        with transaction.atomic():
            case_file = CaseFile.objects.create(
                plan=plan,
                code=clean_code,
                title=clean_title,
                retention_years=retention_years,
                keeper=actor,
                opened_on=clock.today(),
            )
    except IntegrityError as exc:
        # Opened by someone else between the check and the insert.
        raise Conflict(message) from exc
    audit.record(
        actor=actor,
        action="office.case_file_opened",
        unit=unit,
        obj=case_file,
        after=_snapshot(case_file),
        data={"code": clean_code, "year": year},
    )
    return case_file


def _lock(case_file: CaseFile) -> CaseFile:
    locked = for_update(CaseFile.objects, of=("self",)).select_related("plan", "plan__unit")
    return locked.get(pk=case_file.pk)


def case_file_add_document_nondurable(
    *, actor: Any, case_file: CaseFile, document: Document
) -> CaseFile:
    """Put a document of the same unit into an open case file."""
    policy.require(actor, Action.OFFICE_CLERK, case_file.plan.unit)
    locked = _lock(case_file)
    if locked.state != CaseFileState.OPEN:
        raise Conflict(_("The case file is closed: no document can be added."))
    if document.unit_id != locked.plan.unit_id:
        message = _("Only documents of the unit %(unit)s can go into this case file.") % {
            "unit": locked.plan.unit.name
        }
        raise ValidationFailed(message, field_errors={"document": [message]})
    if locked.documents.filter(pk=document.pk).exists():
        raise Conflict(_("The document is already in this case file."))
    locked.documents.add(document)
    audit.record(
        actor=actor,
        action="office.case_file_document_added",
        unit=locked.plan.unit,
        obj=locked,
        after={"document": str(document.pk)},
        data={"code": locked.code, "document": str(document.pk)},
    )
    return locked


def case_file_close_nondurable(*, actor: Any, case_file: CaseFile) -> CaseFile:
    """Close an open case file (Art. 30): no document is added afterwards; it can then be
    exported for the archive. An empty case file is not closed."""
    policy.require(actor, Action.OFFICE_CLERK, case_file.plan.unit)
    locked = _lock(case_file)
    if locked.state != CaseFileState.OPEN:
        raise Conflict(_("The case file is already closed."))
    if not locked.documents.exists():
        raise Conflict(_("An empty case file cannot be closed."))
    before = _snapshot(locked)
    locked.state = CaseFileState.CLOSED
    locked.closed_on = clock.today()
    locked.save(update_fields=["state", "closed_on", "updated_at"])
    audit.record(
        actor=actor,
        action="office.case_file_closed",
        unit=locked.plan.unit,
        obj=locked,
        before=before,
        after=_snapshot(locked),
        data={"code": locked.code, "documents": locked.documents.count()},
    )
    return locked


case_file_open = _durable(case_file_open_nondurable)
case_file_add_document = _durable(case_file_add_document_nondurable)
case_file_close = _durable(case_file_close_nondurable)


def case_file_export(*, actor: Any, case_file: CaseFile) -> bytes:
    """The archive transfer package of a closed case file (zip: every version's original and
    PDF, decrypted; `manifest.json` with the metadata and the SHA-256 of every file;
    `manifest.sha256`). The export is audited with the package's digest, so the archive can
    tell the package it received is the one that left. Files are read before the (short)
    transaction that records it."""
    policy.require(actor, Action.OFFICE_CLERK, case_file.plan.unit)
    current = CaseFile.objects.select_related("plan", "plan__unit", "keeper").get(pk=case_file.pk)
    if current.state == CaseFileState.OPEN:
        raise Conflict(_("Only a closed case file can be exported for the archive."))
    try:
        package = archive.build_package(current, exported_by=getattr(actor, "username", ""))
    except storage.FileIntegrityError as exc:
        raise Conflict(
            _("A stored file of this case file failed its integrity check: no package was made.")
        ) from exc
    with transaction.atomic(durable=True):
        audit.record(
            actor=actor,
            action="office.case_file_exported",
            unit=current.plan.unit,
            obj=current,
            after={"sha256": hashlib.sha256(package).hexdigest()},
            data={"code": current.code, "bytes": len(package)},
        )
    return package


def archive_verify(package_bytes: bytes) -> list[str]:
    """The problems of an archive package; empty when it is intact (see `archive.verify`)."""
    return archive.verify(package_bytes)
