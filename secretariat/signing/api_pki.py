"""API of the trust store and the signing credentials, mounted at `/api/v1/signing`.

Certificates travel as PEM text, or as base64 DER. Everything is limited to the caller's
SIGNING_MANAGE scope; the trust store changes node-wide only. A credential outside the scope
answers 404.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from secretariat.accounts import policy
from secretariat.core.errors import PermissionDenied, ValidationFailed
from secretariat.orgs.models import Unit

from . import pki, trust
from .models import Credential, CredentialPurpose, KeyBackend, TrustAnchor

router = Router(tags=["signing"])


class AnchorOut(Schema):
    id: UUID
    kind: str
    subject: str
    issuer: str
    fingerprint: str
    not_before: dt.datetime
    not_after: dt.datetime
    active: bool


class AnchorsIn(Schema):
    # One PEM bundle (several certificates allowed), or one DER certificate in base64.
    pem: str = Field("", max_length=1_000_000)
    der_base64: str = Field("", max_length=1_400_000)


class AnchorActiveIn(Schema):
    active: bool


class CredentialOut(Schema):
    id: UUID
    purpose: str
    backend: str
    username: str | None
    unit_code: str | None
    subject: str
    issuer: str
    serial: str
    fingerprint: str
    not_before: dt.datetime
    not_after: dt.datetime
    issued_here: bool
    status: str
    revoked_at: dt.datetime | None
    revocation_reason: str
    certificate_pem: str


class IssueIn(Schema):
    purpose: str = CredentialPurpose.PERSONAL
    username: str = ""
    unit_code: str = ""
    valid_days: int = Field(pki.CERT_VALIDITY_DAYS, ge=1, le=pki.CA_VALIDITY_DAYS)


class ImportIn(Schema):
    certificate: str = Field(..., max_length=1_400_000, description="PEM, or DER in base64")
    purpose: str = ""
    username: str = ""
    unit_code: str = ""
    backend: str = KeyBackend.WORKSTATION
    token_label: str = Field("", max_length=64)
    key_label: str = Field("", max_length=64)


class RevokeIn(Schema):
    reason: str = "unspecified"


def _require_manager(request: HttpRequest) -> None:
    if not policy.can(request.user, policy.Action.SIGNING_MANAGE):
        raise PermissionDenied(_("You do not have permission to do this here."))


def _anchor_out(anchor: TrustAnchor) -> dict[str, Any]:
    return {
        "id": anchor.pk,
        "kind": anchor.kind,
        "subject": anchor.subject,
        "issuer": anchor.issuer,
        "fingerprint": anchor.fingerprint,
        "not_before": anchor.not_before,
        "not_after": anchor.not_after,
        "active": anchor.active,
    }


def _pem(der: bytes) -> str:
    body = base64.encodebytes(der).decode("ascii")
    return f"-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n"


def _credential_out(credential: Credential) -> dict[str, Any]:
    return {
        "id": credential.pk,
        "purpose": credential.purpose,
        "backend": credential.backend,
        "username": credential.user.username if credential.user else None,
        "unit_code": credential.unit.code if credential.unit else None,
        "subject": credential.subject,
        "issuer": credential.issuer,
        "serial": credential.serial,
        "fingerprint": credential.fingerprint,
        "not_before": credential.not_before,
        "not_after": credential.not_after,
        "issued_here": credential.issued_here,
        "status": pki.status_of(credential),
        "revoked_at": credential.revoked_at,
        "revocation_reason": credential.revocation_reason,
        "certificate_pem": _pem(bytes(credential.certificate)),
    }


def _certificate_bytes(text: str, field: str) -> bytes:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        return text.encode("ascii", "replace")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        message = _("Give the certificate as PEM, or as DER in base64.")
        raise ValidationFailed(message, field_errors={field: [message]}) from error


def _holder(request: HttpRequest, username: str, unit_code: str) -> tuple[Any, Unit | None]:
    if username and unit_code:
        message = _("A certificate belongs to a person or to a unit, not both.")
        raise ValidationFailed(message, field_errors={"username": [message]})
    if username:
        user = pki.users_in_scope(request.user).filter(username=username).first()
        if user is None:
            message = _("No such person among those you manage.")
            raise ValidationFailed(message, field_errors={"username": [message]})
        return user, None
    if unit_code:
        unit = (
            policy.units_in_scope(request.user, policy.Action.SIGNING_MANAGE)
            .filter(code=unit_code)
            .first()
        )
        if unit is None:
            message = _("No such unit among those you manage.")
            raise ValidationFailed(message, field_errors={"unit_code": [message]})
        return None, unit
    return None, None


@router.get("/trust-anchors", response=list[AnchorOut], summary="The trust store")
def list_trust_anchors(request: HttpRequest) -> list[dict[str, Any]]:
    _require_manager(request)
    return [_anchor_out(a) for a in trust.anchors_visible_to(user=request.user)]


@router.post(
    "/trust-anchors",
    response={201: list[AnchorOut]},
    summary="Add roots and intermediates (all or nothing; node-wide administrators)",
)
def add_trust_anchors(request: HttpRequest, payload: AnchorsIn) -> Status[list[dict[str, Any]]]:
    _require_manager(request)
    pki.require_node_wide(request.user)
    if bool(payload.pem.strip()) == bool(payload.der_base64.strip()):
        message = _("Give either a PEM bundle or one DER certificate in base64.")
        raise ValidationFailed(message, field_errors={"pem": [message]})
    data = (
        payload.pem.encode("ascii", "replace")
        if payload.pem.strip()
        else _certificate_bytes(payload.der_base64, "der_base64")
    )
    added = trust.add_anchors(actor=request.user, data=data)
    return Status(201, [_anchor_out(a) for a in added])


@router.post(
    "/trust-anchors/{anchor_id}/active",
    response=AnchorOut,
    summary="Trust or stop trusting an anchor (node-wide administrators)",
)
def set_trust_anchor_active(
    request: HttpRequest, anchor_id: UUID, payload: AnchorActiveIn
) -> dict[str, Any]:
    anchor = trust.anchor_get(user=request.user, anchor_id=anchor_id)
    return _anchor_out(
        trust.set_anchor_active(actor=request.user, anchor=anchor, active=payload.active)
    )


@router.get(
    "/credentials", response=list[CredentialOut], summary="Signing credentials in the scope"
)
def list_credentials(request: HttpRequest, limit: int = 200) -> list[dict[str, Any]]:
    _require_manager(request)
    limit = max(1, min(limit, 1000))
    queryset = pki.credentials_visible_to(user=request.user).order_by("-created_at")[:limit]
    return [_credential_out(c) for c in queryset]


@router.post(
    "/credentials",
    response={201: CredentialOut},
    summary="Issue a certificate of the built-in authority to a person or a unit",
)
def issue_credential(request: HttpRequest, payload: IssueIn) -> Status[dict[str, Any]]:
    _require_manager(request)
    user, unit = _holder(request, payload.username, payload.unit_code)
    credential = pki.issue_credential(
        actor=request.user,
        purpose=payload.purpose,
        user=user,
        unit=unit,
        valid_days=payload.valid_days,
    )
    return Status(201, _credential_out(credential))


@router.post(
    "/credentials/import",
    response={201: CredentialOut},
    summary="Register a certificate issued elsewhere (an official's token certificate)",
)
def import_credential(request: HttpRequest, payload: ImportIn) -> Status[dict[str, Any]]:
    _require_manager(request)
    user, unit = _holder(request, payload.username, payload.unit_code)
    credential = pki.import_credential(
        actor=request.user,
        certificate=_certificate_bytes(payload.certificate, "certificate"),
        user=user,
        unit=unit,
        purpose=payload.purpose or None,
        backend=payload.backend,
        token_label=payload.token_label,
        key_label=payload.key_label,
    )
    return Status(201, _credential_out(credential))


@router.post(
    "/credentials/{credential_id}/revoke",
    response=CredentialOut,
    summary="Revoke (built-in authority) or withdraw (imported) a certificate",
)
def revoke_credential(
    request: HttpRequest, credential_id: UUID, payload: RevokeIn
) -> dict[str, Any]:
    credential = pki.credential_get(user=request.user, credential_id=credential_id)
    return _credential_out(
        pki.revoke(actor=request.user, credential=credential, reason=payload.reason)
    )
