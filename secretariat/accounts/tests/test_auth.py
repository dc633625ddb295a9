"""Sign-in: password step, second factor, forced enrolment, lockout, logout, language."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from secretariat.accounts.models import User
from secretariat.accounts.services import authentication as auth
from secretariat.accounts.services import mfa
from secretariat.accounts.tests.helpers import PASSWORD, code_for, english
from secretariat.audit.models import AuditEvent

LOGIN = "/accounts/login/"
MFA = "/accounts/login/mfa/"
ENROL = "/accounts/login/enrol/"


def enrol_totp(user: User) -> tuple[TOTPDevice, list[str]]:
    """Enrol a TOTP app through the real services, as the security page does."""
    device = mfa.totp_enrol_start(actor=user, user=user)
    codes = mfa.totp_enrol_confirm(actor=user, user=user, device=device, token=code_for(device))
    device.refresh_from_db()
    return device, codes


def post_password(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


@pytest.fixture
def member(make_user: Any, tree: dict[str, Any]) -> User:
    """A user without role: no second factor required."""
    return english(make_user("member", position=(tree["cell_a"], "Đảng viên")))


@pytest.fixture
def clerk(make_user: Any, tree: dict[str, Any]) -> User:
    """A records clerk: the role requires a second factor."""
    return english(make_user("clerk", role="records_clerk", unit=tree["office"]))


def test_login_page_shows_demo_accounts_in_demo_mode(client: Client, settings: Any) -> None:
    settings.DEMO = True
    page = client.get(LOGIN).content.decode()
    assert 'id="demo-accounts"' in page
    for name in ("admin", "clerk", "leader", "secretary", "member", "secretariat-demo", "TOTP"):
        assert name in page


def test_login_page_hides_demo_accounts_outside_demo_mode(client: Client, settings: Any) -> None:
    settings.DEMO = False
    assert "secretariat-demo" not in client.get(LOGIN).content.decode()


def test_wrong_password_is_refused_with_a_message_and_audited(client: Client, member: User) -> None:
    response = post_password(client, "member", "not the password")
    assert response.status_code == 200
    assert "The username or password is not correct." in response.content.decode()
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="accounts.login_failed")
    assert event.actor_id == member.pk
    assert event.data == {"reason": "credentials"}


def test_unknown_username_is_audited_with_the_typed_name(client: Client, db: Any) -> None:
    post_password(client, "nobody-here", "whatever")
    event = AuditEvent.objects.get(action="accounts.login_failed")
    assert event.actor_id is None
    assert event.actor_username == "nobody-here"


def test_user_without_factor_or_required_role_logs_in_with_password(
    client: Client, member: User
) -> None:
    response = post_password(client, "member")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
    assert client.session["_auth_user_id"] == str(member.pk)
    event = AuditEvent.objects.get(action="accounts.login_succeeded")
    assert event.actor_id == member.pk
    assert event.data == {"method": "password"}


def test_login_activates_the_preferred_language(client: Client, member: User) -> None:
    member.language = "fr"
    member.save()
    response = post_password(client, "member")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    page = client.get(reverse("accounts:login"), follow=True)
    # Logged in: the login page sends the user on; any page now speaks French.
    assert page.redirect_chain[0][0] == reverse("web:home")
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"


def test_next_parameter_is_followed_but_not_to_another_site(client: Client, member: User) -> None:
    response = post_password(client, "member", next="/accounts/security/")
    assert response["Location"] == "/accounts/security/"
    client.post(reverse("accounts:logout"))
    response = post_password(client, "member", next="https://evil.example/")
    assert response["Location"] == reverse("web:home")


def test_mandatory_mfa_forces_enrolment_before_login(client: Client, clerk: User) -> None:
    response = post_password(client, "clerk")
    assert response["Location"] == ENROL
    assert "_auth_user_id" not in client.session
    # The second step cannot be skipped: the factor page sends back to enrolment.
    assert client.get(MFA)["Location"] == ENROL
    page = client.get(ENROL)
    body = page.content.decode()
    assert "<svg" in body
    device = TOTPDevice.objects.get(user=clerk, confirmed=False)
    secret = body.split('id="totp-secret">')[1].split("<")[0].replace(" ", "")
    assert secret  # the base32 secret is shown for typing
    wrong = client.post(ENROL, {"code": "000000" if code_for(device) != "000000" else "111111"})
    assert "The code is not valid" in wrong.content.decode()
    assert "_auth_user_id" not in client.session
    done = client.post(ENROL, {"code": code_for(device, drift=1)})
    assert done.status_code == 200
    codes = done.content.decode().count('class="recovery-code"')
    assert codes == 10
    assert client.session["_auth_user_id"] == str(clerk.pk)
    assert TOTPDevice.objects.get(user=clerk).confirmed
    assert {"accounts.mfa_enrolled", "accounts.mfa_recovery_codes_generated"} <= set(actions())
    assert AuditEvent.objects.get(action="accounts.login_succeeded").data == {
        "method": "totp_enrolment"
    }


def test_enrolment_page_keeps_the_same_secret_on_reload(client: Client, clerk: User) -> None:
    post_password(client, "clerk")
    first = client.get(ENROL).content.decode().split('id="totp-secret">')[1].split("<")[0]
    second = client.get(ENROL).content.decode().split('id="totp-secret">')[1].split("<")[0]
    assert first == second
    assert TOTPDevice.objects.filter(user=clerk).count() == 1


def test_pending_session_reaches_neither_pages_nor_the_api(client: Client, clerk: User) -> None:
    enrol_totp(clerk)
    assert post_password(client, "clerk")["Location"] == MFA
    home = client.get("/")
    assert home.status_code == 302
    assert home["Location"].startswith(reverse("accounts:login"))
    assert client.get("/accounts/security/").status_code == 302
    assert client.get("/api/v1/me").status_code == 401


def test_totp_second_step_logs_in(client: Client, clerk: User) -> None:
    device, _codes = enrol_totp(clerk)
    post_password(client, "clerk")
    response = client.post(MFA, {"method": "totp", "code": code_for(device, drift=1)})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
    assert client.session["_auth_user_id"] == str(clerk.pk)
    assert "accounts.mfa_verified" in actions()
    assert client.get("/api/v1/me").json()["username"] == "clerk"


def test_user_with_a_factor_always_gets_the_second_step(client: Client, member: User) -> None:
    enrol_totp(member)
    assert post_password(client, "member")["Location"] == MFA
    assert "_auth_user_id" not in client.session


def test_wrong_totp_is_refused_and_audited(client: Client, clerk: User) -> None:
    device, _codes = enrol_totp(clerk)
    post_password(client, "clerk")
    wrong = "123456" if code_for(device, 1) != "123456" else "654321"
    response = client.post(MFA, {"method": "totp", "code": wrong})
    assert response.status_code == 200
    assert "The code is not valid" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.get(action="accounts.mfa_failed").data == {"factor": "totp"}


def test_malformed_totp_is_an_inline_error(client: Client, clerk: User) -> None:
    enrol_totp(clerk)
    post_password(client, "clerk")
    response = client.post(MFA, {"method": "totp", "code": "abc"})
    assert response.status_code == 200
    assert "Enter the 6-digit code" in response.content.decode()


def test_recovery_code_works_once(client: Client, clerk: User) -> None:
    _device, codes = enrol_totp(clerk)
    post_password(client, "clerk")
    response = client.post(MFA, {"method": "recovery", "recovery_code": codes[0].upper()})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(clerk.pk)
    assert "accounts.mfa_recovery_code_used" in actions()
    client.post(reverse("accounts:logout"))

    post_password(client, "clerk")
    again = client.post(MFA, {"method": "recovery", "recovery_code": codes[0]})
    assert again.status_code == 200
    assert "not valid or has already been used" in again.content.decode()
    assert "_auth_user_id" not in client.session
    assert mfa.recovery_codes_remaining(clerk) == 9


def test_account_locks_after_the_failure_limit(client: Client, member: User) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    for _attempt in range(limit - 1):
        assert post_password(client, "member", "wrong password").status_code == 200
    locked = post_password(client, "member", "wrong password")
    assert locked.status_code == 429
    body = locked.content.decode()
    assert "this account is locked" in body
    minutes = round(settings.AXES_COOLOFF_TIME * 60)  # hours, as axes reads a float
    assert f"Try again in {minutes} minutes" in body
    assert "accounts.locked_out" in actions()
    # The correct password is still refused while the lock lasts.
    refused = post_password(client, "member")
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="accounts.login_failed").last().data == {  # type: ignore[union-attr]
        "reason": "locked"
    }


def test_lockout_is_per_account(client: Client, member: User, make_user: Any) -> None:
    make_user("other")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        post_password(client, "member", "wrong password")
    assert post_password(client, "other").status_code == 302


def test_wrong_second_factors_count_towards_lockout(client: Client, clerk: User) -> None:
    device, _codes = enrol_totp(clerk)
    limit = settings.AXES_FAILURE_LIMIT
    post_password(client, "clerk", "wrong password")
    post_password(client, "clerk")
    wrong = "123456" if code_for(device, 1) != "123456" else "654321"
    for _attempt in range(limit - 2):
        assert client.post(MFA, {"method": "totp", "code": wrong}).status_code == 200
    locked = client.post(MFA, {"method": "recovery", "recovery_code": "aaaaa-bbbbb"})
    assert locked.status_code == 429
    assert "this account is locked" in locked.content.decode()
    # The pending state is gone, and a correct code no longer helps.
    assert client.get(MFA)["Location"] == reverse("accounts:login")
    assert post_password(client, "clerk").status_code == 429


def test_successful_login_resets_the_failure_count(client: Client, member: User) -> None:
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        post_password(client, "member", "wrong password")
    post_password(client, "member")
    client.post(reverse("accounts:logout"))
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert post_password(client, "member", "wrong password").status_code == 200


def test_pending_sign_in_expires_after_five_minutes(client: Client, clerk: User) -> None:
    device, _codes = enrol_totp(clerk)
    post_password(client, "clerk")
    session = client.session
    session[auth.PENDING_AT] = session[auth.PENDING_AT] - auth.PENDING_SECONDS - 1
    session.save()
    response = client.post(MFA, {"method": "totp", "code": code_for(device, 1)}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert "Your sign-in has expired" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_is_post_only_and_audited(client: Client, member: User) -> None:
    post_password(client, "member")
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(reverse("accounts:logout"))
    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.get(action="accounts.logout").actor_id == member.pk


def test_webauthn_login_endpoints_answer_json_errors(client: Client, clerk: User) -> None:
    begin = reverse("accounts:webauthn_login_begin")
    complete = reverse("accounts:webauthn_login_complete")
    # No pending sign-in.
    assert client.post(begin).status_code == 401
    enrol_totp(clerk)
    post_password(client, "clerk")
    no_key = client.post(begin)
    assert no_key.status_code == 404
    assert no_key.json()["message"] == "No security key is registered for this account."
    bad = client.post(complete, data="{not json", content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["message"] == "The security key answer is not valid."
    forged = client.post(
        complete,
        data={"credential": {"id": "AAAA", "rawId": "AAAA", "type": "public-key"}},
        content_type="application/json",
    )
    assert forged.status_code == 400
    assert forged.json()["message"] == "The security key was not accepted."
    assert AuditEvent.objects.filter(action="accounts.mfa_failed").last().data == {  # type: ignore[union-attr]
        "factor": "webauthn"
    }


def test_lock_counts_down_and_ends_after_the_cool_off(
    client: Client, member: User, rf: Any
) -> None:
    from axes.models import AccessAttempt

    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        post_password(client, "member", "wrong password")
    attempt = AccessAttempt.objects.get(username="member")
    attempt.attempt_time -= dt.timedelta(minutes=11)
    attempt.save()
    assert auth.lockout_minutes_left(rf.get("/"), "member") == 4
    attempt.attempt_time -= dt.timedelta(minutes=5)
    attempt.save()
    assert post_password(client, "member").status_code == 302
    assert client.session["_auth_user_id"] == str(member.pk)
