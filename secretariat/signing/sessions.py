"""The workstation signing agent's sessions: one-time URLs, the signed PDF's checks, the hand-over
to the app that asked for the signature (DOMAIN.md §4, issue 4 "Signing paths" 1).

An app opens a session for (purpose, subject_id) with the PDF to sign; it gets the session and a
random token (only its SHA-256 is stored) from which the agent's URLs are made. Two modes:

* `pdf`: the agent downloads the PDF once, signs it on the USB token and uploads it once. The
  upload must be the downloaded bytes plus an incremental update adding exactly one signature,
  valid, intact, covering the whole file, made with a certificate registered for the session's
  user (a personal credential, active, not revoked).
* `digest`: the PDF stays here. At opening, pyHanko prepares the signature for the user's
  registered workstation certificate (`pades.prepare_external`); the agent fetches the bytes to
  sign once, signs them on the token and posts the signature value once; the server embeds it
  (`pades.complete_external`) and checks the result like an upload.

The handler the app registered for the purpose (`hooks.SessionHandler`) re-checks the user's
right at every step and receives the signed PDF inside the transaction that closes the session.
A refusal keeps nothing of the attempt: only the refusal itself is recorded (audit event and the
session's `result["refused"]`, which the page polling the session shows).
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import io
import logging
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from secretariat.audit.services import record
from secretariat.core import clock
from secretariat.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from secretariat.core.keys import seal, unseal
from secretariat.core.locks import for_update

from . import pki
from .hooks import SessionHandler, session_handler
from .models import (
    AnchorKind,
    Credential,
    CredentialPurpose,
    KeyBackend,
    SessionMode,
    SigningSession,
    TrustAnchor,
)

logger = logging.getLogger(__name__)

# The algorithm of the digest mode: PKCS#1 v1.5 over SHA-256 of `to_sign` (CKM_SHA256_RSA_PKCS).
DIGEST_ALGORITHM = "sha256_rsa"


class AgentStatus(enum.IntEnum):
    """`Status` of the agent's JSON answers (0: success). Stable: agents rely on them."""

    OK = 0
    NOT_FOUND = 1
    EXPIRED = 2
    USED = 3
    BAD_FILE = 4
    NOT_INCREMENTAL = 5
    BAD_SIGNATURE = 6
    WRONG_SIGNER = 7
    REFUSED = 8
    WRONG_MODE = 9
    SERVER_ERROR = 99


# Audit reasons of refusals, by status (the viewer shows them; no free text from the agent).
_REASONS = {
    AgentStatus.NOT_FOUND: "not_found",
    AgentStatus.EXPIRED: "expired",
    AgentStatus.USED: "already_used",
    AgentStatus.BAD_FILE: "bad_file",
    AgentStatus.NOT_INCREMENTAL: "not_incremental",
    AgentStatus.BAD_SIGNATURE: "bad_signature",
    AgentStatus.WRONG_SIGNER: "wrong_signer",
    AgentStatus.REFUSED: "refused_by_application",
    AgentStatus.WRONG_MODE: "wrong_mode",
}


def agent_status(error: DomainError) -> AgentStatus:
    """The protocol's status for a refusal (errors raised by handlers: `REFUSED`)."""
    return getattr(error, "agent_status", AgentStatus.REFUSED)


def _error(kind: type[DomainError], status: AgentStatus, message: str) -> DomainError:
    error = kind(message)
    error.agent_status = status  # type: ignore[attr-defined]
    return error


def bad_file(message: str) -> DomainError:
    """The refusal of an upload that is not what the protocol expects."""
    return _error(ValidationFailed, AgentStatus.BAD_FILE, message)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionState(enum.StrEnum):
    OPEN = "open"
    DOWNLOADED = "downloaded"
    COMPLETED = "completed"
    EXPIRED = "expired"


def state(session: SigningSession, *, now: dt.datetime | None = None) -> SessionState:
    if session.completed_at is not None:
        return SessionState.COMPLETED
    if (now or clock.now()) >= session.expires_at:
        return SessionState.EXPIRED
    if session.downloaded_at is not None:
        return SessionState.DOWNLOADED
    return SessionState.OPEN


# --- Opening --------------------------------------------------------------------------------


def _handler(purpose: str) -> SessionHandler:
    handler = session_handler(purpose)
    if handler is None:
        raise _error(
            ValidationFailed,
            AgentStatus.REFUSED,
            _("Nothing can be signed for “%(purpose)s” here.") % {"purpose": purpose},
        )
    return handler


