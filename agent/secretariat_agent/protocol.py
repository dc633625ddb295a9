"""The server's one-time URL protocol over HTTP (urllib from the standard library).

Answers are JSON `{"Status": 0|code, "Message": ..., "FileName": ..., "FileServer": ...}`; a
nonzero Status (sent with a 4xx HTTP status) is the server's refusal, whose Message is in the
official's language.
"""

from __future__ import annotations

import json
import secrets
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import Any

from . import __version__
from .errors import AgentError

TIMEOUT = 120
USER_AGENT = f"secretariat-agent/{__version__}"


@dataclass(frozen=True)
class Http:
    ca_file: str | None = None

    def _context(self) -> ssl.SSLContext | None:
        return ssl.create_default_context(cafile=self.ca_file) if self.ca_file else None

    def _open(self, request: urllib.request.Request) -> tuple[bytes, Message]:
        if not request.full_url.startswith(("http://", "https://")):
            raise AgentError("bad_request", f"Not an HTTP address: {request.full_url}")
        request.add_header("User-Agent", USER_AGENT)
        try:
            with urllib.request.urlopen(  # noqa: S310 - scheme checked above
                request, timeout=TIMEOUT, context=self._context()
            ) as response:
                return response.read(), response.headers
        except urllib.error.HTTPError as error:
            body = error.read()
            raise _refusal(body, error.code) from error
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise AgentError("network", f"The server cannot be reached ({reason}).") from error

    def get(self, url: str) -> tuple[bytes, Message]:
        return self._open(urllib.request.Request(url, method="GET"))  # noqa: S310 - see _open

    def get_json(self, url: str) -> dict[str, Any]:
        body, _headers = self.get(url)
        return _answer(body)

    def post_json(self, url: str, payload: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 - scheme checked in _open
            url,
            data=json.dumps(payload).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        body, _headers = self._open(request)
        return _answer(body)

    def post_file(self, url: str, *, field: str, file_name: str, content: bytes) -> dict[str, Any]:
        boundary = f"----secretariat-agent-{secrets.token_hex(16)}"
        safe_name = file_name.replace('"', "").replace("\r", "").replace("\n", "") or "signed.pdf"
        body = b"".join(
            [
                f"--{boundary}\r\n".encode(),
                f'Content-Disposition: form-data; name="{field}"; filename="{safe_name}"\r\n'.encode(),
                b"Content-Type: application/pdf\r\n\r\n",
                content,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        request = urllib.request.Request(  # noqa: S310 - scheme checked in _open
            url,
            data=body,
            method="POST",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        body, _headers = self._open(request)
        return _answer(body)


def _answer(body: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(body)
    except ValueError as error:
        raise AgentError("protocol", "The server's answer is not JSON.") from error
    if not isinstance(answer, dict) or "Status" not in answer:
        raise AgentError("protocol", "The server's answer is not the signing protocol's.")
    if answer.get("Status") != 0:
        raise AgentError("refused", str(answer.get("Message") or "Refused."), answer=answer)
    return answer


def _refusal(body: bytes, http_status: int) -> AgentError:
    try:
        _answer(body)
    except AgentError as error:
        if error.code == "refused":
            return error
    return AgentError("protocol", f"The server answered HTTP {http_status}.")


def file_name_of(headers: Message, default: str = "document.pdf") -> str:
    """The file name of a download (Content-Disposition), without any directory."""
    disposition = headers.get("Content-Disposition")
    if not disposition:
        return default
    message = Message()
    message["Content-Disposition"] = disposition
    name = message.get_filename() or default
    return name.replace("\\", "/").rsplit("/", 1)[-1] or default
