"""The two signatures of an outgoing document (Decree 30/2020/NĐ-CP Art. 5, 13, 32–33;
DOMAIN.md §4): the competent person's, then the organization's (the electronic seal).

- **Personal signature.** With a key the server holds for the signer (the data center's HSM, or a
  sealed PKCS#12 in the demo), the signer confirms with their second factor and the server signs
  (`outgoing_sign`). With a key on the signer's USB token, the page opens a one-time session of
  the workstation agent (`outgoing_sign_session`); the agent uploads the signed PDF, which the
  signing app validates and hands to `PersonalSignatureHandler.completed`.
- **Organization seal.** The records clerk applies the unit's seal (a key in the HSM) to
  documents whose personal signature validates, after a fresh second-factor confirmation for
  each batch (`outgoing_seal_batch`). A personal signature that does not validate is returned to
  the drafter with the reason (`outgoing_return_signature`).

Each signature produces a new version of the document (`documents.document_add_signed_version`)
that carries it; its validation report is kept with the version. Signing is slow (a token, an
HSM, a timestamp authority) and runs outside any transaction; the process's state and current
version are checked again under the row lock afterwards, so a draft changed meanwhile is never
signed in its place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.accounts.services import mfa
from secretariat.core import clock
from secretariat.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from secretariat.documents import services as documents
from secretariat.documents import storage
from secretariat.documents.models import DocumentVersion
from secretariat.orgs.models import Unit
from secretariat.signing import appearance, pki, sessions
from secretariat.signing import services as signing
from secretariat.signing.models import (
    Credential,
    CredentialPurpose,
    KeyBackend,
    SessionMode,
    SigningSession,
    StampKind,
)

from ..models import OutgoingProcess, OutgoingState
from .notifications import notify
from .outgoing import (
    _fresh,
    _link,
    _lock,
    _name,
    _record,
    _require_signer,
    _require_state,
    _snapshot,
    notify_clerks,
    require_valid_signatures,
    signature_status,
)

PURPOSE_PERSONAL = "office.outgoing.personal"


# --- Credentials and second factor ----------------------------------------------------------


def personal_credential(user: Any) -> Credential | None:
    """The signer's current personal certificate, if any."""
    return pki.current_credential(purpose=CredentialPurpose.PERSONAL, user=user)


def seal_credential(unit: Unit) -> Credential | None:
    """The unit's current organization seal, if any."""
    return pki.current_credential(purpose=CredentialPurpose.SEAL, unit=unit)


def signing_mode(user: Any) -> str | None:
    """How `user` signs: "server" (a key the server holds), "agent" (a USB token on their
    workstation), or None (no certificate)."""
    credential = personal_credential(user)
    if credential is None:
        return None
    return "agent" if credential.backend == KeyBackend.WORKSTATION else "server"


def confirm_second_factor(user: Any, code: str) -> None:
    """A fresh second-factor confirmation (step-up) before a signature or a batch of seals."""
    if mfa.totp_device(user) is None:
        raise Conflict(
            _("Signing needs an authenticator app to confirm it: set one up in your account.")
        )
    if not (code or "").strip() or not mfa.mfa_verify_totp(user=user, token=code):
        message = _("The confirmation code is not valid. Enter the current code of your app.")
        raise ValidationFailed(message, field_errors={"confirmation": [message]})


# --- Helpers ----------------------------------------------------------------------------------


def _current_version(process: OutgoingProcess) -> DocumentVersion:
    version = process.document.versions.order_by("-number").first()
    if version is None:
        raise Conflict(_("The document has no content to sign."))
    return version


def _pdf(version: DocumentVersion) -> bytes:
    return storage.open_plaintext(version.pdf or version.original)


def _signer_title(signer: Any, unit: Unit) -> str:
    """The signer's post as printed under the signature: the one held in the issuing unit,
    else the primary one."""
    positions = signer.positions.filter(ended_on__isnull=True)
    position = positions.filter(unit=unit).first() or positions.filter(is_primary=True).first()
    return position.title if position is not None else ""


def _verify_url(process: OutgoingProcess) -> str:
    return f"{settings.PUBLIC_URL.rstrip('/')}/signing/verify"