def _check_pdf(pdf: bytes) -> None:
    if not pdf.startswith(b"%PDF-"):
        raise _error(ValidationFailed, AgentStatus.BAD_FILE, _("The file is not a PDF."))
    if len(pdf) > settings.MAX_UPLOAD_MB * 1024 * 1024:
        raise _error(
            ValidationFailed,
            AgentStatus.BAD_FILE,
            _("The file is larger than %(size)d MB.") % {"size": settings.MAX_UPLOAD_MB},
        )


def _usable(credentials: Any) -> Any:
    now = clock.now()
    return credentials.filter(
        purpose=CredentialPurpose.PERSONAL,
        active=True,
        revoked_at__isnull=True,
        not_before__lte=now,
        not_after__gt=now,
    )


def workstation_credential(user: Any) -> Credential:
    """The user's registered certificate of a workstation token (the newest usable one)."""
    found = (
        _usable(Credential.objects.filter(user=user, backend=KeyBackend.WORKSTATION))
        .order_by("-created_at")
        .first()
    )
    if found is None:
        raise ValidationFailed(
            _(
                "No certificate of a USB token is registered for you. Ask an administrator to"
                " register your token's certificate."
            )
        )
    return found


def _chain(certificate_der: bytes) -> list[bytes]:
    """The certificates of the trust store above `certificate_der`, nearest first."""
    chain: list[bytes] = []
    current = x509.load_der_x509_certificate(certificate_der)
    anchors = {
        x509.load_der_x509_certificate(bytes(der)).subject: bytes(der)
        for der in TrustAnchor.objects.filter(
            active=True, kind__in=[AnchorKind.INTERMEDIATE, AnchorKind.ROOT]
        ).values_list("certificate", flat=True)
    }
    for _depth in range(8):
        if current.issuer == current.subject:
            break
        der = anchors.get(current.issuer)
        if der is None or der in chain:
            break
        chain.append(der)
        current = x509.load_der_x509_certificate(der)
    return chain


def open_session(
    *,
    actor: Any,
    purpose: str,
    subject_id: str,
    pdf: bytes,
    file_name: str,
    mode: str = SessionMode.PDF,
    level: str | None = None,
    stamp: Any = None,
    field_name: str | None = None,
) -> tuple[SigningSession, str]:
    """Open a one-time signing session of `actor` for (`purpose`, `subject_id`) on `pdf` (the
    bytes the app wants signed). Returns the session and the token of its URLs (shown once,
    never stored). In digest mode the signature is prepared now, for the actor's registered
    workstation certificate, at `level` with the visible `stamp` (see `pades.prepare_external`).

    Composes with the caller's transaction (the app may record its own step with it)."""
    if mode not in SessionMode.values:
        raise ValidationFailed(_("Unknown signing mode."))
    handler = _handler(purpose)
    handler.authorize(user=actor, subject_id=subject_id)
    _check_pdf(pdf)
    token = pki.random_token()
    session = SigningSession(
        user=actor,
        purpose=purpose,
        subject_id=str(subject_id),
        mode=mode,
        token_hash=token_hash(token),
        file_name=(file_name or "document.pdf")[:200],
        pdf=b"",
        prepared={"original_length": len(pdf), "original_sha256": hashlib.sha256(pdf).hexdigest()},
        expires_at=clock.now() + dt.timedelta(minutes=settings.SIGNING_SESSION_MINUTES),
    )
    if mode == SessionMode.DIGEST:
        from . import pades

        credential = workstation_credential(actor)
        certificate_der = bytes(credential.certificate)
        try:
            prepared = pades.prepare_external(
                pdf,
                certificate_der=certificate_der,
                chain_der=_chain(certificate_der),
                level=level,
                stamp=stamp,
                field_name=field_name,
            )
        except DomainError:
            raise
        except Exception as problem:
            logger.info("preparing a signature of %s failed: %s", file_name, problem)
            raise _error(
                ValidationFailed,
                AgentStatus.BAD_FILE,
                _("This PDF cannot be prepared for signing."),
            ) from problem
        pdf = prepared.pdf
        session.prepared |= {
            "to_sign": base64.b64encode(prepared.to_sign).decode(),
            "state": prepared.state,
            "credential": credential.fingerprint,
        }
    session.pdf = _seal_pdf(session, pdf)
    with transaction.atomic():
        session.save()
        record(
            actor=actor,
            action="signing.session_opened",
            obj=session,
            data={
                "purpose": purpose,
                "subject_id": session.subject_id,
                "mode": mode,
                "file_name": session.file_name,
                "sha256": session.prepared["original_sha256"],
            },
        )
    return session, token


