"""The workstation signing agent end to end: the real `secretariat-agent` program, run as a
subprocess, signs on a SoftHSM2 token through the one-time URLs of a running server (pytest-django
`live_server`), in both modes; and every refusal the protocol promises."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from secretariat.audit.models import AuditEvent
from secretariat.core import clock
from secretariat.signing import sessions
from secretariat.signing.models import SigningSession
from secretariat.signing.tests.agent_support import (
    PURPOSE,
    RecordingHandler,
    install_handler,
    register_token,
    run_agent,
    small_pdf,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> RecordingHandler:
    return install_handler(monkeypatch)


@pytest.fixture
def signer(make_user: Any) -> Any:
    return make_user("signer")


@pytest.fixture
def token(softhsm_token: Any, signer: Any) -> Any:
    """The signer's USB token, its certificate registered for the signer."""
    register_token(signer, softhsm_token)
    return softhsm_token


def _urls(live_server: Any, session: Any, secret: str) -> dict[str, str]:
    links = sessions.agent_links(session, secret)
    return {
        name: live_server.url + links[name]
        for name in ("download", "upload", "digest", "signature")
        if name in links
    }


def _open(signer: Any, *, mode: str = "pdf", pdf: bytes | None = None) -> tuple[Any, str]:
    return sessions.open_session(
        actor=signer,
        purpose=PURPOSE,
        subject_id="42",
        pdf=pdf or small_pdf(),
        file_name="Công văn 12.pdf",
        mode=mode,
    )


def _sign(urls: dict[str, str], token: Any, *, extra: tuple[str, ...] = (), **options: Any) -> Any:
    return run_agent(
        "sign",
        "--download",
        urls["download"],
        "--upload",
        urls["upload"],
        *extra,
        token=token,
        **options,
    )


def _answer(result: Any) -> dict[str, Any]:
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, (result.returncode, result.stdout, result.stderr)
    return json.loads(lines[-1])


def _pdfsig(pdf: bytes, folder: Path) -> str:
    path = folder / "signed.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        ["/usr/bin/pdfsig", "-nocert", "-no-ocsp", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return done.stdout


