"""The server side of the agent's one-time URLs, driven over HTTP with the test client: what is
accepted once, what is refused (and that a refusal keeps nothing), the page's status API.

The signed PDFs here are made in-process with a certificate of the built-in authority (PKCS#12)
registered for the signer; the real agent on a token is exercised in test_agent_cli.py."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from secretariat.audit.models import AuditEvent
from secretariat.core import clock
from secretariat.core.errors import ValidationFailed
from secretariat.signing import keys, pades, sessions
from secretariat.signing.models import KeyBackend, SigningSession
from secretariat.signing.sessions import AgentStatus
from secretariat.signing.tests.agent_support import (
    PURPOSE,
    RecordingHandler,
    install_handler,
    register_token,
    small_pdf,
)
from secretariat.signing.tests.factories import give_certificate


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> RecordingHandler:
    return install_handler(monkeypatch)


@pytest.fixture
def signer(make_user: Any) -> Any:
    return make_user("signer")


@pytest.fixture
def credential(signer: Any) -> Any:
    """The signer's registered personal certificate (its key kept here, to sign in tests)."""
    return give_certificate(user=signer)


def _open(signer: Any, *, pdf: bytes | None = None, mode: str = "pdf") -> tuple[Any, str]:
    return sessions.open_session(
        actor=signer,
        purpose=PURPOSE,
        subject_id="42",
        pdf=pdf or small_pdf(),
        file_name="Tờ trình.pdf",
        mode=mode,
    )


def _sign(credential: Any, pdf: bytes, *, reason: str = "Approved") -> bytes:
    return pades.sign_pdf(pdf, signer=keys.signer_for(credential), level="B-B", reason=reason)


def _url(name: str, secret: str) -> str:
    return reverse(f"signing:agent_{name}", args=[secret])


def _download(agent: Client, secret: str) -> bytes:
    response = agent.get(_url("download", secret))
    assert response.status_code == 200, response.content
    return bytes(response.content)


def _upload(agent: Client, secret: str, pdf: bytes) -> Any:
    upload = io.BytesIO(pdf)
    upload.name = "signed.pdf"
    return agent.post(_url("upload", secret), {"file": upload})


def _refusals(session: Any) -> list[str]:
    return [
        event.data["reason"]
        for event in AuditEvent.objects.filter(
            action="signing.session_refused", object_id=str(session.pk)
        ).order_by("seq")
    ]


def _stored() -> int:
    return AuditEvent.objects.filter(action="tests.agent_stored").count()


@pytest.fixture
def agent() -> Client:
    """The agent: no session cookie, no CSRF token, CSRF checks on."""
    return Client(enforce_csrf_checks=True)


# --- Opening -----------------------------------------------------------------------------------


def test_open_session_stores_only_the_token_hash_and_is_audited(
    db: Any, handler: RecordingHandler, signer: Any
) -> None:
    session, secret = _open(signer)

    assert session.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    # The copy of the document is encrypted at rest, like the documents app's files.
    assert b"%PDF" not in bytes(session.pdf)
    assert sessions.session_pdf(session).startswith(b"%PDF-")
    assert secret not in json.dumps(session.prepared)
    assert session.expires_at > clock.now()
    assert handler.authorized == [(signer.pk, "42")]
    event = AuditEvent.objects.get(action="signing.session_opened", object_id=str(session.pk))
    assert event.data["purpose"] == PURPOSE
    assert secret not in json.dumps(event.data)


def test_open_session_refuses_unknown_purposes_non_pdfs_and_users_the_app_refuses(
    db: Any, handler: RecordingHandler, signer: Any
) -> None:
    with pytest.raises(ValidationFailed, match="Nothing can be signed"):
        sessions.open_session(
            actor=signer, purpose="nobody.owns.this", subject_id="1", pdf=small_pdf(), file_name="x"
        )
    with pytest.raises(ValidationFailed, match="not a PDF"):
        _open(signer, pdf=b"PK\x03\x04 a zip")
    handler.refused_users.add(signer.pk)
    with pytest.raises(Exception, match="may not sign"):
        _open(signer)
    assert not SigningSession.objects.exists()


def test_digest_mode_needs_a_registered_token_certificate(
    db: Any, handler: RecordingHandler, signer: Any, credential: Any
) -> None:
    # A certificate whose key the server holds is not a token's: the digest mode needs one.
    assert credential.backend == KeyBackend.PKCS12
    with pytest.raises(ValidationFailed, match="No certificate of a USB token"):
        _open(signer, mode="digest")
    assert not SigningSession.objects.exists()