def _pdf_context(session: SigningSession) -> str:
    return f"signing.session-pdf:{session.pk}"


def _seal_pdf(session: SigningSession, pdf: bytes) -> bytes:
    # The document leaves the documents app, which keeps files encrypted at rest: so is its
    # copy here, until the session ends (`_finish` and `purge_expired` drop it).
    return seal(pdf, context=_pdf_context(session))


def session_pdf(session: SigningSession) -> bytes:
    """The PDF the session hands to the agent (mode pdf) or prepared for it (mode digest)."""
    if not session.pdf:
        raise _error(Conflict, AgentStatus.USED, _("This signing link has already been used."))
    return unseal(bytes(session.pdf), context=_pdf_context(session))


# --- The agent's steps ------------------------------------------------------------------------


def find(token: str) -> SigningSession:
    """The session of a one-time token (any state), or NotFound."""
    session = (
        SigningSession.objects.select_related("user").filter(token_hash=token_hash(token)).first()
        if token
        else None
    )
    if session is None:
        raise _error(NotFound, AgentStatus.NOT_FOUND, _("This signing link is not valid."))
    return session


def _check_open(session: SigningSession, *, mode: str, fetched: bool | None) -> None:
    """Refuse unless the session is in `mode`, not completed, not expired, and its document
    was (`fetched=True`) or was not yet (`False`) handed to the agent."""
    current = state(session)
    if current == SessionState.COMPLETED:
        raise _error(Conflict, AgentStatus.USED, _("This signing link has already been used."))
    if current == SessionState.EXPIRED:
        raise _error(
            Conflict,
            AgentStatus.EXPIRED,
            _("This signing link has expired. Start the signature again from the page."),
        )
    if session.mode != mode:
        raise _error(
            ValidationFailed,
            AgentStatus.WRONG_MODE,
            _("This signing link is for the other signing mode."),
        )
    if fetched is False and session.downloaded_at is not None:
        raise _error(Conflict, AgentStatus.USED, _("This signing link has already been used."))
    if fetched is True and session.downloaded_at is None:
        raise _error(
            Conflict,
            AgentStatus.USED,
            _("The document of this signing link was not downloaded by the agent."),
        )


def language_of(session: SigningSession) -> str:
    """The session user's language (the agent's requests carry no browser preferences)."""
    return str(getattr(session.user, "language", "") or settings.LANGUAGE_CODE)


def _record_refusal(session: SigningSession, error: DomainError) -> None:
    status = agent_status(error)
    with translation.override(language_of(session)), transaction.atomic():
        SigningSession.objects.filter(pk=session.pk, completed_at__isnull=True).update(
            result={"refused": {"status": int(status), "message": str(error.message)}},
            updated_at=clock.now(),
        )
        record(
            actor=session.user,
            action="signing.session_refused",
            obj=session,
            data={
                "purpose": session.purpose,
                "subject_id": session.subject_id,
                "mode": session.mode,
                "reason": _REASONS.get(status, "refused_by_application"),
                "status": int(status),
            },
        )


def _fetch(token: str, *, mode: str) -> SigningSession:
    """Hand the session's document (or bytes to sign) to the agent, once."""
    session = find(token)
    try:
        with transaction.atomic(durable=True):
            locked = for_update(SigningSession.objects.select_related("user")).get(pk=session.pk)
            _check_open(locked, mode=mode, fetched=False)
            _handler(locked.purpose).authorize(user=locked.user, subject_id=locked.subject_id)
            locked.downloaded_at = clock.now()
            locked.save(update_fields=["downloaded_at", "updated_at"])
            record(
                actor=locked.user,
                action="signing.session_downloaded",
                obj=locked,
                data={"purpose": locked.purpose, "subject_id": locked.subject_id, "mode": mode},
            )
        return locked
    except DomainError as error:
        _record_refusal(session, error)
        raise


def download(token: str) -> SigningSession:
    """Mode pdf: the session whose `pdf` the agent downloads (once)."""
    return _fetch(token, mode=SessionMode.PDF)


def digest(token: str) -> tuple[SigningSession, dict[str, str]]:
    """Mode digest: what the agent signs (once): the bytes to sign (base64), the algorithm,
    and the SHA-256 fingerprint of the certificate that must sign them."""
    session = _fetch(token, mode=SessionMode.DIGEST)
    return session, {
        "to_sign": session.prepared["to_sign"],
        "algorithm": DIGEST_ALGORITHM,
        "certificate_sha256": session.prepared["credential"],
    }


