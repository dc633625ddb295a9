"""The two signing modes, shared by the command line and the loopback WebSocket server.

The PIN is asked, and the token opened, *before* the one-time URL is used: a wrong PIN leaves
the server's session untouched, so the official can try again with the same URLs.

`progress(step)` is told "pin", "download", "sign", "upload" as the work advances.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from .errors import AgentError
from .pdfsign import sign_pdf
from .protocol import Http, file_name_of
from .token import TokenConfig, open_token

# The server may offer a time-stamp authority for B-T signatures.
TIMESTAMP_HEADER = "X-Secretariat-Timestamp-Url"
DIGEST_ALGORITHM = "sha256_rsa"

Progress = Callable[[str], None]


def _quiet(step: str) -> None:
    return None


def sign_pdf_url(
    *,
    download: str,
    upload: str,
    token: TokenConfig,
    pin: Callable[[], str],
    http: Http,
    timestamp_url: str | None = None,
    server_timestamp: bool = True,
    progress: Progress = _quiet,
) -> dict[str, Any]:
    """Mode pdf: download, sign on the token, upload; the server's answer (Status 0)."""
    progress("pin")
    with open_token(token, pin()) as opened:
        progress("download")
        pdf, headers = http.get(download)
        if not pdf.startswith(b"%PDF-"):
            raise AgentError("not_pdf", "The server did not send a PDF.")
        offered = headers.get(TIMESTAMP_HEADER) if server_timestamp else None
        progress("sign")
        signed = sign_pdf(pdf, opened, timestamp_url=timestamp_url or offered or None)
    if not signed.startswith(pdf):
        raise AgentError("protocol", "The signed PDF does not extend the downloaded one.")
    progress("upload")
    return http.post_file(upload, field="file", file_name=file_name_of(headers), content=signed)


def sign_digest_url(
    *,
    digest: str,
    signature: str,
    token: TokenConfig,
    pin: Callable[[], str],
    http: Http,
    progress: Progress = _quiet,
) -> dict[str, Any]:
    """Mode digest: fetch the bytes to sign, sign them on the token, send the signature value;
    the server's answer (Status 0)."""
    progress("pin")
    with open_token(token, pin()) as opened:
        progress("download")
        facts = http.get_json(digest)
        if facts.get("algorithm") != DIGEST_ALGORITHM:
            raise AgentError(
                "protocol", f"The server asks for an unknown algorithm: {facts.get('algorithm')}."
            )
        expected = str(facts.get("certificate_sha256") or "").lower()
        if expected and expected != opened.certificate_sha256:
            raise AgentError(
                "certificate_mismatch",
                "The certificate on this token is not the one registered for you on the server.",
            )
        try:
            to_sign = base64.b64decode(str(facts.get("to_sign") or ""), validate=True)
        except ValueError as error:
            raise AgentError("protocol", "The bytes to sign are not valid base64.") from error
        if not to_sign:
            raise AgentError("protocol", "The server sent nothing to sign.")
        progress("sign")
        value = opened.sign_sha256_rsa(to_sign)
    progress("upload")
    return http.post_json(signature, {"signature": base64.b64encode(value).decode()})