# --- Mode pdf over HTTP --------------------------------------------------------------------------


def test_pdf_mode_download_once_upload_once(
    db: Any, handler: RecordingHandler, signer: Any, credential: Any, agent: Client
) -> None:
    original = small_pdf()
    session, secret = _open(signer, pdf=original)

    response = agent.get(_url("download", secret))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert response.content == original
    assert response["X-Secretariat-Timestamp-Url"].endswith(reverse("signing:tsa"))

    second = agent.get(_url("download", secret))
    assert second.status_code == 409
    assert second.json()["Status"] == AgentStatus.USED

    answer = _upload(agent, secret, _sign(credential, original))
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body == {
        "Status": 0,
        "Message": "The signed document was received.",
        "FileName": "Tờ trình.pdf",
        "FileServer": "http://testserver/documents/42/v2",
        "Result": {"version": 2, "file_url": "/documents/42/v2"},
    }
    session.refresh_from_db()
    assert session.completed_at is not None
    assert session.result["signer"]["fingerprint"] == credential.fingerprint
    # The session's copy of the document is dropped: the app keeps the signed one.
    assert bytes(session.pdf) == b""

    again = _upload(agent, secret, _sign(credential, original))
    assert again.status_code == 409
    assert again.json()["Status"] == AgentStatus.USED
    assert _stored() == 1
    # The second download and the second upload.
    assert _refusals(session) == ["already_used", "already_used"]


def test_unknown_token_answers_the_protocol_json(db: Any, agent: Client) -> None:
    for name, method in (("download", "get"), ("upload", "post"), ("digest", "get")):
        response = getattr(agent, method)(_url(name, "not-a-token"))
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {
            "Status": AgentStatus.NOT_FOUND,
            "Message": "This signing link is not valid.",
            "FileName": "",
            "FileServer": "",
        }


def test_wrong_method_and_wrong_mode_answer_json(
    db: Any, handler: RecordingHandler, signer: Any, agent: Client
) -> None:
    session, secret = _open(signer)

    wrong_method = agent.post(_url("download", secret))
    assert wrong_method.status_code == 405
    assert wrong_method.json()["Status"] == AgentStatus.WRONG_MODE

    wrong_mode = agent.get(_url("digest", secret))
    assert wrong_mode.status_code == 400
    assert wrong_mode.json()["Status"] == AgentStatus.WRONG_MODE
    session.refresh_from_db()
    assert session.downloaded_at is None


def test_upload_before_download_is_refused(
    db: Any, handler: RecordingHandler, signer: Any, credential: Any, agent: Client
) -> None:
    original = small_pdf()
    _session, secret = _open(signer, pdf=original)

    response = _upload(agent, secret, _sign(credential, original))

    assert response.status_code == 409
    assert "not downloaded" in response.json()["Message"]
    assert _stored() == 0


@pytest.mark.parametrize(
    ("tamper", "status"),
    [
        ("not_a_pdf", AgentStatus.BAD_FILE),
        ("no_file_field", AgentStatus.BAD_FILE),
        ("other_document", AgentStatus.NOT_INCREMENTAL),
        ("unsigned_update", AgentStatus.NOT_INCREMENTAL),
        ("two_signatures", AgentStatus.NOT_INCREMENTAL),
        ("altered_after_signing", AgentStatus.BAD_SIGNATURE),
        ("broken_signature", AgentStatus.BAD_SIGNATURE),
    ],
)
def test_tampered_uploads_are_refused_and_keep_nothing(
    db: Any,
    handler: RecordingHandler,
    signer: Any,
    credential: Any,
    agent: Client,
    tamper: str,
    status: int,
) -> None:
    original = small_pdf()
    session, secret = _open(signer, pdf=original)
    downloaded = _download(agent, secret)

    if tamper == "no_file_field":
        response = agent.post(_url("upload", secret), {"other": "x"})
    else:
        if tamper == "not_a_pdf":
            upload = b"not a pdf at all"
        elif tamper == "other_document":
            upload = _sign(credential, small_pdf("Một văn bản khác"))
        elif tamper == "unsigned_update":
            writer = IncrementalPdfFileWriter(io.BytesIO(downloaded))
            writer.root["/Lang"] = writer.root.get("/Lang", None) or _pdf_string("vi")
            out = io.BytesIO()
            writer.write(out)
            upload = out.getvalue()
        elif tamper == "two_signatures":
            upload = _sign(credential, _sign(credential, downloaded), reason="Again")
        elif tamper == "altered_after_signing":
            signed = _sign(credential, downloaded)
            writer = IncrementalPdfFileWriter(io.BytesIO(signed))
            page = writer.root["/Pages"]["/Kids"][0].get_object()
            page["/Rotate"] = _pdf_int(90)
            writer.update_container(page)
            out = io.BytesIO()
            writer.write(out)
            upload = out.getvalue()
        else:  # broken_signature: a byte of the signed part changed
            signed = _sign(credential, downloaded, reason="Approved")
            tail = signed[len(downloaded) :]
            assert tail.count(b"Approved") == 1
            upload = downloaded + tail.replace(b"Approved", b"Apprized")
        response = _upload(agent, secret, upload)

    assert response.status_code == 400, response.content
    assert response.json()["Status"] == status, response.json()
    session.refresh_from_db()
    assert session.completed_at is None
    assert session.result["refused"]["status"] == status
    assert handler.completed_with == []
    assert _stored() == 0
    assert len(_refusals(session)) == 1