def _stamp(
    process: OutgoingProcess, credential: Credential, kind: str, name: str, title: str
) -> Any:
    placement = appearance.placement_for(process.document.doc_type_id or "", kind)
    return appearance.Stamp(
        signer_name=name,
        title=title,
        unit=process.unit.display_name,
        signed_at=clock.now(),
        signature_image=bytes(credential.image)
        if credential.image and kind == StampKind.PERSONAL
        else None,
        seal_image=bytes(credential.image) if credential.image and kind == StampKind.SEAL else None,
        verify_url=_verify_url(process),
        page=placement[0] if placement else -1,
        box=placement[1] if placement else None,
    )


def _same_version(locked: OutgoingProcess, version: DocumentVersion) -> None:
    if _current_version(locked).pk != version.pk:
        raise Conflict(
            _("The document changed while it was being signed. Open it again and sign it anew.")
        )


def _mark_signed(
    *, actor: Any, locked: OutgoingProcess, pdf: bytes, details: dict[str, Any]
) -> OutgoingProcess:
    """Inside the signing transaction: keep the signed version, move the process to SIGNED."""
    before = _snapshot(locked)
    version = documents.document_add_signed_version(
        actor=actor, document=locked.document, pdf=pdf, note="personal signature"
    )
    locked.state = OutgoingState.SIGNED
    locked.signed_at = clock.now()
    locked.save(update_fields=["state", "signed_at", "updated_at"])
    documents.document_record_signer(
        document=locked.document,
        name=_name(actor),
        title=_signer_title(actor, locked.unit),
    )
    notify_clerks(
        locked.unit,
        _("A signed document is to be numbered and sent: %(subject)s")
        % {"subject": locked.document.subject[:120]},
        _link(locked),
    )
    _record(
        actor=actor,
        action="office.outgoing_signed",
        process=locked,
        before=before,
        data={
            "version": version.number,
            "validation": signature_status(version),
            **{k: str(v) for k, v in details.items()},
        },
    )
    return locked


# --- Personal signature -----------------------------------------------------------------------


def _check_can_sign(actor: Any, process: OutgoingProcess) -> OutgoingProcess:
    _require_signer(actor, process)
    current = _fresh(process)
    _require_state(current, {OutgoingState.APPROVED}, _("Only an approved document can be signed."))
    return current


@dataclass(frozen=True)
class Outcome:
    """One document of a batch: signed (or sealed), or refused with the reason."""

    process: OutgoingProcess
    error: str = ""


def _batch(
    *,
    actor: Any,
    processes: list[OutgoingProcess],
    confirmation: str,
    check: Callable[[OutgoingProcess], Any],
    one: Callable[[OutgoingProcess], OutgoingProcess],
) -> list[Outcome]:
    """Check the actor's right on every document, confirm the second factor once, then sign
    each document on its own (one refusal does not stop the others)."""
    if not processes:
        raise ValidationFailed(_("Choose at least one document."))
    for process in processes:
        check(process)
    confirm_second_factor(actor, confirmation)
    outcomes = []
    for process in processes:
        try:
            outcomes.append(Outcome(one(process)))
        except DomainError as exc:
            outcomes.append(Outcome(process, str(exc.message)))
    return outcomes


def _single(outcomes: list[Outcome]) -> OutgoingProcess:
    if outcomes[0].error:
        raise Conflict(outcomes[0].error)
    return outcomes[0].process


def outgoing_sign_batch(
    *, actor: Any, processes: list[OutgoingProcess], confirmation: str
) -> list[Outcome]:
    """Personal signatures with a key the server holds for the signer (HSM; PKCS#12 in the
    demo), after one confirmation of the signer's second factor for the batch."""

    def check(process: OutgoingProcess) -> None:
        _check_can_sign(actor, process)
        credential = personal_credential(actor)
        if credential is None:
            raise Conflict(
                _("You have no valid signing certificate. Ask your administrator to issue one.")
            )
        if credential.backend == KeyBackend.WORKSTATION:
            raise Conflict(
                _("Your key is on your USB token: sign with the signing agent on your computer.")
            )

    return _batch(
        actor=actor,
        processes=processes,
        confirmation=confirmation,
        check=check,
        one=lambda process: _sign_one(actor=actor, process=process),
    )