def refuse(token: str, error: DomainError) -> DomainError:
    """Record the refusal of a request the endpoint itself found wrong (e.g. no file in the
    upload) against the token's session; returns the error to raise (NotFound when the token
    is unknown, the "already used" refusal when the session is completed)."""
    session = find(token)
    if session.completed_at is not None:
        return _error(Conflict, AgentStatus.USED, _("This signing link has already been used."))
    _record_refusal(session, error)
    return error


@dataclass(frozen=True)
class Completed:
    session: SigningSession
    data: dict[str, Any]  # what the handler returned


def complete_upload(token: str, signed_pdf: bytes) -> Completed:
    """Mode pdf: accept the signed PDF once, if it is the downloaded one signed by the user."""
    session = find(token)
    try:
        _check_open(session, mode=SessionMode.PDF, fetched=True)
        _check_pdf(signed_pdf)
        return _finish(session, signed_pdf)
    except DomainError as error:
        _record_refusal(session, error)
        raise


def complete_digest(token: str, signature_value: bytes) -> Completed:
    """Mode digest: embed the agent's signature value in the prepared PDF, once."""
    session = find(token)
    try:
        _check_open(session, mode=SessionMode.DIGEST, fetched=True)
        credential = Credential.objects.filter(fingerprint=session.prepared["credential"]).first()
        if credential is None:
            raise _error(
                ValidationFailed,
                AgentStatus.WRONG_SIGNER,
                _("The certificate this signature was prepared for is no longer registered."),
            )
        to_sign = base64.b64decode(session.prepared["to_sign"])
        _check_signature_value(bytes(credential.certificate), to_sign, signature_value)
        from . import pades

        try:
            signed_pdf = pades.complete_external(
                session_pdf(session), session.prepared["state"], signature_value
            )
        except DomainError as refused:
            if not hasattr(refused, "agent_status"):
                refused.agent_status = AgentStatus.BAD_SIGNATURE  # type: ignore[attr-defined]
            raise
        except Exception as problem:
            logger.warning("completing the prepared signature failed: %s", problem)
            raise _error(
                ValidationFailed,
                AgentStatus.BAD_SIGNATURE,
                _("The signature could not be embedded in the document."),
            ) from problem
        return _finish(session, signed_pdf)
    except DomainError as error:
        _record_refusal(session, error)
        raise


def _check_signature_value(certificate_der: bytes, to_sign: bytes, value: bytes) -> None:
    public_key = x509.load_der_x509_certificate(certificate_der).public_key()
    try:
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise InvalidSignature
        public_key.verify(value, to_sign, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError) as problem:
        raise _error(
            ValidationFailed,
            AgentStatus.BAD_SIGNATURE,
            _("The signature value does not match your registered certificate."),
        ) from problem


