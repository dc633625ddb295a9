"""The built-in authority's credential services: issuing (PKCS#12 and on a PKCS#11 device),
registering officials' external certificates, revoking; who may do it; what is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from secretariat.accounts.models import Role
from secretariat.audit.models import AuditEvent
from secretariat.core.errors import PermissionDenied, ValidationFailed
from secretariat.signing import keys, pki
from secretariat.signing import pkcs11 as p11
from secretariat.signing.models import (
    AnchorKind,
    Authority,
    Credential,
    CredentialPurpose,
    KeyBackend,
    TrustAnchor,
)
from secretariat.signing.tests.softhsm import SoftToken


@pytest.fixture
def people(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    """A node-wide administrator, a commune A administrator, a leader of commune A and one of
    commune B."""
    return {
        "root_admin": make_user("rootadmin", role=Role.SYSTEM_ADMIN, unit=tree["province"]),
        "admin_a": make_user("admina", role=Role.UNIT_ADMIN, unit=tree["commune_a"]),
        "clerk_a": make_user("clerka", role=Role.RECORDS_CLERK, unit=tree["commune_a"]),
        "leader_a": make_user(
            "leadera",
            role=Role.LEADER,
            unit=tree["commune_a"],
            position=(tree["commune_a"], "Bí thư"),
        ),
        "leader_b": make_user(
            "leaderb",
            role=Role.LEADER,
            unit=tree["commune_b"],
            position=(tree["commune_b"], "Bí thư"),
        ),
    }


def _certificate(
    *,
    key_usage: x509.KeyUsage | None = None,
    ca: bool = False,
    days: int = 365,
    start: dt.datetime | None = None,
    issuer_key: rsa.RSAPrivateKey | None = None,
    issuer_name: x509.Name | None = None,
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Nguyễn Thị Bình")])
    start = start or dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if key_usage is not None:
        builder = builder.add_extension(key_usage, critical=True)
    return builder.sign(issuer_key or key, hashes.SHA256()), key


SIGNING_USAGE = x509.KeyUsage(True, True, False, False, False, False, False, False, False)
ENCRYPTION_USAGE = x509.KeyUsage(False, False, True, False, False, False, False, False, False)


def _external_ca() -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """An outside authority (the Government Cipher Committee's, say), in the trust store."""
    certificate, key = _certificate(
        ca=True, key_usage=x509.KeyUsage(True, False, False, False, False, True, True, False, False)
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    TrustAnchor.objects.create(
        kind=AnchorKind.ROOT,
        certificate=der,
        fingerprint=pki.fingerprint(der),
        subject=certificate.subject.rfc4514_string(),
        issuer=certificate.issuer.rfc4514_string(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )
    return certificate, key


def _official_certificate(**options: Any) -> bytes:
    ca, ca_key = _external_ca()
    certificate, _key = _certificate(
        key_usage=options.pop("key_usage", SIGNING_USAGE),
        issuer_key=ca_key,
        issuer_name=ca.subject,
        **options,
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


# --- The authority --------------------------------------------------------------------------


def test_authority_is_created_once_and_trusted(db: Any) -> None:
    first = pki.authority()
    assert pki.authority() == first
    assert Authority.objects.count() == 1
    anchor = TrustAnchor.objects.get(fingerprint=pki.fingerprint(bytes(first.certificate)))
    assert anchor.kind == AnchorKind.ROOT
    assert anchor.active
    assert AuditEvent.objects.filter(action="signing.authority_created").count() == 1
    certificate = pki.authority_certificate()
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert pki.authority_key().public_key().public_numbers() == (
        certificate.public_key().public_numbers()  # type: ignore[union-attr]
    )


def test_issued_certificates_name_this_nodes_revocation_services(db: Any, settings: Any) -> None:
    settings.PUBLIC_URL = "https://tinhuy.example.vn/"
    credential = pki.issue_pkcs12_credential(
        actor=None,
        purpose=CredentialPurpose.PERSONAL,
        subject=pki.subject_for(common_name="Lê Minh Quang"),
    )
    certificate = x509.load_der_x509_certificate(bytes(credential.certificate))
    points = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name[0].value == "https://tinhuy.example.vn/signing/ca/crl"
    access = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert {a.access_location.value for a in access} == {
        "https://tinhuy.example.vn/signing/ca/ocsp",
        "https://tinhuy.example.vn/signing/ca/certificate",
    }


# --- Issuing ---------------------------------------------------------------------------------


def test_issue_for_a_user_takes_the_subject_from_the_position(people: dict[str, Any]) -> None:
    leader = people["leader_a"]
    credential = pki.issue_credential(
        actor=people["admin_a"], purpose=CredentialPurpose.PERSONAL, user=leader
    )
    assert credential.user == leader
    assert credential.backend == KeyBackend.PKCS12
    assert credential.issued_here
    subject = x509.load_der_x509_certificate(bytes(credential.certificate)).subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Leadera"
    assert subject.get_attributes_for_oid(NameOID.TITLE)[0].value == "Bí thư"
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == (
        "Đảng ủy xã Lạc Dương"
    )
    event = AuditEvent.objects.get(action="signing.credential_issued")
    assert event.actor_username == "admina"
    assert event.data["serial"] == credential.serial
    with keys.open_signer(credential) as signer:
        assert signer.signing_cert.dump() == bytes(credential.certificate)


def test_issue_a_seal_for_a_unit(people: dict[str, Any], tree: dict[str, Any]) -> None:
    credential = pki.issue_credential(
        actor=people["admin_a"], purpose=CredentialPurpose.SEAL, unit=tree["cell_a"]
    )
    assert credential.unit == tree["cell_a"]
    subject = x509.load_der_x509_certificate(bytes(credential.certificate)).subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == tree["cell_a"].name
    event = AuditEvent.objects.get(action="signing.credential_issued")
    assert event.unit_id == tree["cell_a"].pk


def test_issue_outside_scope_or_without_the_right_is_refused(
    people: dict[str, Any], tree: dict[str, Any]
) -> None:
    cases = [
        (people["admin_a"], {"purpose": CredentialPurpose.PERSONAL, "user": people["leader_b"]}),
        (people["admin_a"], {"purpose": CredentialPurpose.SEAL, "unit": tree["commune_b"]}),
        (people["clerk_a"], {"purpose": CredentialPurpose.SEAL, "unit": tree["commune_a"]}),
        (people["leader_a"], {"purpose": CredentialPurpose.PERSONAL, "user": people["leader_a"]}),
    ]
    for actor, holder in cases:
        with pytest.raises(PermissionDenied):
            pki.issue_credential(actor=actor, **holder)
    assert not Credential.objects.exists()


def test_issue_needs_the_right_holder(people: dict[str, Any], tree: dict[str, Any]) -> None:
    admin = people["root_admin"]
    with pytest.raises(ValidationFailed, match="needs a person"):
        pki.issue_credential(actor=admin, purpose=CredentialPurpose.PERSONAL)
    with pytest.raises(ValidationFailed, match="needs a unit"):
        pki.issue_credential(actor=admin, purpose=CredentialPurpose.SEAL, user=people["leader_a"])
    with pytest.raises(ValidationFailed, match="not both"):
        pki.issue_credential(
            actor=admin,
            purpose=CredentialPurpose.SEAL,
            user=people["leader_a"],
            unit=tree["commune_a"],
        )
    with pytest.raises(ValidationFailed):
        pki.issue_credential(actor=admin, purpose=CredentialPurpose.TIMESTAMP)
    with pytest.raises(ValidationFailed, match="validity"):
        pki.issue_credential(
            actor=admin, purpose=CredentialPurpose.SEAL, unit=tree["commune_a"], valid_days=0
        )
    assert not Credential.objects.exists()


def test_seals_are_generated_on_the_hsm_when_configured(
    people: dict[str, Any], tree: dict[str, Any], hsm: dict[str, str]
) -> None:
    credential = pki.issue_credential(
        actor=people["root_admin"], purpose=CredentialPurpose.SEAL, unit=tree["office"]
    )
    assert credential.backend == KeyBackend.PKCS11
    assert credential.pkcs11_token_label == hsm["token_label"]
    assert credential.pkcs11_key_label.startswith("seal-")
    assert not credential.sealed_pkcs12
    with p11.session(hsm["module"], token_label=hsm["token_label"], pin=hsm["pin"]) as opened:
        assert p11.read_certificate(opened, label=credential.pkcs11_key_label) == bytes(
            credential.certificate
        )
    with keys.open_signer(credential) as signer:
        assert signer.signing_cert.dump() == bytes(credential.certificate)


def test_issue_pkcs11_credential_on_a_token(
    softhsm_token: SoftToken, people: dict[str, Any]
) -> None:
    """A second key on an existing token; a label already used there is refused and nothing
    is left behind."""
    credential = pki.issue_pkcs11_credential(
        actor=people["admin_a"],
        purpose=CredentialPurpose.PERSONAL,
        subject=pki.subject_for(common_name="Leadera"),
        user=people["leader_a"],
        module=softhsm_token.module,
        token_label=softhsm_token.token_label,
        key_label="second-key",
        pin=softhsm_token.pin,
    )
    assert credential.backend == KeyBackend.PKCS11
    with pytest.raises(ValidationFailed, match="already exists"):
        pki.issue_pkcs11_credential(
            actor=people["admin_a"],
            purpose=CredentialPurpose.PERSONAL,
            subject=pki.subject_for(common_name="Leadera"),
            user=people["leader_a"],
            module=softhsm_token.module,
            token_label=softhsm_token.token_label,
            key_label="second-key",
            pin=softhsm_token.pin,
        )
    with pytest.raises(ValidationFailed, match="refused the PIN"):
        pki.issue_pkcs11_credential(
            actor=people["admin_a"],
            purpose=CredentialPurpose.PERSONAL,
            subject=pki.subject_for(common_name="Leadera"),
            user=people["leader_a"],
            module=softhsm_token.module,
            token_label=softhsm_token.token_label,
            key_label="third-key",
            pin="000000",
        )
    assert Credential.objects.count() == 1


def test_ensure_credential_is_idempotent(people: dict[str, Any]) -> None:
    first, created = pki.ensure_credential(
        actor=None, purpose=CredentialPurpose.PERSONAL, user=people["leader_a"]
    )
    again, created_again = pki.ensure_credential(
        actor=None, purpose=CredentialPurpose.PERSONAL, user=people["leader_a"]
    )
    assert created
    assert not created_again
    assert again == first
    assert pki.current_credential(purpose=CredentialPurpose.PERSONAL, user=people["leader_a"]) == (
        first
    )


# --- Registering external certificates ----------------------------------------------------------


def test_import_an_officials_certificate(people: dict[str, Any]) -> None:
    pem = _official_certificate()
    credential = pki.import_credential(
        actor=people["admin_a"], certificate=pem, user=people["leader_a"]
    )
    assert credential.backend == KeyBackend.WORKSTATION
    assert credential.purpose == CredentialPurpose.PERSONAL
    assert not credential.issued_here
    assert pki.status_of(credential) == "active"
    event = AuditEvent.objects.get(action="signing.credential_imported")
    assert event.data["fingerprint"] == credential.fingerprint


def test_import_recognises_certificates_of_the_built_in_authority(
    softhsm_token: SoftToken, people: dict[str, Any]
) -> None:
    credential = pki.import_credential(
        actor=people["admin_a"], certificate=softhsm_token.certificate_der, user=people["leader_a"]
    )
    assert credential.issued_here  # so the built-in authority can revoke it


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: b"hello, not a certificate", "not a certificate"),
        (
            lambda: b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "not a certificate",
        ),
        (
            lambda: _official_certificate(start=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), days=30),
            "has expired",
        ),
        (
            lambda: _official_certificate(start=dt.datetime.now(dt.UTC) + dt.timedelta(days=10)),
            "not valid yet",
        ),
        (lambda: _official_certificate(key_usage=ENCRYPTION_USAGE), "digital signatures"),
        (
            lambda: _certificate(key_usage=SIGNING_USAGE)[0].public_bytes(
                serialization.Encoding.DER
            ),
            "not issued by an authority of the trust store",
        ),
        (
            lambda: _external_ca()[0].public_bytes(serialization.Encoding.PEM),
            "trust store instead",
        ),
    ],
)
def test_import_refuses_bad_certificates(people: dict[str, Any], make: Any, message: str) -> None:
    data = make()
    with pytest.raises(ValidationFailed, match=message):
        pki.import_credential(actor=people["admin_a"], certificate=data, user=people["leader_a"])
    assert not Credential.objects.exists()
    assert not AuditEvent.objects.filter(action="signing.credential_imported").exists()