def outgoing_sign(*, actor: Any, process: OutgoingProcess, confirmation: str) -> OutgoingProcess:
    """The personal signature of one document (a batch of one)."""
    return _single(outgoing_sign_batch(actor=actor, processes=[process], confirmation=confirmation))


def _sign_one(*, actor: Any, process: OutgoingProcess) -> OutgoingProcess:
    current = _check_can_sign(actor, process)
    credential = personal_credential(actor)
    if credential is None:
        raise Conflict(_("You have no valid signing certificate."))
    version = _current_version(current)
    signed = signing.sign(
        actor=actor,
        credential=credential,
        pdf=_pdf(version),
        stamp=_stamp(
            current,
            credential,
            StampKind.PERSONAL,
            _name(actor),
            _signer_title(actor, current.unit),
        ),
        reason=str(_("Signed by the competent person")),
        location=current.unit.display_name,
    )
    with transaction.atomic(durable=True):
        locked = _lock(process)
        _require_state(
            locked, {OutgoingState.APPROVED}, _("Only an approved document can be signed.")
        )
        _same_version(locked, version)
        return _mark_signed(actor=actor, locked=locked, pdf=signed.pdf, details=signed.details)


def outgoing_sign_session(
    *, actor: Any, process: OutgoingProcess, mode: str = SessionMode.PDF
) -> tuple[SigningSession, str]:
    """Open a one-time session of the workstation agent for the signer's USB token. Returns the
    session and its secret token (for the URLs handed to the agent)."""
    current = _check_can_sign(actor, process)
    credential = personal_credential(actor)
    if credential is None:
        raise Conflict(
            _(
                "Your token's certificate is not registered. Ask your administrator to register "
                "it before signing."
            )
        )
    version = _current_version(current)
    return sessions.open_session(
        actor=actor,
        purpose=PURPOSE_PERSONAL,
        subject_id=f"{current.pk}:{version.number}",
        pdf=_pdf(version),
        file_name=f"{current.document.notation or current.document_id}.pdf".replace("/", "-"),
        mode=mode,
        # With the digest mode the server builds the signature, visible stamp included; in the
        # PDF mode the agent signs the file as the token's own tool does.
        stamp=_stamp(
            current,
            credential,
            StampKind.PERSONAL,
            _name(actor),
            _signer_title(actor, current.unit),
        )
        if mode == SessionMode.DIGEST
        else None,
    )


class PersonalSignatureHandler:
    """The office's side of the agent's sessions for personal signatures."""

    def _process(self, subject_id: str) -> tuple[OutgoingProcess, int]:
        process_id, _sep, number = subject_id.partition(":")
        process = OutgoingProcess.objects.filter(pk=process_id).first()
        if process is None or not number.isdigit():
            raise NotFound(_("This document no longer exists."))
        return process, int(number)

    def authorize(self, *, user: Any, subject_id: str) -> None:
        process, number = self._process(subject_id)
        current = _check_can_sign(user, process)
        if _current_version(current).number != number:
            raise Conflict(
                _("The document changed since the signature was started. Start it again.")
            )

    def completed(
        self, *, user: Any, session: SigningSession, signed_pdf: bytes, report: Any
    ) -> dict[str, Any]:
        process, number = self._process(session.subject_id)
        _require_signer(user, process)
        locked = _lock(process)
        _require_state(
            locked, {OutgoingState.APPROVED}, _("Only an approved document can be signed.")
        )
        if _current_version(locked).number != number:
            raise Conflict(
                _("The document changed since the signature was started. Start it again.")
            )
        _mark_signed(
            actor=user,
            locked=locked,
            pdf=signed_pdf,
            details={"method": "agent", "session": session.pk, "mode": session.mode},
        )
        return {"state": locked.state}


personal_signature_handler = PersonalSignatureHandler()


# --- Checking the personal signature; the organization seal -----------------------------------


