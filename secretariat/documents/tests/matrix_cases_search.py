"""Permission-matrix cases of search (see secretariat/api/tests/matrix.py), and the helper the
search tests use to make indexed documents (capture services are built in parallel, so documents
are made with the ORM and indexed with `index_document`, as the capture service will)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.api.tests.matrix import Case, Ctx, cell
from secretariat.core import clock
from secretariat.documents.models import (
    Document,
    DocumentVersion,
    Register,
    RegisterEntry,
    StoredFile,
)
from secretariat.documents.search import index_document
from secretariat.orgs.models import Unit

# Roles holding DOCUMENTS_VIEW (accounts/policy.py).
DOCUMENT_READERS = frozenset(
    {
        Role.RECORDS_CLERK,
        Role.LEADER,
        Role.SPECIALIST,
        Role.MEETING_SECRETARY,
        Role.MEMBER_RECORDS_OFFICER,
    }
)
MARK = {"in": "MARKSEARCHIN", "out": "MARKSEARCHOUT"}


def make_document(
    unit: Unit,
    subject: str,
    *,
    text: str | None = None,
    doc_type: str | None = None,
    notation: str = "",
    issuing_body: str = "",
    issued_on: dt.date | None = None,
    created_at: dt.datetime | None = None,
    register_kind: str | None = None,
) -> Document:
    """A document of `unit` with, when `text` is given, one version holding it; registered in
    the unit's register of `register_kind` when given; then indexed."""
    document = Document.objects.create(
        unit=unit,
        subject=subject,
        doc_type_id=doc_type,
        notation=notation,
        issuing_body=issuing_body,
        issued_on=issued_on,
        created_at=created_at or clock.now(),
    )
    if text is not None:
        add_version(document, text)
    if register_kind is not None:
        register, _ = Register.objects.get_or_create(
            unit=unit,
            year=clock.today().year,
            kind=register_kind,
            secret=False,
            defaults={"name": f"Sổ {register_kind}"},
        )
        register.last_number += 1
        register.save(update_fields=["last_number"])
        RegisterEntry.objects.create(
            register=register,
            number=register.last_number,
            registered_on=clock.today(),
            document=document,
            notation=notation,
        )
    index_document(document)
    return document


def add_version(document: Document, text: str) -> DocumentVersion:
    digest = hashlib.sha256(f"{document.pk}{text}".encode()).hexdigest()
    stored, _ = StoredFile.objects.get_or_create(
        sha256=digest,
        defaults={
            "size": len(text),
            "content_type": "application/pdf",
            "wrapped_key": b"",
            "master_key_id": "test",
        },
    )
    number = document.versions.count() + 1
    return DocumentVersion.objects.create(
        document=document,
        number=number,
        original=stored,
        original_name=f"v{number}.pdf",
        text=text,
    )


def setup(ctx: Ctx, make_user: Any) -> None:
    for side in ("in", "out"):
        ctx.extra[f"search_doc_{side}"] = make_document(
            cell(ctx, side),
            f"Kế hoạch chuyển đổi số {MARK[side]}",
            text="Triển khai công tác chuyển đổi số trong toàn Đảng bộ.",
        )


def _search_url(c: Ctx, side: str) -> str:
    return "/api/v1/search/?q=chuyển+đổi+số"


CASES = [
    Case(
        "api:search_documents",
        "get",
        _search_url,
        DOCUMENT_READERS,
        scoped=False,
        shows=lambda c, side: MARK[side],
    ),
    Case(
        "api:search_inbox",
        "get",
        lambda c, s: f"/api/v1/search/inbox?unit={cell(c, s).code}",
        DOCUMENT_READERS,
        shows=lambda c, side: MARK[side],
    ),
    Case(
        "documents:search",
        "get",
        lambda c, s: reverse("documents:search") + "?q=chuy%E1%BB%83n+%C4%91%E1%BB%95i+s%E1%BB%91",
        DOCUMENT_READERS,
        scoped=False,
        shows=lambda c, side: MARK[side],
    ),
]