def test_import_refuses_duplicates(people: dict[str, Any]) -> None:
    pem = _official_certificate()
    pki.import_credential(actor=people["admin_a"], certificate=pem, user=people["leader_a"])
    with pytest.raises(ValidationFailed, match="already registered"):
        pki.import_credential(actor=people["admin_a"], certificate=pem, user=people["leader_a"])
    assert Credential.objects.count() == 1


def test_import_outside_scope_is_refused(people: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        pki.import_credential(
            actor=people["admin_a"],
            certificate=_official_certificate(),
            user=people["leader_b"],
        )


def test_import_on_the_hsm_needs_its_key_label(people: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed, match="label of the key"):
        pki.import_credential(
            actor=people["admin_a"],
            certificate=_official_certificate(),
            user=people["leader_a"],
            backend=KeyBackend.PKCS11,
        )


# --- Revocation --------------------------------------------------------------------------------


def test_revoke_with_a_reason(people: dict[str, Any]) -> None:
    credential = pki.issue_credential(
        actor=people["admin_a"], purpose=CredentialPurpose.PERSONAL, user=people["leader_a"]
    )
    revoked = pki.revoke(actor=people["admin_a"], credential=credential, reason="key_compromise")
    assert revoked.revoked_at is not None
    assert revoked.revocation_reason == "key_compromise"
    assert pki.status_of(revoked) == "revoked"
    assert (
        pki.current_credential(purpose=CredentialPurpose.PERSONAL, user=people["leader_a"]) is None
    )
    event = AuditEvent.objects.get(action="signing.credential_revoked")
    assert event.data == {
        "serial": credential.serial,
        "subject": credential.subject,
        "reason": "key_compromise",
    }
    with pytest.raises(ValidationFailed, match="already revoked"):
        pki.revoke(actor=people["admin_a"], credential=revoked, reason="unspecified")


def test_revoke_refuses_unknown_reasons_and_outsiders(people: dict[str, Any]) -> None:
    credential = pki.issue_credential(
        actor=people["root_admin"], purpose=CredentialPurpose.PERSONAL, user=people["leader_b"]
    )
    with pytest.raises(ValidationFailed, match="reason"):
        pki.revoke(actor=people["root_admin"], credential=credential, reason="because")
    with pytest.raises(PermissionDenied):
        pki.revoke(actor=people["admin_a"], credential=credential, reason="unspecified")
    credential.refresh_from_db()
    assert credential.revoked_at is None


def test_withdraw_an_imported_certificate(people: dict[str, Any]) -> None:
    credential = pki.import_credential(
        actor=people["admin_a"], certificate=_official_certificate(), user=people["leader_a"]
    )
    withdrawn = pki.revoke(actor=people["admin_a"], credential=credential, reason="superseded")
    assert pki.status_of(withdrawn) == "withdrawn"
    assert AuditEvent.objects.filter(action="signing.credential_withdrawn").count() == 1
    # Not the built-in authority's certificate: its CRL does not list it.
    crl = x509.load_der_x509_crl(pki.crl_der())
    serial = x509.load_der_x509_certificate(bytes(credential.certificate)).serial_number
    assert crl.get_revoked_certificate_by_serial_number(serial) is None


# --- Scope -------------------------------------------------------------------------------------


def test_credentials_visible_in_scope_only(people: dict[str, Any], tree: dict[str, Any]) -> None:
    admin = people["root_admin"]
    inside = pki.issue_credential(
        actor=admin, purpose=CredentialPurpose.PERSONAL, user=people["leader_a"]
    )
    seal_inside = pki.issue_credential(
        actor=admin, purpose=CredentialPurpose.SEAL, unit=tree["cell_a"]
    )
    outside = pki.issue_credential(
        actor=admin, purpose=CredentialPurpose.PERSONAL, user=people["leader_b"]
    )
    node = pki.issue_pkcs12_credential(
        actor=None,
        purpose=CredentialPurpose.TIMESTAMP,
        subject=pki.subject_for(common_name="TSA"),
    )
    assert set(pki.credentials_visible_to(user=people["admin_a"])) == {inside, seal_inside}
    assert set(pki.credentials_visible_to(user=admin)) == {inside, seal_inside, outside, node}
    assert not pki.credentials_visible_to(user=people["clerk_a"]).exists()
    assert pki.node_wide(admin)
    assert not pki.node_wide(people["admin_a"])


def test_import_der_whose_last_byte_looks_like_whitespace(people: dict[str, Any]) -> None:
    """DER is binary: a certificate whose signature ends in 0x20 or 0x0a is still read (an
    earlier version stripped the bytes as if they were PEM text)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for _attempt in range(2000):
        der = pki.build_certificate(
            public_key=key.public_key(),
            subject=pki.subject_for(common_name="Nguyễn Văn Tư"),
            purpose=CredentialPurpose.PERSONAL,
        ).public_bytes(serialization.Encoding.DER)
        if der[-1:].isspace():
            break
    else:
        pytest.fail("no certificate ending in a whitespace byte was produced")
    credential = pki.import_credential(
        actor=people["admin_a"], certificate=der, user=people["leader_a"]
    )
    assert bytes(credential.certificate) == der
