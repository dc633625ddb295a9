"""Minutes signed with a key on a USB token: the workstation agent's session opened from the
minutes page for the signer whose turn it is, re-checked by `MinutesSignatureHandler` at every
step (wrong turn, changed version: refused, nothing kept) and, once the agent uploads, the signed
PDF kept as the document's next version, validated, and the signer marked.

The end-to-end test runs the real `secretariat-agent` against SoftHSM2 tokens and a live server,
as the signing app's agent tests do; the refusals drive the session endpoints with a PDF signed
in the test by the signer's registered certificate, as the signing app's session tests do."""

from __future__ import annotations

import io
import json
import unicodedata
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature

from secretariat.audit.models import AuditEvent
from secretariat.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from secretariat.documents.models import DocumentVersion
from secretariat.meetings import minutes_pdf
from secretariat.meetings.models import MeetingKind, MeetingState, Minutes, MinutesState
from secretariat.meetings.services import minutes as svc
from secretariat.meetings.tests.room_factories import make_meeting
from secretariat.signing import appearance, hooks, keys, pades, sessions, trust
from secretariat.signing.models import SigningSession
from secretariat.signing.sessions import AgentStatus

# The signing app's SoftHSM2 fixtures (a real PKCS#11 token) and the agent's runner.
from secretariat.signing.tests.agent_support import register_token, run_agent
from secretariat.signing.tests.conftest import (  # noqa: F401
    make_softhsm_token,
    softhsm_dir,
)
from secretariat.signing.tests.factories import give_certificate