def _pdf_string(text: str) -> Any:
    from pyhanko.pdf_utils.generic import pdf_string

    return pdf_string(text)


def _pdf_int(value: int) -> Any:
    from pyhanko.pdf_utils.generic import NumberObject

    return NumberObject(value)


def test_a_refusal_by_the_app_at_completion_keeps_nothing_and_the_session_open(
    db: Any, handler: RecordingHandler, signer: Any, credential: Any, agent: Client
) -> None:
    original = small_pdf()
    session, secret = _open(signer, pdf=original)
    signed = _sign(credential, _download(agent, secret))
    handler.fail_on_completion = True

    response = _upload(agent, secret, signed)

    assert response.status_code == 409
    assert response.json() == {
        "Status": AgentStatus.REFUSED,
        "Message": "The document changed meanwhile.",
        "FileName": "",
        "FileServer": "",
    }
    # The handler's own write happened inside the closing transaction: rolled back with it.
    assert _stored() == 0
    session.refresh_from_db()
    assert session.completed_at is None
    assert not AuditEvent.objects.filter(action="signing.session_completed").exists()
    assert _refusals(session) == ["refused_by_application"]

    # Once the app accepts again, the same upload goes through (the URL was not spent).
    handler.fail_on_completion = False
    assert _upload(agent, secret, signed).status_code == 200
    assert _stored() == 1


def test_a_user_the_app_no_longer_allows_cannot_download(
    db: Any, handler: RecordingHandler, signer: Any, agent: Client
) -> None:
    session, secret = _open(signer)
    handler.refused_users.add(signer.pk)

    response = agent.get(_url("download", secret))

    assert response.status_code == 403
    assert response.json()["Status"] == AgentStatus.REFUSED
    assert response.json()["Message"] == "You may not sign this document."
    session.refresh_from_db()
    assert session.downloaded_at is None


def test_revoked_certificate_is_not_accepted(
    db: Any, handler: RecordingHandler, signer: Any, credential: Any, agent: Client
) -> None:
    from secretariat.signing import pki

    original = small_pdf()
    _session, secret = _open(signer, pdf=original)
    signed = _sign(credential, _download(agent, secret))
    pki.revoke(actor=None, credential=credential)

    response = _upload(agent, secret, signed)

    assert response.status_code == 400
    assert response.json()["Status"] in (AgentStatus.WRONG_SIGNER, AgentStatus.BAD_SIGNATURE)
    assert _stored() == 0


def test_expired_session_refuses_every_step(
    db: Any, handler: RecordingHandler, signer: Any, credential: Any, agent: Client
) -> None:
    original = small_pdf()
    session, secret = _open(signer, pdf=original)
    signed = _sign(credential, _download(agent, secret))
    SigningSession.objects.filter(pk=session.pk).update(
        expires_at=clock.now() - dt.timedelta(seconds=1)
    )

    response = _upload(agent, secret, signed)

    assert response.status_code == 410
    assert response.json()["Status"] == AgentStatus.EXPIRED
    assert _stored() == 0
    assert _refusals(session) == ["expired"]


# --- Mode digest over HTTP -----------------------------------------------------------------------