def _signature_count(pdf: bytes) -> int:
    """The filled signature fields of `pdf`, document time stamps aside (what a validation
    report lists)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    count = 0
    for _name, value, _ref in enumerate_sig_fields(reader, filled_status=True):
        if value.get_object().get("/Type", "/Sig") != "/DocTimeStamp":
            count += 1
    return count


def _verify(session: SigningSession, signed_pdf: bytes) -> tuple[Any, str]:
    """The validation report of `signed_pdf` and the fingerprint of its new signature's
    certificate, after checking that it extends the original with one valid signature."""
    length = int(session.prepared["original_length"])
    original = signed_pdf[:length]
    if (
        len(signed_pdf) <= length
        or hashlib.sha256(original).hexdigest() != session.prepared["original_sha256"]
    ):
        raise _error(
            ValidationFailed,
            AgentStatus.NOT_INCREMENTAL,
            _("The uploaded PDF is not the downloaded document with a signature added."),
        )
    from . import validation

    try:
        before = _signature_count(original)
        report = validation.validate(signed_pdf)
    except DomainError as unreadable:  # validation.NotAPdf
        raise bad_file(str(unreadable.message)) from unreadable
    except Exception as problem:
        logger.info("signed PDF of session %s unreadable: %s", session.pk, problem, exc_info=True)
        raise _error(
            ValidationFailed, AgentStatus.BAD_FILE, _("The uploaded PDF cannot be read.")
        ) from problem
    signatures = list(report.signatures)
    if len(signatures) != before + 1:
        raise _error(
            ValidationFailed,
            AgentStatus.NOT_INCREMENTAL,
            _("The uploaded PDF must add exactly one signature to the document."),
        )
    new = signatures[-1]
    certificate = new.certificate or {}
    if (
        not new.intact
        or new.indication != validation.TOTAL_PASSED
        or new.modified_after_signing
        or not certificate.get("fingerprint_sha256")
    ):
        raise _error(
            ValidationFailed,
            AgentStatus.BAD_SIGNATURE,
            _("The new signature is not valid (%(indication)s %(sub)s).")
            % {"indication": new.indication, "sub": new.sub_indication or ""},
        )
    return report, str(certificate["fingerprint_sha256"])


def _finish(session: SigningSession, signed_pdf: bytes) -> Completed:
    report, fingerprint = _verify(session, signed_pdf)
    with translation.override(language_of(session)), transaction.atomic(durable=True):
        locked = for_update(SigningSession.objects.select_related("user")).get(pk=session.pk)
        _check_open(locked, mode=locked.mode, fetched=True)
        credential = (
            _usable(Credential.objects.filter(user=locked.user))
            .filter(fingerprint=fingerprint)
            .first()
        )
        if credential is None:
            raise _error(
                ValidationFailed,
                AgentStatus.WRONG_SIGNER,
                _("The certificate that signed is not registered for you."),
            )
        handler = _handler(locked.purpose)
        handler.authorize(user=locked.user, subject_id=locked.subject_id)
        data = handler.completed(
            user=locked.user, session=locked, signed_pdf=signed_pdf, report=report
        )
        signed_sha256 = hashlib.sha256(signed_pdf).hexdigest()
        locked.completed_at = clock.now()
        locked.pdf = b""  # the app keeps the signed document; this copy is no longer needed
        locked.result = {
            "signer": {"fingerprint": fingerprint, "subject": credential.subject},
            "sha256": signed_sha256,
            "data": data,
        }
        locked.save(update_fields=["completed_at", "pdf", "result", "updated_at"])
        record(
            actor=locked.user,
            action="signing.session_completed",
            obj=locked,
            data={
                "purpose": locked.purpose,
                "subject_id": locked.subject_id,
                "mode": locked.mode,
                "signer": credential.subject,
                "fingerprint": fingerprint,
                "sha256": signed_sha256,
            },
        )
    return Completed(locked, data)


def purge_expired(*, older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
    """Delete the sessions that expired unused more than `older_than` ago (with their copy of
    the document); completed sessions stay, without their copy, as the record of what was
    signed. The number deleted. For a periodic task."""
    cutoff = clock.now() - older_than
    with transaction.atomic():
        stale = SigningSession.objects.filter(completed_at__isnull=True, expires_at__lt=cutoff)
        count = stale.count()
        if count:
            stale.delete()
            record(
                actor=None,
                action="signing.sessions_purged",
                data={"count": count, "expired_before": cutoff.isoformat()},
            )
    return count


# --- For the page -----------------------------------------------------------------------------


def timestamp_url(request: Any) -> str:
    """The time-stamp authority offered to the agent for its PAdES B-T signatures (mode pdf):
    the configured one, else the node's built-in authority; none when the node signs at B-B."""
    from django.urls import reverse

    if (settings.SIGNING_LEVEL or "B-T") == "B-B":
        return ""
    if settings.SIGNING_TSA_URL:
        return str(settings.SIGNING_TSA_URL)
    return str(request.build_absolute_uri(reverse("signing:tsa")))


def agent_links(session: SigningSession, token: str) -> dict[str, Any]:
    """What `signing/_agent_button.html` needs to hand the session to the agent: the one-time
    URLs (paths; the page's script makes them absolute), the status URL the page polls, the
    agent's loopback port. Built right after `open_session`: the token is never stored."""
    from django.urls import reverse

    links: dict[str, Any] = {
        "session_id": str(session.pk),
        "mode": session.mode,
        "file_name": session.file_name,
        "expires_at": session.expires_at,
        "port": settings.SIGNING_AGENT_PORT,
        # The page was opened by the official's "sign" click: start the agent at once.
        "autostart": True,
        "status": reverse("api:get_session", kwargs={"session_id": session.pk}),
    }
    if session.mode == SessionMode.DIGEST:
        links["digest"] = reverse("signing:agent_digest", args=[token])
        links["signature"] = reverse("signing:agent_signature", args=[token])
    else:
        links["download"] = reverse("signing:agent_download", args=[token])
        links["upload"] = reverse("signing:agent_upload", args=[token])
    return links
