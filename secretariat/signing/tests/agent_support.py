"""What the tests of the signing agent and its sessions share: a session handler that records
what it is given, a small PDF, the agent's command line run as a real subprocess."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from reportlab.pdfgen import canvas

from secretariat.audit.services import record
from secretariat.core.errors import Conflict, PermissionDenied
from secretariat.signing import hooks

PURPOSE = "tests.agent"
AGENT = str(Path(sys.executable).parent / "secretariat-agent")
PIN = "123456"


def small_pdf(text: str = "Công văn số 12/UBND-VP") -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pageCompression=0)
    page.drawString(72, 720, text)
    page.showPage()
    page.save()
    return buffer.getvalue()


@dataclass
class RecordingHandler:
    """The app's side of a session, as an app would implement it: it may refuse a user, and on
    completion it writes (an audit event standing for "stored the signed version")."""

    refused_users: set[Any] = field(default_factory=set)
    fail_on_completion: bool = False
    authorized: list[tuple[Any, str]] = field(default_factory=list)
    completed_with: list[dict[str, Any]] = field(default_factory=list)

    def authorize(self, *, user: Any, subject_id: str) -> None:
        self.authorized.append((user.pk, subject_id))
        if user.pk in self.refused_users:
            raise PermissionDenied("You may not sign this document.")

    def completed(
        self, *, user: Any, session: Any, signed_pdf: bytes, report: Any
    ) -> dict[str, Any]:
        digest = hashlib.sha256(signed_pdf).hexdigest()
        record(actor=user, action="tests.agent_stored", obj=session, data={"sha256": digest})
        if self.fail_on_completion:
            raise Conflict("The document changed meanwhile.")
        self.completed_with.append(
            {
                "user": user.pk,
                "session": session.pk,
                "signed_pdf": signed_pdf,
                "signatures": len(report.signatures),
                "level": report.signatures[-1].level,
                "indication": report.signatures[-1].indication,
            }
        )
        return {"version": 2, "file_url": f"/documents/{session.subject_id}/v2"}


def install_handler(monkeypatch: pytest.MonkeyPatch) -> RecordingHandler:
    """A RecordingHandler registered for PURPOSE for the duration of the test."""
    recording = RecordingHandler()
    monkeypatch.setitem(hooks._handlers, PURPOSE, recording)
    return recording


def run_agent(
    *args: str, token: Any, pin: str | None = PIN, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`secretariat-agent ARGS` against `token` (a SoftToken), the PIN in $AGENT_PIN."""
    env = {**os.environ, **token.env}
    env.pop("AGENT_PIN", None)
    if pin is not None:
        env["AGENT_PIN"] = pin
    return subprocess.run(
        [
            AGENT,
            *args,
            "--module",
            token.module,
            "--token-label",
            token.token_label,
            "--key-label",
            token.key_label,
            "--pin-env",
            "AGENT_PIN",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving(
    token: Any, *, origins: list[str], pin: str = PIN, extra: tuple[str, ...] = ()
) -> Iterator[int]:
    """`secretariat-agent serve` as a subprocess on a free loopback port (its port), stopped
    at the end of the block."""
    port = free_port()
    env = {**os.environ, **token.env, "AGENT_PIN": pin}
    arguments = [AGENT, "serve", "--port", str(port)]
    for origin in origins:
        arguments += ["--allowed-origin", origin]
    arguments += [
        "--module",
        token.module,
        "--token-label",
        token.token_label,
        "--key-label",
        token.key_label,
        "--pin-env",
        "AGENT_PIN",
        *extra,
    ]
    process = subprocess.Popen(
        arguments, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"the agent stopped: {process.stderr.read() if process.stderr else ''}"
                )
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the agent did not start listening")
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def register_token(user: Any, token: Any) -> Any:
    """Register the token's certificate for `user`, as an administrator does (the official's
    USB token: backend "workstation")."""
    from secretariat.signing import pki

    return pki.import_credential(
        actor=None, user=user, certificate=token.certificate_der, backend="workstation"
    )
