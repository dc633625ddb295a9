"""Permission-matrix cases of document capture and reading (see secretariat/api/tests/matrix.py).

Documents are read by every role holding `documents.view` and captured by records clerks and
specialists; an outside document (cell B) is never found, an outside unit never accepted.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.api.tests.matrix import Case, Ctx, cell
from secretariat.documents import services

from .factories import text_pdf

VIEWERS = frozenset(
    {
        Role.RECORDS_CLERK,
        Role.LEADER,
        Role.SPECIALIST,
        Role.MEETING_SECRETARY,
        Role.MEMBER_RECORDS_OFFICER,
    }
)
CAPTURERS = frozenset({Role.RECORDS_CLERK, Role.SPECIALIST})
UPLOAD = text_pdf(["Công văn MATRIX-UPLOAD", "Số 3-CV/ĐU", "V/v kiểm tra quyền"])


def setup(ctx: Ctx, make_user: Any) -> None:
    """One captured document in cell A (inside) and one in cell B (outside), by the system."""
    for side in ("in", "out"):
        marker = f"CAPTURE-DOC-{side.upper()}"
        ctx.extra[f"capture_{side}"] = services.document_capture(
            actor=None,
            unit=cell(ctx, side),
            file=services.IncomingFile(name=f"{marker}.pdf", data=text_pdf([marker])),
            metadata={"subject": marker},
        )


def _doc(c: Ctx, side: str) -> Any:
    return c.extra[f"capture_{side}"]


def _marker(c: Ctx, side: str) -> str:
    return f"CAPTURE-DOC-{side.upper()}"


def _upload(name: str = "upload.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, UPLOAD, content_type="application/pdf")


CASES = [
    Case(
        "documents:list",
        "get",
        lambda c, s: reverse("documents:list"),
        VIEWERS,
        scoped=False,
        shows=_marker,
    ),
    Case(
        "documents:capture",
        "get",
        lambda c, s: reverse("documents:capture"),
        CAPTURERS,
        scoped=False,
    ),
    Case(
        "documents:capture",
        "post",
        lambda c, s: reverse("documents:capture"),
        CAPTURERS,
        write=True,
        data=lambda c, s: {
            "unit": cell(c, s).code,
            "confidentiality": "normal",
            "files": _upload(),
        },
    ),
    Case(
        "documents:detail",
        "get",
        lambda c, s: reverse("documents:detail", args=[_doc(c, s).id]),
        VIEWERS,
    ),
    Case(
        "documents:status",
        "get",
        lambda c, s: reverse("documents:status", args=[_doc(c, s).id]),
        VIEWERS,
    ),
    Case(
        "documents:edit",
        "post",
        lambda c, s: reverse("documents:edit", args=[_doc(c, s).id]),
        CAPTURERS,
        write=True,
        data=lambda c, s: {"subject": "Trích yếu đã xác nhận", "urgency": "normal"},
    ),
    # Registering is the records clerk's act (Art. 22).
    Case(
        "documents:document_register",
        "post",
        lambda c, s: reverse("documents:document_register", args=[_doc(c, s).id]),
        frozenset({Role.RECORDS_CLERK}),
        write=True,
        data=lambda c, s: {"kind": "incoming"},
    ),
    Case(
        "documents:add_version",
        "post",
        lambda c, s: reverse("documents:add_version", args=[_doc(c, s).id]),
        CAPTURERS,
        write=True,
        data=lambda c, s: {"file": _upload("v2.pdf")},
    ),
    Case(
        "documents:download",
        "get",
        lambda c, s: reverse("documents:download", args=[_doc(c, s).id, 1, "original"]),
        VIEWERS,
    ),
    Case(
        "api:create_documents",
        "post",
        lambda c, s: "/api/v1/documents/",
        CAPTURERS,
        write=True,
        data=lambda c, s: {"files": [_upload()], "unit": cell(c, s).code},
    ),
    Case(
        "api:list_documents",
        "get",
        lambda c, s: "/api/v1/documents/",
        VIEWERS,
        scoped=False,
        shows=_marker,
    ),
    Case(
        "api:get_document",
        "get",
        lambda c, s: f"/api/v1/documents/{_doc(c, s).id}",
        VIEWERS,
    ),
    Case(
        "api:update_document",
        "patch",
        lambda c, s: f"/api/v1/documents/{_doc(c, s).id}",
        CAPTURERS,
        write=True,
        json_body=True,
        data=lambda c, s: {"subject": "Trích yếu đã xác nhận"},
    ),
    Case(
        "api:add_document_version",
        "post",
        lambda c, s: f"/api/v1/documents/{_doc(c, s).id}/versions",
        CAPTURERS,
        write=True,
        data=lambda c, s: {"file": _upload("v2.pdf")},
    ),
    Case(
        "api:download_original",
        "get",
        lambda c, s: f"/api/v1/documents/{_doc(c, s).id}/versions/1/original",
        VIEWERS,
    ),
    Case(
        "api:download_pdf",
        "get",
        lambda c, s: f"/api/v1/documents/{_doc(c, s).id}/versions/1/pdf",
        VIEWERS,
    ),
]
