"""The input of the public verification (page and API): one PDF, read in memory only, within
the size limit, from a client under the rate limit.

Nothing a visitor sends is kept: the upload handler below keeps the file in memory (Django's
default handlers write large uploads to a temporary file) and refuses it past
`MAX_UPLOAD_MB`; the report is computed, returned and forgotten.
"""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _

from secretariat.core import clock
from secretariat.core.errors import DomainError
from secretariat.core.middleware import client_address


class TooLarge(DomainError):
    status = 413


class TooManyRequests(DomainError):
    status = 429


def max_bytes() -> int:
    return int(settings.MAX_UPLOAD_MB) * 1024 * 1024


def too_large() -> TooLarge:
    return TooLarge(
        _("The file is larger than %(size)s MB, the most this page accepts.")
        % {"size": settings.MAX_UPLOAD_MB}
    )


class MemoryOnlyUpload(FileUploadHandler):
    """Keeps uploaded files in memory, never on disk, and stops at `limit` bytes (the file is
    then dropped and `exceeded` set)."""

    def __init__(self, request: HttpRequest | None = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.exceeded = False
        self._buffer = io.BytesIO()

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> tuple[QueryDict, MultiValueDict] | None:
        # Announced too large: refused without reading the body.
        if content_length > self.limit + 64 * 1024:  # the file plus the form's own fields
            self.exceeded = True
            return QueryDict(), MultiValueDict()
        return None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if self._buffer.tell() + len(raw_data) > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        self._buffer.write(raw_data)

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self._buffer.seek(0)
        return InMemoryUploadedFile(
            file=self._buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


def use_memory_only_uploads(request: HttpRequest) -> MemoryOnlyUpload:
    """Install the handler; call before anything reads `request.POST` or `request.FILES`."""
    handler = MemoryOnlyUpload(request, limit=max_bytes())
    request.upload_handlers = [handler]
    return handler


def uploaded_pdf(request: HttpRequest, handler: MemoryOnlyUpload, field: str = "file") -> bytes:
    """The bytes of the uploaded file, or the reason there are none (DomainError)."""
    try:
        upload = request.FILES.get(field)
    except Exception as error:  # a malformed multipart body
        raise DomainError(_("The upload could not be read. Send the PDF again.")) from error
    if handler.exceeded:
        raise too_large()
    if upload is None:
        raise DomainError(_("Choose a PDF file to check."), field_errors={field: []})
    data = upload.read()
    if not data:
        raise DomainError(_("The file is empty."), field_errors={field: []})
    return bytes(data)


def check_rate(request: HttpRequest) -> None:
    """At most `SIGNING_VERIFY_PER_MINUTE` checks per client address and minute.

    The count lives in Django's cache. This project configures no CACHES, so it is the default
    local-memory cache: one count per process, which is what an embedded node (one process)
    needs; a deployment with several workers should configure a shared cache (Redis)."""
    limit = int(settings.SIGNING_VERIFY_PER_MINUTE)
    minute = clock.now().strftime("%Y%m%d%H%M")
    key = f"signing.verify:{client_address(request) or 'unknown'}:{minute}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    if count > limit:
        raise TooManyRequests(_("Too many checks from your address. Wait a minute and try again."))


class VerifyForm(forms.Form):
    file = forms.FileField(
        label=_("Signed PDF"),
        help_text=_("The file is checked and forgotten: nothing is kept."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