def _people(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    cell = tree["cell_a"]

    def person(username: str, name: str) -> Any:
        user = make_user(username, position=(cell, "Đảng viên"))
        user.full_name = name
        user.save(update_fields=["full_name"])
        return user

    return {
        "chair": person("chair", "Nguyễn Thị Hằng"),
        "secretary": person("secretary", "Lê Thu Trang"),
        "duc": person("duc", "Trần Văn Đức"),
        "outsider": make_user("outsider", position=(tree["cell_b"], "Đảng viên")),
    }


def _final_minutes(people: dict[str, Any], tree: dict[str, Any]) -> Any:
    """A closed cell meeting whose minutes are rendered and registered (version 1)."""
    meeting = make_meeting(
        unit=tree["cell_a"],
        chair=people["chair"],
        secretary=people["secretary"],
        members=[people["duc"]],
        title="Sinh hoạt chi bộ tháng 6 năm 2026",
        state=MeetingState.CLOSED,
        kind=MeetingKind.CELL,
        items=1,
    )
    svc.minutes_draft(actor=people["secretary"], meeting=meeting)
    svc.minutes_finalize(actor=people["secretary"], meeting=meeting)
    return meeting


def _minutes(meeting: Any) -> Minutes:
    return Minutes.objects.get(meeting=meeting)


def _versions(meeting: Any) -> int:
    document_id = _minutes(meeting).document_id
    assert document_id is not None
    return DocumentVersion.objects.filter(document_id=document_id).count()


def _validated(pdf: bytes) -> list[str]:
    """The signers' names of every signature of `pdf`, each intact, valid and trusted for
    pyHanko."""
    names = []
    for signature in PdfFileReader(io.BytesIO(pdf)).embedded_signatures:
        status = validate_pdf_signature(signature, trust.validation_context(allow_fetching=False))
        assert status.intact
        assert status.valid
        assert status.trusted
        names.append(unicodedata.normalize("NFC", status.signing_cert.subject.human_friendly))
    return names


def test_the_handler_is_registered_for_its_purpose() -> None:
    assert hooks.session_handler(svc.PURPOSE_SIGNATURE) is svc.minutes_signature_handler


# --- End to end: the real agent on SoftHSM2 tokens ----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_secretary_then_chair_sign_with_their_tokens_through_the_real_agent(
    live_server: Any,
    tree: dict[str, Any],
    make_user: Any,
    make_softhsm_token: Any,  # noqa: F811
) -> None:
    people = _people(tree, make_user)
    secretary, chair = people["secretary"], people["chair"]
    secretary_token = make_softhsm_token("Lê Thu Trang")
    chair_token = make_softhsm_token("Nguyễn Thị Hằng")
    register_token(secretary, secretary_token)
    register_token(chair, chair_token)
    assert svc.signing_mode(secretary) == svc.signing_mode(chair) == "agent"
    meeting = _final_minutes(people, tree)
    original = svc.current_pdf(_minutes(meeting))

    # The secretary, digest mode: the server builds the signature, stamp in the secretary's box.
    session, secret = svc.minutes_sign_session(actor=secretary, meeting=meeting, mode="digest")
    links = sessions.agent_links(session, secret)
    result = run_agent(
        "sign-digest",
        "--digest",
        live_server.url + links["digest"],
        "--signature-url",
        live_server.url + links["signature"],
        token=secretary_token,
    )
    assert result.returncode == 0, (result.stdout, result.stderr)
    minutes = _minutes(meeting)
    assert minutes.signed_by_secretary_at is not None
    assert minutes.signed_by_chair_at is None
    assert svc.next_signer(minutes) == "chair"
    after_secretary = svc.current_pdf(minutes)
    assert after_secretary.startswith(original)
    widget = appearance.last_signature_widget(after_secretary)
    assert widget is not None
    assert widget[1] == pytest.approx(minutes_pdf.SECRETARY_BOX, abs=0.01)
    session.refresh_from_db()
    assert session.result["data"] == {"state": MinutesState.FINAL, "version": 2}

    # The chair, PDF mode: the agent downloads, signs on the token (time-stamped), uploads.
    session, secret = svc.minutes_sign_session(actor=chair, meeting=meeting, mode="pdf")
    links = sessions.agent_links(session, secret)
    result = run_agent(
        "sign",
        "--download",
        live_server.url + links["download"],
        "--upload",
        live_server.url + links["upload"],
        token=chair_token,
    )
    assert result.returncode == 0, (result.stdout, result.stderr)
    minutes = _minutes(meeting)
    assert minutes.state == MinutesState.SIGNED
    assert minutes.signed_by_chair_at is not None
    assert minutes.document is not None
    assert minutes.document.signer_name == "Nguyễn Thị Hằng"
    version = svc.current_version(minutes)
    assert version is not None
    assert version.number == 3
    assert (version.signature_check or {}).get("status") == "passed"
    signed = svc.current_pdf(minutes)
    assert signed.startswith(after_secretary)
    names = _validated(signed)
    assert len(names) == 2
    assert "Lê Thu Trang" in names[0]
    assert "Nguyễn Thị Hằng" in names[1]
    events = AuditEvent.objects.filter(action="meetings.minutes_signed").order_by("seq")
    assert [(e.data["as"], e.data["method"], e.data["mode"]) for e in events] == [
        ("secretary", "agent", "digest"),
        ("chair", "agent", "pdf"),
    ]
    assert [e.actor_id for e in events] == [secretary.pk, chair.pk]


# --- The handler's checks, through the session endpoints ----------------------------------------


