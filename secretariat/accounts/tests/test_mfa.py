"""The personal security page: TOTP set-up and replacement, recovery codes, security keys,
password change."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from secretariat.accounts.models import User, WebAuthnCredential
from secretariat.accounts.services import mfa
from secretariat.accounts.tests.helpers import PASSWORD, code_for, english
from secretariat.audit.models import AuditEvent
from secretariat.core.errors import Conflict

SECURITY = "/accounts/security/"
TOTP_PAGE = "/accounts/security/totp/"


@pytest.fixture
def member(make_user: Any) -> User:
    return english(make_user("member"))


@pytest.fixture
def leader(make_user: Any, tree: dict[str, Any]) -> User:
    return english(make_user("leader", role="leader", unit=tree["commune_a"]))


def pending_device(browser: Client, user: User) -> TOTPDevice:
    assert browser.get(TOTP_PAGE).status_code == 200
    return TOTPDevice.objects.get(user=user, confirmed=False)


def test_security_page_shows_the_status_of_factors(client_for: Any, member: User) -> None:
    body = client_for(member).get(SECURITY).content.decode()
    assert "not set up" in body
    assert 'id="recovery-remaining">0<' in body
    assert "Add a security key" in body


def test_totp_set_up_from_the_security_page(client_for: Any, member: User) -> None:
    browser = client_for(member)
    device = pending_device(browser, member)
    page = browser.get(TOTP_PAGE).content.decode()
    assert "<svg" in page
    assert 'id="totp-secret"' in page
    response = browser.post(TOTP_PAGE, {"code": code_for(device)})
    assert response.status_code == 200
    assert response.content.decode().count('class="recovery-code"') == 10
    device.refresh_from_db()
    assert device.confirmed
    assert "enabled" in browser.get(SECURITY).content.decode()


def test_wrong_code_does_not_confirm_the_device(client_for: Any, member: User) -> None:
    browser = client_for(member)
    device = pending_device(browser, member)
    wrong = "000000" if code_for(device) != "000000" else "111111"
    response = browser.post(TOTP_PAGE, {"code": wrong})
    assert response.status_code == 200
    assert "The code is not valid" in response.content.decode()
    assert mfa.totp_device(member) is None


def test_replacing_totp_keeps_the_recovery_codes_and_drops_the_old_device(
    client_for: Any, member: User
) -> None:
    browser = client_for(member)
    first = pending_device(browser, member)
    browser.post(TOTP_PAGE, {"code": code_for(first)})
    assert mfa.recovery_codes_remaining(member) == 10
    second = pending_device(browser, member)
    assert second.key != first.key
    # Until confirmed, the old device still signs in.
    assert mfa.totp_device(member) == first
    response = browser.post(TOTP_PAGE, {"code": code_for(second)})
    assert response.status_code == 302
    assert list(TOTPDevice.objects.filter(user=member)) == [second]
    assert mfa.recovery_codes_remaining(member) == 10
    replaced = AuditEvent.objects.filter(action="accounts.mfa_enrolled").last()
    assert replaced is not None
    assert replaced.data == {"factor": "totp", "replaced": True}


def test_regenerating_recovery_codes_invalidates_the_old_ones(
    client_for: Any, member: User
) -> None:
    browser = client_for(member)
    device = pending_device(browser, member)
    old_page = browser.post(TOTP_PAGE, {"code": code_for(device)}).content.decode()
    old_code = old_page.split('class="recovery-code">')[1].split("<")[0]
    new_page = browser.post("/accounts/security/recovery-codes/").content.decode()
    new_code = new_page.split('class="recovery-code">')[1].split("<")[0]
    assert new_code != old_code
    assert not mfa.mfa_verify_recovery(user=member, code=old_code)
    assert mfa.mfa_verify_recovery(user=member, code=new_code)
    assert AuditEvent.objects.filter(action="accounts.mfa_recovery_codes_generated").count() == 2


def test_recovery_codes_need_a_factor_first(client_for: Any, member: User) -> None:
    response = client_for(member).post("/accounts/security/recovery-codes/", follow=True)
    assert "Set up an authenticator app or a security key first." in response.content.decode()
    assert mfa.recovery_codes_remaining(member) == 0


def test_password_change_needs_the_current_password(client_for: Any, member: User) -> None:
    response = client_for(member).post(
        "/accounts/security/password/",
        {
            "current_password": "wrong",
            "new_password1": "a much better passphrase",
            "new_password2": "a much better passphrase",
        },
    )
    assert response.status_code == 400
    assert "Your current password is not correct." in response.content.decode()
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_password_change_applies_the_validators(client_for: Any, member: User) -> None:
    response = client_for(member).post(
        "/accounts/security/password/",
        {"current_password": PASSWORD, "new_password1": "12345", "new_password2": "12345"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "This password is too short." in body
    assert "This password is entirely numeric." in body


def test_password_change_mismatch(client_for: Any, member: User) -> None:
    response = client_for(member).post(
        "/accounts/security/password/",
        {
            "current_password": PASSWORD,
            "new_password1": "a much better passphrase",
            "new_password2": "another passphrase",
        },
    )
    assert "The two new passwords differ." in response.content.decode()


def test_password_change_keeps_the_session_and_the_new_password_works(
    client: Client, member: User
) -> None:
    client.post("/accounts/login/", {"username": "member", "password": PASSWORD})
    response = client.post(
        "/accounts/security/password/",
        {
            "current_password": PASSWORD,
            "new_password1": "a much better passphrase",
            "new_password2": "a much better passphrase",
        },
    )
    assert response.status_code == 302
    assert client.get(SECURITY).status_code == 200
    assert AuditEvent.objects.filter(action="accounts.password_changed").exists()
    client.post("/accounts/logout/")
    assert (
        client.post("/accounts/login/", {"username": "member", "password": PASSWORD}).status_code
        == 200
    )
    assert (
        client.post(
            "/accounts/login/", {"username": "member", "password": "a much better passphrase"}
        ).status_code
        == 302
    )


def test_key_registration_endpoints_reject_bad_input(client_for: Any, member: User) -> None:
    browser = client_for(member)
    complete = "/accounts/security/keys/register/complete/"
    bad_json = browser.post(complete, data="[1, 2", content_type="application/json")
    assert bad_json.status_code == 400
    assert bad_json.json()["message"] == "The security key answer is not valid."
    # A well-formed body without a ceremony started first.
    no_challenge = browser.post(
        complete, data={"name": "k", "credential": {}}, content_type="application/json"
    )
    assert no_challenge.status_code == 400
    assert no_challenge.json()["message"] == "The security key request has expired. Try again."
    options = browser.post("/accounts/security/keys/register/begin/").json()
    assert options["rp"]["id"] == "localhost"
    assert options["user"]["name"] == "member"
    garbage = browser.post(
        complete,
        data={"name": "k", "credential": {"id": "x", "rawId": "y", "response": {}}},
        content_type="application/json",
    )
    assert garbage.status_code == 400
    assert garbage.json()["message"] == "The security key could not be registered."
    assert not WebAuthnCredential.objects.exists()


def test_last_factor_of_a_mandatory_role_cannot_be_removed(leader: User) -> None:
    key = WebAuthnCredential.objects.create(
        user=leader, name="usb", credential_id=b"id-1", public_key=b"pk"
    )
    with pytest.raises(Conflict):
        mfa.passkey_remove(actor=leader, user=leader, key_id=key.pk)
    assert WebAuthnCredential.objects.filter(pk=key.pk).exists()


def test_removing_a_key_is_audited(client_for: Any, member: User) -> None:
    key = WebAuthnCredential.objects.create(
        user=member, name="usb", credential_id=b"id-2", public_key=b"pk"
    )
    response = client_for(member).post(f"/accounts/security/keys/{key.pk}/remove/", follow=True)
    assert "The security key has been removed." in response.content.decode()
    assert not WebAuthnCredential.objects.exists()
    assert AuditEvent.objects.get(action="accounts.mfa_key_removed").data == {
        "user": "member",
        "name": "usb",
    }


def test_someone_elses_key_cannot_be_removed(client_for: Any, member: User, make_user: Any) -> None:
    other = make_user("other")
    key = WebAuthnCredential.objects.create(
        user=other, name="usb", credential_id=b"id-3", public_key=b"pk"
    )
    assert client_for(member).post(f"/accounts/security/keys/{key.pk}/remove/").status_code == 404
    assert WebAuthnCredential.objects.filter(pk=key.pk).exists()


def test_known_secret_enrolment_for_the_demo(member: User, settings: Any) -> None:
    device = mfa.totp_enrol_with_secret(actor=None, user=member, secret_base32="SECRETARIATDEMOA")
    assert device.confirmed
    assert mfa.mfa_verify_totp(user=member, token=code_for(device))
    settings.DEMO = False
    with pytest.raises(Conflict):
        mfa.totp_enrol_with_secret(actor=None, user=member, secret_base32="SECRETARIATDEMOA")