@transaction.atomic(durable=True)
def outgoing_return_signature(
    *, actor: Any, process: OutgoingProcess, reason: str
) -> OutgoingProcess:
    """The clerk refuses a personal signature that does not hold (Art. 33: the organization
    signs only what the competent person validly signed): the draft goes back to the drafter
    with the reason, to be signed anew."""
    policy.require(actor, Action.OFFICE_CLERK, process.unit)
    reason = (reason or "").strip()
    if not reason:
        message = _("Say why the signature is refused.")
        raise ValidationFailed(message, field_errors={"reason": [message]})
    locked = _lock(process)
    _require_state(
        locked,
        {OutgoingState.SIGNED},
        _("A signature is checked, and refused, before the document is numbered."),
    )
    before = _snapshot(locked)
    locked.state = OutgoingState.RETURNED
    locked.signed_at = None
    locked.approved_at = None
    locked.save(update_fields=["state", "signed_at", "approved_at", "updated_at"])
    refusal = _("The signature of “%(subject)s” was refused: %(reason)s") % {
        "subject": locked.document.subject[:120],
        "reason": reason[:300],
    }
    notify(user=locked.drafter, message=str(refusal), link=_link(locked))
    if locked.signer is not None and locked.signer_id != locked.drafter_id:
        notify(user=locked.signer, message=str(refusal), link=_link(locked))
    _record(
        actor=actor,
        action="office.outgoing_signature_returned",
        process=locked,
        before=before,
        data={"reason": reason[:500]},
    )
    return locked


def _check_sealable(process: OutgoingProcess) -> None:
    if process.signed_at is None:
        raise Conflict(
            _(
                "The organization's signature is applied only to a document already signed "
                "by the competent person (Decree 30, Art. 32–33)."
            )
        )
    _require_state(process, {OutgoingState.NUMBERED}, _("Number the document before sealing it."))
    require_valid_signatures(
        process, _("The personal signature must validate before the seal is applied.")
    )


def outgoing_seal_batch(
    *, actor: Any, processes: list[OutgoingProcess], confirmation: str
) -> list[Outcome]:
    """Apply the organization's seal to each document, after one second-factor confirmation for
    the batch (DOMAIN.md §4: step-up before each batch)."""

    def check(process: OutgoingProcess) -> None:
        policy.require(actor, Action.OFFICE_CLERK, process.unit)
        _check_sealable(_fresh(process))

    return _batch(
        actor=actor,
        processes=processes,
        confirmation=confirmation,
        check=check,
        one=lambda process: _seal_one(actor=actor, process=process),
    )


def outgoing_seal(*, actor: Any, process: OutgoingProcess, confirmation: str) -> OutgoingProcess:
    """The organization's signature on one document (a batch of one)."""
    return _single(outgoing_seal_batch(actor=actor, processes=[process], confirmation=confirmation))


def _seal_one(*, actor: Any, process: OutgoingProcess) -> OutgoingProcess:
    current = _fresh(process)
    _check_sealable(current)
    credential = seal_credential(current.unit)
    if credential is None:
        raise Conflict(
            _("%(unit)s has no valid organization seal certificate. Ask the administrator.")
            % {"unit": current.unit.display_name}
        )
    version = _current_version(current)
    signed = signing.sign(
        actor=actor,
        credential=credential,
        pdf=_pdf(version),
        stamp=_stamp(current, credential, StampKind.SEAL, current.unit.display_name, ""),
        reason=str(_("Organization's signature")),
        location=current.unit.display_name,
    )
    with transaction.atomic(durable=True):
        locked = _lock(process)
        _check_sealable(locked)
        _same_version(locked, version)
        before = _snapshot(locked)
        sealed = documents.document_add_signed_version(
            actor=actor, document=locked.document, pdf=signed.pdf, note="organization seal"
        )
        locked.state = OutgoingState.SEALED
        locked.sealed_at = clock.now()
        locked.save(update_fields=["state", "sealed_at", "updated_at"])
        _record(
            actor=actor,
            action="office.outgoing_sealed",
            process=locked,
            before=before,
            data={
                "version": sealed.number,
                "validation": signature_status(sealed),
                **{k: str(v) for k, v in signed.details.items()},
            },
        )
    return locked