@pytest.fixture
def final(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    """Minutes waiting for signatures; secretary and chair hold a registered certificate whose
    key the test can use to sign as their token would."""
    people = _people(tree, make_user)
    people["secretary_credential"] = give_certificate(user=people["secretary"])
    people["chair_credential"] = give_certificate(user=people["chair"])
    people["meeting"] = _final_minutes(people, tree)
    return people


@pytest.fixture
def agent() -> Client:
    """The agent: no session cookie, CSRF checks on."""
    return Client(enforce_csrf_checks=True)


def _sign(credential: Any, pdf: bytes) -> bytes:
    return pades.sign_pdf(pdf, signer=keys.signer_for(credential), level="B-B", reason="Ký")


def _download(agent: Client, secret: str) -> Any:
    return agent.get(reverse("signing:agent_download", args=[secret]))


def _upload(agent: Client, secret: str, pdf: bytes) -> Any:
    upload = io.BytesIO(pdf)
    upload.name = "signed.pdf"
    return agent.post(reverse("signing:agent_upload", args=[secret]), {"file": upload})


def _signed_events() -> int:
    return AuditEvent.objects.filter(action="meetings.minutes_signed").count()


@pytest.mark.django_db
def test_sessions_open_only_for_the_signer_whose_turn_it_is(final: dict[str, Any]) -> None:
    meeting = final["meeting"]
    with pytest.raises(Conflict, match="secretary signs the minutes first"):
        svc.minutes_sign_session(actor=final["chair"], meeting=meeting)
    with pytest.raises(PermissionDenied):
        svc.minutes_sign_session(actor=final["duc"], meeting=meeting)
    with pytest.raises(NotFound):
        svc.minutes_sign_session(actor=final["outsider"], meeting=meeting)
    with pytest.raises(ValidationFailed):
        svc.minutes_sign_session(actor=final["secretary"], meeting=meeting, mode="fax")
    assert not SigningSession.objects.exists()

    session, _secret = svc.minutes_sign_session(actor=final["secretary"], meeting=meeting)
    minutes = _minutes(meeting)
    assert session.purpose == svc.PURPOSE_SIGNATURE
    # The subject pins the signer's turn and the version of the document.
    assert session.subject_id == f"{minutes.pk}:secretary:1"
    assert session.file_name == svc._file_name(meeting)


@pytest.mark.django_db
def test_upload_stores_a_validated_version_and_marks_the_signer(
    final: dict[str, Any], agent: Client
) -> None:
    meeting = final["meeting"]
    secretary = final["secretary"]
    session, secret = svc.minutes_sign_session(actor=secretary, meeting=meeting, mode="pdf")
    pdf = _download(agent, secret).content
    assert pdf == svc.current_pdf(_minutes(meeting))

    answer = _upload(agent, secret, _sign(final["secretary_credential"], pdf))

    assert answer.status_code == 200, answer.content
    assert answer.json()["Result"] == {"state": MinutesState.FINAL, "version": 2}
    minutes = _minutes(meeting)
    assert minutes.signed_by_secretary_at is not None
    assert svc.next_signer(minutes) == "chair"
    version = svc.current_version(minutes)
    assert version is not None
    assert version.number == 2
    assert (version.signature_check or {}).get("status") == "passed"
    assert "Lê Thu Trang" in _validated(svc.current_pdf(minutes))[0]
    event = AuditEvent.objects.get(action="meetings.minutes_signed")
    assert event.actor_id == secretary.pk
    assert event.data["as"] == "secretary"
    assert event.data["session"] == str(session.pk)
    assert event.object_id == str(minutes.pk)

    # The chair's turn now; the secretary cannot open another session.
    with pytest.raises(PermissionDenied):
        svc.minutes_sign_session(actor=secretary, meeting=meeting)
    _session, secret = svc.minutes_sign_session(actor=final["chair"], meeting=meeting)
    pdf = _download(agent, secret).content
    answer = _upload(agent, secret, _sign(final["chair_credential"], pdf))
    assert answer.status_code == 200, answer.content
    minutes = _minutes(meeting)
    assert minutes.state == MinutesState.SIGNED
    assert minutes.signed_by_chair_at is not None
    assert len(_validated(svc.current_pdf(minutes))) == 2


@pytest.mark.django_db
def test_a_session_whose_turn_has_passed_is_refused_and_keeps_nothing(
    final: dict[str, Any], agent: Client, totp_code: Any
) -> None:
    meeting = final["meeting"]
    secretary = final["secretary"]
    _session, secret = svc.minutes_sign_session(actor=secretary, meeting=meeting)
    pdf = _download(agent, secret).content
    # Meanwhile the secretary signs with the server-side path.
    svc.minutes_sign(actor=secretary, meeting=meeting, confirmation=totp_code(secretary))
    assert _versions(meeting) == 2

    answer = _upload(agent, secret, _sign(final["secretary_credential"], pdf))

    assert answer.status_code == 409
    assert answer.json()["Status"] == AgentStatus.REFUSED
    assert "changed since the signature was started" in answer.json()["Message"]
    assert _versions(meeting) == 2
    assert _signed_events() == 1
    assert _minutes(meeting).signed_by_chair_at is None


@pytest.mark.django_db
def test_a_changed_version_is_refused_at_download_and_at_upload(
    final: dict[str, Any], agent: Client
) -> None:
    meeting = final["meeting"]
    secretary = final["secretary"]

    # Reopened and rendered again before the agent downloads: the session is refused.
    _session, early = svc.minutes_sign_session(actor=secretary, meeting=meeting)
    svc.minutes_reopen(actor=secretary, meeting=meeting)
    svc.minutes_finalize(actor=secretary, meeting=meeting)
    refused = _download(agent, early)
    assert refused.status_code == 409
    assert refused.json()["Status"] == AgentStatus.REFUSED

    # Reopened and rendered again between the download and the upload: refused, nothing kept.
    session, late = svc.minutes_sign_session(actor=secretary, meeting=meeting)
    assert session.subject_id.endswith(":secretary:2")
    pdf = _download(agent, late).content
    svc.minutes_reopen(actor=secretary, meeting=meeting)
    svc.minutes_finalize(actor=secretary, meeting=meeting)
    answer = _upload(agent, late, _sign(final["secretary_credential"], pdf))
    assert answer.status_code == 409
    assert answer.json()["Status"] == AgentStatus.REFUSED
    assert _versions(meeting) == 3
    assert _signed_events() == 0
    minutes = _minutes(meeting)
    assert minutes.signed_by_secretary_at is None
    session.refresh_from_db()
    assert session.completed_at is None
    assert session.result["refused"]["status"] == AgentStatus.REFUSED


@pytest.mark.django_db
def test_the_handler_refuses_unknown_subjects_and_other_users(final: dict[str, Any]) -> None:
    handler = svc.minutes_signature_handler
    minutes = _minutes(final["meeting"])
    for subject in ("", "nope", f"{minutes.pk}:mayor:1", f"{minutes.pk}:secretary:x"):
        with pytest.raises(NotFound):
            handler.authorize(user=final["secretary"], subject_id=subject)
    handler.authorize(user=final["secretary"], subject_id=f"{minutes.pk}:secretary:1")
    with pytest.raises(Conflict):
        handler.authorize(user=final["secretary"], subject_id=f"{minutes.pk}:secretary:2")
    with pytest.raises(Conflict):
        handler.authorize(user=final["secretary"], subject_id=f"{minutes.pk}:chair:1")
    with pytest.raises(PermissionDenied):
        handler.authorize(user=final["duc"], subject_id=f"{minutes.pk}:secretary:1")
    with pytest.raises(NotFound):
        handler.authorize(user=final["outsider"], subject_id=f"{minutes.pk}:secretary:1")


# --- The page ---------------------------------------------------------------------------------


def _client(user: Any) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


@pytest.mark.django_db
def test_the_page_offers_the_token_and_hands_the_session_to_the_agent(
    tree: dict[str, Any],
    make_user: Any,
    make_softhsm_token: Any,  # noqa: F811
) -> None:
    people = _people(tree, make_user)
    secretary = people["secretary"]
    register_token(secretary, make_softhsm_token("Lê Thu Trang"))
    meeting = _final_minutes(people, tree)
    page_url = reverse("meetings:minutes", args=[meeting.pk])
    sign_url = reverse("meetings:minutes_sign_agent", args=[meeting.pk])

    body = _client(secretary).get(page_url).content.decode()
    assert "not available yet" not in body
    assert sign_url in body
    assert 'id="minutes-sign-agent"' in body
    # The chair waits for the secretary: no button, and a POST is refused with the reason.
    assert sign_url not in _client(people["chair"]).get(page_url).content.decode()
    early = _client(people["chair"]).post(sign_url, {"mode": "digest"})
    assert early.status_code == 409
    assert "secretary signs the minutes first" in early.content.decode()
    assert _client(people["duc"]).post(sign_url, {"mode": "digest"}).status_code == 403
    assert _client(people["outsider"]).post(sign_url, {"mode": "digest"}).status_code == 404
    bad = _client(secretary).post(sign_url, {"mode": "fax"})
    assert bad.status_code == 400
    assert not SigningSession.objects.exists()

    opened = _client(secretary).post(sign_url, {"mode": "digest"})

    assert opened.status_code == 200
    page = opened.content.decode()
    session = SigningSession.objects.get()
    assert session.user_id == secretary.pk
    assert "data-signing-agent" in page
    assert f'data-session="{session.pk}"' in page
    assert 'data-digest="/' in page
    assert 'data-signature="/' in page
    assert 'data-mode="digest"' in page
    assert reverse("api:get_session", kwargs={"session_id": session.pk}) in page
    # The session keeps the token's hash only; the page never shows it.
    assert session.token_hash not in page
    assert "to_sign" in json.dumps(session.prepared)
