"""The signature step of outgoing documents, as an interface the signing capability fills in.

Decree 30/2020/NĐ-CP Art. 5: an electronic document has the value of the paper original when it
is signed digitally by the competent person *and* by the organization. The office decides *when*
each signature may be made (Art. 13: the signer; Art. 32–33: the clerk applies the organization's
signature only to a document the competent person has signed); *how* it is made (PAdES, keys in
an HSM or on a USB token) belongs to the signing capability of a later issue. The office is the
lower app, so it declares this small typed interface and a registry, and the signing app
registers its implementation in `AppConfig.ready()` (DESIGN.md: no signals for domain logic).

Until then `ApprovalRecordStep` is in force: it records the approval as the signature and says
so, so that nobody mistakes the record for a digital signature.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .models import OutgoingProcess


class SignatureKind(StrEnum):
    PERSONAL = "personal"  # the competent person (Art. 13)
    ORGANIZATION = "organization"  # the organization's signature, the electronic seal (Art. 33)


@dataclass(frozen=True)
class SignatureResult:
    """What a signature step did, for the audit log. `method` names the mechanism
    ("approval-record", "pades"…); `details` are the few non-secret facts an auditor reads
    (certificate subject, serial, timestamp); `version` is the number of the document version
    that carries the signature, when the step stored a signed file."""

    method: str
    details: dict[str, str] = field(default_factory=dict)
    version: int | None = None


@runtime_checkable
class SignatureStep(Protocol):
    """Makes one signature on an outgoing document.

    Called by the office *outside* any database transaction, after the office has checked who
    may sign and that the process is in the right state; slow work (hashing, talking to a token,
    a timestamp authority) must not hold the node's write lock. The office re-checks the state
    under its row lock afterwards. Raise a `core.errors.DomainError` to refuse, with a message
    the signer understands.
    """

    def sign(
        self, *, actor: Any, process: OutgoingProcess, kind: SignatureKind
    ) -> SignatureResult: ...


class ApprovalRecordStep:
    """The default: no cryptographic signature; the recorded approval of the signer (or the
    clerk's act, for the organization) stands for it, and the audit data says so."""

    method = "approval-record"

    def sign(self, *, actor: Any, process: OutgoingProcess, kind: SignatureKind) -> SignatureResult:
        return SignatureResult(
            method=self.method,
            details={
                "note": "no digital signature: the recorded approval stands for the signature",
                "kind": str(kind),
            },
        )


_registered: SignatureStep | None = None


def register_signature_step(step: SignatureStep) -> None:
    """Put `step` in force for every later signature (the signing app's `ready()`)."""
    global _registered
    if not isinstance(step, SignatureStep):
        raise TypeError("a signature step must have sign(*, actor, process, kind)")
    _registered = step


def reset_signature_step() -> None:
    """Back to the default (tests)."""
    global _registered
    _registered = None


def signature_step() -> SignatureStep:
    """The signature step in force."""
    return _registered if _registered is not None else ApprovalRecordStep()
