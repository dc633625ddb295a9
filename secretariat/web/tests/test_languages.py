"""Three languages: Vietnamese by default, French and English on request, switchable."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from secretariat.config import settings as configured

LOGIN_HEADING = {"vi": "Đăng nhập", "fr": "Se connecter", "en": "Log in"}


def test_vietnamese_is_the_configured_default(settings: Any, db: Any) -> None:
    assert configured.LANGUAGE_CODE == "vi"
    settings.LANGUAGE_CODE = configured.LANGUAGE_CODE
    response = Client().get(reverse("accounts:login"))  # no Accept-Language, no cookie
    html = response.content.decode()
    assert '<html lang="vi">' in html
    assert LOGIN_HEADING["vi"] in html


@pytest.mark.parametrize("language", ["vi", "fr", "en"])
def test_pages_follow_the_browser_language(language: str, db: Any) -> None:
    html = Client(HTTP_ACCEPT_LANGUAGE=language).get(reverse("accounts:login")).content.decode()
    assert f'<html lang="{language}">' in html
    assert LOGIN_HEADING[language] in html


def test_language_switcher_keeps_the_choice(
    tree: dict[str, Any], make_user: Any, client_for: Any
) -> None:
    user = make_user("switcher", role="leader", unit=tree["office"])
    client = client_for(user)
    response = client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="fr">' in html
    assert "Mes rôles" in html
    assert "Dirigeant" in html  # the role name, translated


def test_every_message_is_translated() -> None:
    """No empty or fuzzy entry in the Vietnamese and French catalogues."""
    import subprocess

    for language in ("vi", "fr"):
        for domain in ("django", "djangojs"):
            path = (
                configured.BASE_DIR
                / "secretariat"
                / "locale"
                / language
                / "LC_MESSAGES"
                / f"{domain}.po"
            )
            untranslated = subprocess.run(
                ["msgattrib", "--untranslated", "--no-obsolete", str(path)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            fuzzy = subprocess.run(
                ["msgattrib", "--only-fuzzy", str(path)], capture_output=True, text=True, check=True
            ).stdout
            assert "msgid" not in untranslated, f"{path}:\n{untranslated[:2000]}"
            assert "msgid" not in fuzzy, f"{path}:\n{fuzzy[:2000]}"
