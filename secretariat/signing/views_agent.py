"""The workstation signing agent's endpoints (the one-time URLs of `sessions`).

The agent is a program, not a browser: it has no session cookie and no CSRF token; the random
token in the URL is its credential (one-time, short-lived, bound to a user and a document). Every
answer except the PDF itself is the protocol's JSON `{"Status", "Message", "FileName",
"FileServer"}` — also on errors, with the matching HTTP status — so the agent can always tell
the official what happened, in the official's language.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from secretariat.core.errors import DomainError

from . import sessions
from .sessions import AgentStatus

logger = logging.getLogger(__name__)


def answer(
    status: int,
    message: str,
    *,
    file_name: str = "",
    file_server: str = "",
    http_status: int = 200,
    extra: Mapping[str, Any] | None = None,
) -> JsonResponse:
    """The protocol's JSON answer (the keys of the desktop tools officials already use)."""
    body: dict[str, Any] = {
        "Status": int(status),
        "Message": str(message),
        "FileName": file_name,
        "FileServer": file_server,
        **(extra or {}),
    }
    response = JsonResponse(body, status=http_status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


def _refusal(error: DomainError) -> JsonResponse:
    status = sessions.agent_status(error)
    http_status = 410 if status == AgentStatus.EXPIRED else error.status
    return answer(status, str(error.message), http_status=http_status)


def _language(token: str) -> str | None:
    try:
        return sessions.language_of(sessions.find(token))
    except DomainError:
        return None


def agent_endpoint(method: str) -> Callable[[Callable[..., HttpResponse]], Any]:
    """Token-authenticated, CSRF-exempt, never cached; refusals and faults become JSON."""

    def decorate(view: Callable[..., HttpResponse]) -> Any:
        @csrf_exempt
        @never_cache
        def wrapped(request: HttpRequest, token: str) -> HttpResponse:
            language = _language(token) or translation.get_language()
            with translation.override(language):
                if request.method != method:
                    response = answer(
                        AgentStatus.WRONG_MODE,
                        _("This address accepts only %(method)s requests.") % {"method": method},
                        http_status=405,
                    )
                    response["Allow"] = method
                    return response
                try:
                    return view(request, token)
                except DomainError as error:
                    return _refusal(error)
                except Exception:
                    logger.exception("signing agent endpoint failed")
                    return answer(
                        AgentStatus.SERVER_ERROR,
                        _("The server could not complete the signature. Try again later."),
                        http_status=500,
                    )

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return wrapped

    return decorate


def _completed_answer(request: HttpRequest, done: sessions.Completed) -> JsonResponse:
    # `FileServer`: where the signed document is now, if the app said ("file_url").
    file_url = done.data.get("file_url", "") if isinstance(done.data, dict) else ""
    return answer(
        AgentStatus.OK,
        _("The signed document was received."),
        file_name=done.session.file_name,
        file_server=request.build_absolute_uri(str(file_url)) if file_url else "",
        extra={"Result": done.data},
    )


@agent_endpoint("GET")
def download(request: HttpRequest, token: str) -> HttpResponse:
    """Mode pdf: the PDF to sign, once."""
    session = sessions.download(token)
    response = HttpResponse(sessions.session_pdf(session), content_type="application/pdf")
    response["Content-Disposition"] = (
        content_disposition_header(True, session.file_name) or "attachment"
    )
    response["X-Content-Type-Options"] = "nosniff"
    offered = sessions.timestamp_url(request)
    if offered:
        response["X-Secretariat-Timestamp-Url"] = offered
    return response


def _too_large(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > settings.MAX_UPLOAD_MB * 1024 * 1024 + 64 * 1024


@agent_endpoint("POST")
def upload(request: HttpRequest, token: str) -> HttpResponse:
    """Mode pdf: the signed PDF (multipart, field `file`), accepted once."""
    if _too_large(request):
        raise sessions.refuse(
            token,
            sessions.bad_file(
                _("The file is larger than %(size)d MB.") % {"size": settings.MAX_UPLOAD_MB}
            ),
        )
    try:
        uploaded = request.FILES.get("file")
    except MultiPartParserError as problem:
        raise sessions.refuse(
            token, sessions.bad_file(_("The upload is not a valid multipart form."))
        ) from problem
    if uploaded is None:
        raise sessions.refuse(
            token, sessions.bad_file(_("Send the signed PDF in the form field “file”."))
        )
    signed_pdf = uploaded.read()
    return _completed_answer(request, sessions.complete_upload(token, signed_pdf))


@agent_endpoint("GET")
def digest(request: HttpRequest, token: str) -> HttpResponse:
    """Mode digest: the bytes to sign, the algorithm and the expected certificate, once."""
    session, facts = sessions.digest(token)
    return answer(AgentStatus.OK, "", file_name=session.file_name, extra=facts)


@agent_endpoint("POST")
def signature(request: HttpRequest, token: str) -> HttpResponse:
    """Mode digest: the signature value (JSON {"signature": base64} or form field), once."""
    value: Any = None
    if request.content_type == "application/json":
        try:
            value = json.loads(request.body or b"{}").get("signature")
        except (ValueError, AttributeError) as problem:
            raise sessions.refuse(
                token, sessions.bad_file(_("The request is not valid JSON."))
            ) from problem
    else:
        value = request.POST.get("signature")
    try:
        signature_value = base64.b64decode(str(value or ""), validate=True)
    except (binascii.Error, ValueError) as problem:
        raise sessions.refuse(
            token, sessions.bad_file(_("The signature value is not valid base64."))
        ) from problem
    if not signature_value:
        raise sessions.refuse(
            token, sessions.bad_file(_("Send the signature value in the field “signature”."))
        )
    return _completed_answer(request, sessions.complete_digest(token, signature_value))
