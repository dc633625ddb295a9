"""Sign-in in a real browser: headless Chromium through Playwright, against the live server.

The WebAuthn test uses Chromium's virtual authenticator (DevTools protocol), so the whole
ceremony runs: our passkeys.js, the browser's WebAuthn stack, py_webauthn on the server.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from secretariat.accounts.models import User, WebAuthnCredential
from secretariat.accounts.services import mfa
from secretariat.accounts.tests.helpers import PASSWORD, code_for
from secretariat.audit.models import AuditEvent

pytestmark = [pytest.mark.browser]


def log_in_with_password(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")


def test_login_with_totp_then_switch_to_french(
    page: Any, live_server: Any, make_user: Any, tree: dict[str, Any]
) -> None:
    clerk = make_user("clerk", role="records_clerk", unit=tree["office"])
    clerk.language = "en"
    clerk.save()
    device = mfa.totp_enrol_start(actor=clerk, user=clerk)
    mfa.totp_enrol_confirm(actor=clerk, user=clerk, device=device, token=code_for(device))
    device.refresh_from_db()

    log_in_with_password(page, live_server.url, "clerk")
    page.wait_for_url(re.compile(r"/accounts/login/mfa/$"))
    page.fill("#id_code", code_for(device, drift=1))
    page.click("#totp-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator(".userlink").inner_text() == "Clerk"
    assert page.locator(".mainnav a").first.inner_text() == "Home"

    with page.expect_navigation():
        page.select_option("#language-select", "fr")
    assert page.url == f"{live_server.url}/"
    assert page.locator("html").get_attribute("lang") == "fr"
    # Still the home page, still signed in.
    assert page.locator(".userlink").inner_text() == "Clerk"
    assert page.locator("#recent-activity").count() == 1
    # The page itself is in French: navigation, headings, the role name.
    assert page.locator(".mainnav a").first.inner_text() == "Accueil"
    assert "Organisation" in page.locator(".mainnav").inner_text()
    assert page.get_by_role("heading", name="Mes rôles").count() == 1
    assert "Agent du bureau d’ordre" in page.locator("[data-role=records_clerk]").inner_text()


def test_register_a_security_key_then_sign_in_with_it(
    page: Any, live_server: Any, make_user: Any, settings: Any
) -> None:
    settings.WEBAUTHN_RP_ID = "localhost"
    settings.WEBAUTHN_ORIGINS = [live_server.url]
    assert live_server.url.startswith("http://localhost:")
    user: User = make_user("member")
    user.language = "en"
    user.save()

    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )

    # No factor yet: the password alone signs this user in.
    log_in_with_password(page, live_server.url, "member")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/accounts/security/")
    page.fill("#passkey-name", "Virtual key")
    page.click("#passkey-register")
    page.wait_for_selector("tr[data-key='Virtual key']")
    assert "has been added" in page.locator(".messages").inner_text()
    key = WebAuthnCredential.objects.get(user=user)
    assert key.name == "Virtual key"

    page.click("header button.link")  # log out
    page.wait_for_url(re.compile(r"/accounts/login/$"))

    # Now a factor exists: the second step is required, and the key answers it.
    log_in_with_password(page, live_server.url, "member")
    page.wait_for_url(re.compile(r"/accounts/login/mfa/$"))
    page.click("#passkey-login")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator(".userlink").inner_text() == "Member"
    key.refresh_from_db()
    assert key.last_used_at is not None
    login = AuditEvent.objects.filter(action="accounts.login_succeeded").last()
    assert login is not None
    assert login.data == {"method": "webauthn"}
