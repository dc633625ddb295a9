"""Permission-matrix cases of the trust store and the credentials (see
secretariat/api/tests/matrix.py).

Signing administrators (system and unit administrators, SIGNING_MANAGE) see and manage the
credentials of the people and units of their scope: the "inside" credential belongs to a person
of cell A, the "outside" one to a person of cell B. The trust store is node-wide: every matrix
actor's role is granted on commune A, so nobody here may change it (the node-wide case is in
test_views_pki.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.api.tests.matrix import Case, Ctx
from secretariat.signing import pki
from secretariat.signing.models import CredentialPurpose, TrustAnchor

MANAGERS = frozenset({Role.SYSTEM_ADMIN, Role.UNIT_ADMIN})
NOBODY: frozenset[str] = frozenset()

EXEMPT = {
    # Public services of the built-in authorities, called by validators and time-stamp clients
    # anywhere (their addresses are printed in every certificate): RFC 3161, RFC 5280, RFC 6960.
    # They reveal only what is public by design (the CA certificate, revocations) and sign
    # time stamps, which is their purpose.
    "signing:tsa",
    "signing:ca_certificate",
    "signing:ca_crl",
    "signing:ca_ocsp",
    "signing:ca_ocsp_get",
}


def _new_root_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Matrix Root CA")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


def setup(ctx: Ctx, make_user: Any) -> None:
    """A personal credential for each target, a certificate of the built-in authority not yet
    registered (to import), a new root (to upload) and the built-in root's anchor."""
    for side in ("in", "out"):
        target = ctx.targets[side]
        ctx.extra[f"credential_{side}"] = pki.issue_pkcs12_credential(
            actor=None,
            purpose=CredentialPurpose.PERSONAL,
            subject=pki.subject_for(common_name=f"MATRIX-CREDENTIAL-{side.upper()}"),
            user=target,
        )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ctx.extra["external_pem"] = pki.build_certificate(
        public_key=key.public_key(),
        subject=pki.subject_for(common_name="Chứng thư ngoài"),
        purpose=CredentialPurpose.PERSONAL,
    ).public_bytes(serialization.Encoding.PEM)
    ctx.extra["root_pem"] = _new_root_pem()
    ctx.extra["anchor"] = TrustAnchor.objects.get(
        fingerprint=pki.fingerprint(pki.authority_certificate_der())
    )


def _credential(c: Ctx, side: str) -> Any:
    return c.extra[f"credential_{side}"]


def _marker(c: Ctx, side: str) -> str:
    return f"MATRIX-CREDENTIAL-{side.upper()}"


def _username(c: Ctx, side: str) -> str:
    return str(c.targets[side].username)


def _png() -> SimpleUploadedFile:
    from secretariat.demo.images import seal_png

    return SimpleUploadedFile("seal.png", seal_png("Matrix"), content_type="image/png")


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/x-pem-file")


CASES = [
    Case(
        "signing:authority",
        "get",
        lambda c, s: reverse("signing:authority"),
        MANAGERS,
        scoped=False,
    ),
    Case(
        "signing:trust_anchors",
        "get",
        lambda c, s: reverse("signing:trust_anchors"),
        MANAGERS,
        scoped=False,
    ),
    Case(
        "signing:trust_anchors",
        "post",
        lambda c, s: reverse("signing:trust_anchors"),
        NOBODY,
        scoped=False,
        write=True,
        data=lambda c, s: {"file": _upload("roots.pem", c.extra["root_pem"])},
    ),
    Case(
        "signing:trust_anchor_active",
        "post",
        lambda c, s: reverse("signing:trust_anchor_active", args=[c.extra["anchor"].pk]),
        NOBODY,
        scoped=False,
        write=True,
        data=lambda c, s: {},
    ),
    Case(
        "signing:credentials",
        "get",
        lambda c, s: reverse("signing:credentials"),
        MANAGERS,
        scoped=False,
        shows=_marker,
    ),
    Case(
        "signing:credential_issue",
        "get",
        lambda c, s: reverse("signing:credential_issue"),
        MANAGERS,
        scoped=False,
    ),
    Case(
        "signing:credential_issue",
        "post",
        lambda c, s: reverse("signing:credential_issue"),
        MANAGERS,
        write=True,
        data=lambda c, s: {
            "purpose": "personal",
            "username": _username(c, s),
            "valid_days": "365",
        },
    ),
    Case(
        "signing:credential_import",
        "get",
        lambda c, s: reverse("signing:credential_import"),
        MANAGERS,
        scoped=False,
    ),
    Case(
        "signing:credential_import",
        "post",
        lambda c, s: reverse("signing:credential_import"),
        MANAGERS,
        write=True,
        data=lambda c, s: {
            "purpose": "personal",
            "username": _username(c, s),
            "backend": "workstation",
            "certificate": _upload("official.pem", c.extra["external_pem"]),
        },
    ),
    Case(
        "signing:credential_certificate",
        "get",
        lambda c, s: reverse("signing:credential_certificate", args=[_credential(c, s).pk]),
        MANAGERS,
    ),
    Case(
        "signing:credential_image",
        "post",
        lambda c, s: reverse("signing:credential_image", args=[_credential(c, s).pk]),
        MANAGERS,
        write=True,
        data=lambda c, s: {"image": _png()},
    ),
    Case(
        "signing:credential_revoke",
        "post",
        lambda c, s: reverse("signing:credential_revoke", args=[_credential(c, s).pk]),
        MANAGERS,
        write=True,
        data=lambda c, s: {"reason": "key_compromise"},
    ),
    Case(
        "api:list_trust_anchors",
        "get",
        lambda c, s: "/api/v1/signing/trust-anchors",
        MANAGERS,
        scoped=False,
    ),
    Case(
        "api:add_trust_anchors",
        "post",
        lambda c, s: "/api/v1/signing/trust-anchors",
        NOBODY,
        scoped=False,
        write=True,
        json_body=True,
        data=lambda c, s: {"pem": c.extra["root_pem"].decode()},
    ),
    Case(
        "api:set_trust_anchor_active",
        "post",
        lambda c, s: f"/api/v1/signing/trust-anchors/{c.extra['anchor'].pk}/active",
        NOBODY,
        scoped=False,
        write=True,
        json_body=True,
        data=lambda c, s: {"active": False},
    ),
    Case(
        "api:list_credentials",
        "get",
        lambda c, s: "/api/v1/signing/credentials",
        MANAGERS,
        scoped=False,
        shows=_marker,
    ),
    Case(
        "api:issue_credential",
        "post",
        lambda c, s: "/api/v1/signing/credentials",
        MANAGERS,
        write=True,
        json_body=True,
        data=lambda c, s: {"purpose": "personal", "username": _username(c, s)},
    ),
    Case(
        "api:import_credential",
        "post",
        lambda c, s: "/api/v1/signing/credentials/import",
        MANAGERS,
        write=True,
        json_body=True,
        data=lambda c, s: {
            "certificate": c.extra["external_pem"].decode(),
            "username": _username(c, s),
        },
    ),
    Case(
        "api:revoke_credential",
        "post",
        lambda c, s: f"/api/v1/signing/credentials/{_credential(c, s).pk}/revoke",
        MANAGERS,
        write=True,
        json_body=True,
        data=lambda c, s: {"reason": "superseded"},
    ),
]