def test_digest_mode_refuses_a_bad_signature_value(
    db: Any, handler: RecordingHandler, signer: Any, softhsm_token: Any, agent: Client
) -> None:

    register_token(signer, softhsm_token)
    session, secret = _open(signer, mode="digest")

    facts = agent.get(_url("digest", secret)).json()
    assert facts["Status"] == 0
    assert facts["algorithm"] == "sha256_rsa"
    assert facts["certificate_sha256"] == hashlib.sha256(softhsm_token.certificate_der).hexdigest()
    assert base64.b64decode(facts["to_sign"])

    not_base64 = agent.post(
        _url("signature", secret), {"signature": "***"}, content_type="application/json"
    )
    assert not_base64.status_code == 400
    assert not_base64.json()["Status"] == AgentStatus.BAD_FILE

    wrong = agent.post(
        _url("signature", secret),
        {"signature": base64.b64encode(b"\x01" * 256).decode()},
        content_type="application/json",
    )
    assert wrong.status_code == 400
    assert wrong.json()["Status"] == AgentStatus.BAD_SIGNATURE
    assert "does not match" in wrong.json()["Message"]
    session.refresh_from_db()
    assert session.completed_at is None
    assert _stored() == 0


# --- The page's side -----------------------------------------------------------------------------


def test_status_api_follows_the_session_for_its_own_user_only(
    db: Any,
    handler: RecordingHandler,
    signer: Any,
    credential: Any,
    make_user: Any,
    agent: Client,
) -> None:
    original = small_pdf()
    session, secret = _open(signer, pdf=original)
    url = sessions.agent_links(session, secret)["status"]
    page = Client()
    page.force_login(signer)

    assert page.get(url).json()["state"] == "open"
    _download(agent, secret)
    assert page.get(url).json()["state"] == "downloaded"
    _upload(agent, secret, _sign(credential, original))
    body = page.get(url).json()
    assert body["state"] == "completed"
    assert body["result"]["data"] == {"version": 2, "file_url": "/documents/42/v2"}

    stranger = Client()
    stranger.force_login(make_user("stranger"))
    assert stranger.get(url).status_code == 404
    assert Client().get(url).status_code == 401

    SigningSession.objects.filter(pk=session.pk).update(completed_at=None)
    SigningSession.objects.filter(pk=session.pk).update(
        expires_at=clock.now() - dt.timedelta(seconds=1)
    )
    assert page.get(url).json()["state"] == "expired"


def test_the_button_include_hands_the_urls_to_the_script(
    db: Any, handler: RecordingHandler, signer: Any
) -> None:
    session, secret = _open(signer)
    links = sessions.agent_links(session, secret)

    html = render_to_string("signing/_agent_button.html", {"agent": links})

    assert f'data-download="{_url("download", secret)}"' in html
    assert f'data-upload="{_url("upload", secret)}"' in html
    assert f'data-status-url="{links["status"]}"' in html
    assert 'data-port="8987"' in html
    assert "data-autostart" in html
    assert "signing/agent.js" in html
    assert reverse("javascript-catalog") in html


@pytest.mark.parametrize(
    ("level", "tsa_url", "offered"),
    [
        ("B-T", "", "built-in"),
        ("B-LTA", "https://tsa.example.vn/tsr", "https://tsa.example.vn/tsr"),
        ("B-B", "https://tsa.example.vn/tsr", None),
    ],
)
def test_download_offers_the_nodes_time_stamp_authority_for_its_level(
    db: Any,
    handler: RecordingHandler,
    signer: Any,
    agent: Client,
    settings: Any,
    level: str,
    tsa_url: str,
    offered: str | None,
) -> None:
    settings.SIGNING_LEVEL = level
    settings.SIGNING_TSA_URL = tsa_url
    _session, secret = _open(signer)

    response = agent.get(_url("download", secret))

    header = response.get("X-Secretariat-Timestamp-Url")
    if offered == "built-in":
        assert header == "http://testserver" + reverse("signing:tsa")
    else:
        assert header == offered


def test_purge_deletes_sessions_that_expired_unused(
    db: Any, handler: RecordingHandler, signer: Any, credential: Any, agent: Client
) -> None:
    long_ago, _ = _open(signer)
    recently, _ = _open(signer)
    original = small_pdf()
    completed, secret = _open(signer, pdf=original)
    _download(agent, secret)
    _upload(agent, secret, _sign(credential, original))
    SigningSession.objects.filter(pk__in=[long_ago.pk, completed.pk]).update(
        expires_at=clock.now() - dt.timedelta(days=2)
    )
    SigningSession.objects.filter(pk=recently.pk).update(
        expires_at=clock.now() - dt.timedelta(minutes=5)
    )

    assert sessions.purge_expired() == 1

    assert set(SigningSession.objects.values_list("pk", flat=True)) == {recently.pk, completed.pk}
    event = AuditEvent.objects.get(action="signing.sessions_purged")
    assert event.data["count"] == 1
    assert sessions.purge_expired() == 0
