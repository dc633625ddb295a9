"""Pages and API of the trust store, the credentials and the built-in authority, as an
administrator uses them (the permission matrix covers every role; here: what the pages do)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.audit.models import AuditEvent
from secretariat.signing import pki
from secretariat.signing.models import Credential, CredentialPurpose, TrustAnchor


def _root(name: str = "Root CA", *, ca: bool = True) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
    )


@pytest.fixture
def admin(tree: dict[str, Any], make_user: Any) -> Any:
    """A signing administrator of the whole node."""
    return make_user("nodeadmin", role=Role.SYSTEM_ADMIN, unit=tree["province"])


@pytest.fixture
def official(tree: dict[str, Any], make_user: Any) -> Any:
    return make_user("maitt", position=(tree["office"], "Văn thư"))


def test_authority_page_shows_fingerprint_and_links(admin: Any, client_for: Any) -> None:
    body = client_for(admin).get(reverse("signing:authority")).content.decode()
    assert pki.fingerprint(pki.authority_certificate_der()) in body
    assert reverse("signing:ca_certificate") in body
    assert reverse("signing:ca_crl") in body
    assert "/signing/tsa" in body


def test_trust_store_upload_and_toggle(admin: Any, client_for: Any) -> None:
    client = client_for(admin)
    page = reverse("signing:trust_anchors")
    bundle = _root("Ban Cơ yếu Chính phủ") + _root("Root thứ hai")
    response = client.post(page, {"file": SimpleUploadedFile("roots.pem", bundle)}, follow=True)
    body = response.content.decode()
    assert "2 certificate(s) added" in body
    assert "CN=Ban Cơ yếu Chính phủ" in body
    anchor = TrustAnchor.objects.get(subject="CN=Root thứ hai")
    response = client.post(reverse("signing:trust_anchor_active", args=[anchor.pk]), {})
    assert response.status_code == 302
    anchor.refresh_from_db()
    assert not anchor.active
    client.post(reverse("signing:trust_anchor_active", args=[anchor.pk]), {"active": "on"})
    anchor.refresh_from_db()
    assert anchor.active


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"garbage", "not a certificate"),
        (_root("Leaf", ca=False), "not an authority&#x27;s certificate"),
    ],
)
def test_bad_upload_shows_why_and_stores_nothing(
    admin: Any, client_for: Any, content: bytes, message: str
) -> None:
    before = TrustAnchor.objects.count()
    response = client_for(admin).post(
        reverse("signing:trust_anchors"), {"file": SimpleUploadedFile("x.pem", content)}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert TrustAnchor.objects.count() == before


def test_a_commune_administrator_reads_but_does_not_change_the_store(
    tree: dict[str, Any], make_user: Any, client_for: Any
) -> None:
    commune_admin = make_user("communeadmin", role=Role.UNIT_ADMIN, unit=tree["commune_a"])
    client = client_for(commune_admin)
    body = client.get(reverse("signing:trust_anchors")).content.decode()
    assert "signing administrators change the trust store." in body
    response = client.post(
        reverse("signing:trust_anchors"), {"file": SimpleUploadedFile("r.pem", _root())}
    )
    assert response.status_code == 403


def test_issue_list_download_and_revoke(admin: Any, official: Any, client_for: Any) -> None:
    client = client_for(admin)
    response = client.post(
        reverse("signing:credential_issue"),
        {"purpose": "personal", "username": "maitt", "valid_days": "730"},
        follow=True,
    )
    assert "Certificate issued to" in response.content.decode()
    credential = Credential.objects.get(user=official)
    assert (credential.not_after - credential.not_before).days == 730
    body = client.get(reverse("signing:credentials") + "?q=Maitt").content.decode()
    assert credential.serial in body
    download = client.get(reverse("signing:credential_certificate", args=[credential.pk]))
    assert download["Content-Type"] == "application/pkix-cert"
    assert download.content == bytes(credential.certificate)
    response = client.post(
        reverse("signing:credential_revoke", args=[credential.pk]),
        {"reason": "key_compromise"},
        follow=True,
    )
    assert "revoked" in response.content.decode()
    credential.refresh_from_db()
    assert credential.revocation_reason == "key_compromise"


def test_issue_form_errors(admin: Any, client_for: Any, tree: dict[str, Any]) -> None:
    client = client_for(admin)
    response = client.post(
        reverse("signing:credential_issue"),
        {"purpose": "personal", "username": "ghost", "valid_days": "365"},
    )
    assert response.status_code == 400
    assert "No such person among those you manage." in response.content.decode()
    response = client.post(
        reverse("signing:credential_issue"), {"purpose": "seal", "valid_days": "365"}
    )
    assert response.status_code == 400
    assert "Choose the unit." in response.content.decode()
    response = client.post(
        reverse("signing:credential_issue"),
        {"purpose": "seal", "unit": str(tree["office"].pk), "valid_days": "365"},
    )
    assert response.status_code == 302
    assert Credential.objects.get(unit=tree["office"]).purpose == CredentialPurpose.SEAL


def test_import_page(admin: Any, official: Any, client_for: Any) -> None:
    client = client_for(admin)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = pki.build_certificate(
        public_key=key.public_key(),
        subject=pki.subject_for(common_name="Trần Thị Mai"),
        purpose=CredentialPurpose.PERSONAL,
    ).public_bytes(serialization.Encoding.PEM)
    data = {"purpose": "personal", "username": "maitt", "backend": "workstation"}
    response = client.post(
        reverse("signing:credential_import"),
        {**data, "certificate": SimpleUploadedFile("c.pem", pem)},
        follow=True,
    )
    assert "registered" in response.content.decode()
    response = client.post(
        reverse("signing:credential_import"),
        {**data, "certificate": SimpleUploadedFile("c.pem", pem)},
    )
    assert response.status_code == 400
    assert "already registered" in response.content.decode()
    assert Credential.objects.filter(user=official).count() == 1


# --- API ----------------------------------------------------------------------------------------


def _post(client: Any, url: str, payload: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(payload), content_type="application/json")


def test_api_trust_store(admin: Any, client_for: Any) -> None:
    client = client_for(admin)
    response = _post(client, "/api/v1/signing/trust-anchors", {"pem": _root("API Root").decode()})
    assert response.status_code == 201
    (anchor,) = response.json()
    assert anchor["kind"] == "root"
    response = _post(
        client, f"/api/v1/signing/trust-anchors/{anchor['id']}/active", {"active": False}
    )
    assert response.json()["active"] is False
    response = _post(client, "/api/v1/signing/trust-anchors", {"pem": "-----BEGIN nonsense"})
    assert response.status_code == 400
    assert response.json()["message"]
    response = _post(client, "/api/v1/signing/trust-anchors", {"der_base64": "%%%"})
    assert response.status_code == 400
    listed = client.get("/api/v1/signing/trust-anchors").json()
    assert {a["subject"] for a in listed} >= {"CN=API Root"}


def test_api_credentials(admin: Any, official: Any, client_for: Any, tree: dict[str, Any]) -> None:
    client = client_for(admin)
    response = _post(
        client, "/api/v1/signing/credentials", {"purpose": "seal", "unit_code": tree["office"].code}
    )
    assert response.status_code == 201
    seal = response.json()
    assert seal["unit_code"] == tree["office"].code
    assert seal["certificate_pem"].startswith("-----BEGIN CERTIFICATE-----")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = pki.build_certificate(
        public_key=key.public_key(),
        subject=pki.subject_for(common_name="Trần Thị Mai"),
        purpose=CredentialPurpose.PERSONAL,
    ).public_bytes(serialization.Encoding.DER)
    import base64

    response = _post(
        client,
        "/api/v1/signing/credentials/import",
        {"certificate": base64.b64encode(der).decode(), "username": "maitt"},
    )
    assert response.status_code == 201
    imported = response.json()
    assert imported["backend"] == "workstation"
    assert imported["issued_here"] is True
    response = _post(
        client,
        f"/api/v1/signing/credentials/{imported['id']}/revoke",
        {"reason": "cessation_of_operation"},
    )
    assert response.json()["status"] == "revoked"
    response = _post(
        client, "/api/v1/signing/credentials", {"purpose": "personal", "username": "ghost"}
    )
    assert response.status_code == 400
    assert "username" in response.json()["errors"]
    listed = client.get("/api/v1/signing/credentials").json()
    assert {c["id"] for c in listed} >= {seal["id"], imported["id"]}
    assert AuditEvent.objects.filter(action="signing.credential_imported").count() == 1