def _actions(session: Any) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=str(session.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_pdf_mode_signs_uploads_once_and_hands_the_pdf_to_the_app(
    live_server: Any, handler: RecordingHandler, signer: Any, token: Any, tmp_path: Path
) -> None:
    original = small_pdf()
    session, secret = _open(signer, pdf=original)
    urls = _urls(live_server, session, secret)

    result = _sign(urls, token)

    assert result.returncode == 0, result.stderr
    answer = _answer(result)
    assert answer["Status"] == 0
    assert answer["FileName"] == "Công văn 12.pdf"
    assert answer["FileServer"] == f"{live_server.url}/documents/42/v2"
    assert answer["Result"]["version"] == 2
    [stored] = handler.completed_with
    signed = stored["signed_pdf"]
    assert signed.startswith(original)
    assert len(signed) > len(original)
    assert stored["signatures"] == 1
    # The agent time-stamped with the authority the server offered (the node's built-in one,
    # over HTTP): PAdES B-T, the node's default level.
    assert stored["level"] == "B-T"
    assert stored["indication"] == "TOTAL-PASSED"
    # An independent implementation agrees: poppler's pdfsig (NSS).
    checked = _pdfsig(signed, tmp_path)
    assert "Signature is Valid." in checked
    assert "Total document signed" in checked
    session.refresh_from_db()
    assert session.completed_at is not None
    assert (
        session.result["signer"]["fingerprint"] == hashlib.sha256(token.certificate_der).hexdigest()
    )
    assert session.result["data"] == {"version": 2, "file_url": "/documents/42/v2"}
    assert _actions(session) == [
        "signing.session_opened",
        "signing.session_downloaded",
        "tests.agent_stored",
        "signing.session_completed",
    ]

    # The one-time URLs are spent: the agent run again is refused, and nothing more is stored.
    again = _sign(urls, token)
    assert again.returncode == 1
    refused = _answer(again)
    assert refused["Status"] == sessions.AgentStatus.USED
    assert "already been used" in refused["Message"]
    assert len(handler.completed_with) == 1


def test_digest_mode_keeps_the_pdf_on_the_server(
    live_server: Any, handler: RecordingHandler, signer: Any, token: Any
) -> None:
    original = small_pdf()
    session, secret = _open(signer, mode="digest", pdf=original)
    urls = _urls(live_server, session, secret)
    assert set(urls) == {"digest", "signature"}

    result = run_agent(
        "sign-digest", "--digest", urls["digest"], "--signature-url", urls["signature"], token=token
    )

    assert result.returncode == 0, result.stderr
    assert _answer(result)["Status"] == 0
    [stored] = handler.completed_with
    assert stored["signed_pdf"].startswith(original)
    session.refresh_from_db()
    assert session.completed_at is not None
    assert (
        session.result["signer"]["fingerprint"] == hashlib.sha256(token.certificate_der).hexdigest()
    )

    again = run_agent(
        "sign-digest", "--digest", urls["digest"], "--signature-url", urls["signature"], token=token
    )
    assert again.returncode == 1
    assert _answer(again)["Status"] == sessions.AgentStatus.USED


def test_digest_mode_at_b_lta_embeds_the_long_term_data_on_the_server(
    live_server: Any, handler: RecordingHandler, signer: Any, token: Any, settings: Any
) -> None:
    settings.SIGNING_LEVEL = "B-LTA"
    session, secret = _open(signer, mode="digest")
    urls = _urls(live_server, session, secret)

    result = run_agent(
        "sign-digest", "--digest", urls["digest"], "--signature-url", urls["signature"], token=token
    )

    assert result.returncode == 0, result.stderr
    [stored] = handler.completed_with
    assert stored["level"] == "B-LTA"
    assert stored["indication"] == "TOTAL-PASSED"


def test_pdf_mode_without_time_stamp_is_b_b(
    live_server: Any, handler: RecordingHandler, signer: Any, token: Any
) -> None:
    session, secret = _open(signer)

    result = _sign(_urls(live_server, session, secret), token, extra=("--no-timestamp",))

    assert result.returncode == 0, result.stderr
    [stored] = handler.completed_with
    assert stored["level"] == "B-B"
    assert stored["indication"] == "TOTAL-PASSED"


def test_expired_url_is_refused_and_nothing_is_signed(
    live_server: Any, handler: RecordingHandler, signer: Any, token: Any
) -> None:
    session, secret = _open(signer)
    SigningSession.objects.filter(pk=session.pk).update(
        expires_at=clock.now() - dt.timedelta(seconds=1)
    )

    result = _sign(_urls(live_server, session, secret), token)

    assert result.returncode == 1
    answer = _answer(result)
    assert answer["Status"] == sessions.AgentStatus.EXPIRED
    assert "expired" in answer["Message"]
    assert handler.completed_with == []
    session.refresh_from_db()
    assert session.downloaded_at is None
    assert session.completed_at is None
    event = AuditEvent.objects.get(action="signing.session_refused", object_id=str(session.pk))
    assert event.data["reason"] == "expired"


def test_signature_of_a_certificate_registered_to_another_user_is_refused(
    live_server: Any,
    handler: RecordingHandler,
    signer: Any,
    make_user: Any,
    softhsm_token: Any,
) -> None:
    other = make_user("other")
    register_token(other, softhsm_token)
    session, secret = _open(signer)

    result = _sign(_urls(live_server, session, secret), softhsm_token)

    assert result.returncode == 1
    answer = _answer(result)
    assert answer["Status"] == sessions.AgentStatus.WRONG_SIGNER
    assert "not registered for you" in answer["Message"]
    assert handler.completed_with == []
    assert not AuditEvent.objects.filter(action="tests.agent_stored").exists()
    session.refresh_from_db()
    assert session.completed_at is None
    assert session.result["refused"]["status"] == sessions.AgentStatus.WRONG_SIGNER
    event = AuditEvent.objects.get(action="signing.session_refused", object_id=str(session.pk))
    assert event.data["reason"] == "wrong_signer"


def test_digest_mode_refuses_a_token_that_is_not_the_registered_one(
    live_server: Any,
    handler: RecordingHandler,
    signer: Any,
    token: Any,
    make_softhsm_token: Any,
) -> None:
    stranger = make_softhsm_token("Người Khác")
    session, secret = _open(signer, mode="digest")
    urls = _urls(live_server, session, secret)

    result = run_agent(
        "sign-digest",
        "--digest",
        urls["digest"],
        "--signature-url",
        urls["signature"],
        token=stranger,
    )

    assert result.returncode == 3
    assert "not the one registered for you" in result.stderr
    assert handler.completed_with == []
    session.refresh_from_db()
    assert session.completed_at is None


def test_wrong_pin_fails_clearly_and_leaves_the_session_open(
    live_server: Any, handler: RecordingHandler, signer: Any, token: Any
) -> None:
    session, secret = _open(signer)
    urls = _urls(live_server, session, secret)

    wrong = _sign(urls, token, pin="000000")

    assert wrong.returncode == 3
    assert "The PIN is incorrect." in wrong.stderr
    assert "000000" not in wrong.stderr + wrong.stdout
    session.refresh_from_db()
    assert session.downloaded_at is None
    assert session.completed_at is None
    assert _actions(session) == ["signing.session_opened"]

    # The PIN is asked before the one-time URL is used: the official can simply try again.
    right = _sign(urls, token)
    assert right.returncode == 0, right.stderr
    session.refresh_from_db()
    assert session.completed_at is not None


def test_missing_pin_variable_is_a_usage_error(
    live_server: Any, handler: RecordingHandler, signer: Any, token: Any
) -> None:
    session, secret = _open(signer)

    result = _sign(_urls(live_server, session, secret), token, pin=None)

    assert result.returncode == 2
    assert "AGENT_PIN holds no PIN" in result.stderr


def test_tampered_upload_to_the_running_server_is_refused(
    live_server: Any, handler: RecordingHandler, signer: Any
) -> None:
    """What a tampering client would send, over real HTTP with the agent's own client: a signed
    PDF whose signed bytes were altered after signing."""
    from secretariat_agent.errors import AgentError
    from secretariat_agent.protocol import Http

    from secretariat.signing import keys, pades
    from secretariat.signing.tests.factories import give_certificate

    credential = give_certificate(user=signer)
    session, secret = _open(signer)
    urls = _urls(live_server, session, secret)
    http = Http()
    downloaded, _headers = http.get(urls["download"])
    signed = pades.sign_pdf(
        downloaded, signer=keys.signer_for(credential), level="B-B", reason="Approved"
    )
    tampered = downloaded + signed[len(downloaded) :].replace(b"Approved", b"Apprized")

    with pytest.raises(AgentError) as refused:
        http.post_file(urls["upload"], field="file", file_name="a.pdf", content=tampered)

    assert refused.value.code == "refused"
    assert refused.value.answer is not None
    assert refused.value.answer["Status"] == sessions.AgentStatus.BAD_SIGNATURE
    assert handler.completed_with == []
    session.refresh_from_db()
    assert session.completed_at is None

    # The genuine signature is still accepted: the refusal spent nothing.
    answer = http.post_file(urls["upload"], field="file", file_name="a.pdf", content=signed)
    assert answer["Status"] == 0
