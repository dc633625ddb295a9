"""Production refuses unsafe defaults, naming each one; development starts on the defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
GOOD_KEY = "k" * 64
GOOD_MASTER_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # 32 bytes, base64
GOOD_NODE_KEY = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIB1lJg0x8Wq3QhR0lKc0bmCm0V5yQ7Q1c4m0p1o2t3u4\n-----END PRIVATE KEY-----"


def _start(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Load the settings in a fresh interpreter, as a server would at start-up."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SECRETARIAT_") and k != "DATABASE_URL"
    }
    clean.update(
        {
            "SECRETARIAT_DATA_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "secretariat.config.settings",
        }
    )
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_development_defaults_start(tmp_path: Path) -> None:
    result = _start(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout
    assert tmp_path.is_dir()


def test_production_names_every_missing_safeguard(tmp_path: Path) -> None:
    result = _start(tmp_path, SECRETARIAT_ENV="production", SECRETARIAT_DEBUG="1")
    assert result.returncode != 0
    for expected in (
        "SECRETARIAT_SECRET_KEY is missing",
        "SECRETARIAT_DEBUG is on",
        "the database is SQLite",
        "SECRETARIAT_NODE_SIGNING_KEY",
        "SECRETARIAT_MASTER_KEY",
        "SECRETARIAT_SIGNING_PKCS11_MODULE",
    ):
        assert expected in result.stderr


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"SECRETARIAT_SECRET_KEY": "short"}, "shorter than 50 characters"),
        ({"DATABASE_URL": "sqlite:///x.sqlite3"}, "the database is SQLite"),
        ({"SECRETARIAT_DEMO": "1"}, "SECRETARIAT_DEMO is on"),
    ],
)
def test_production_refuses_each_unsafe_value(
    tmp_path: Path, override: dict[str, str], message: str
) -> None:
    env = {
        "SECRETARIAT_ENV": "production",
        "SECRETARIAT_SECRET_KEY": GOOD_KEY,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
        "SECRETARIAT_NODE_SIGNING_KEY": GOOD_NODE_KEY,
        "SECRETARIAT_MASTER_KEY": GOOD_MASTER_KEY,
        "SECRETARIAT_SIGNING_PKCS11_MODULE": "/usr/lib/softhsm/libsofthsm2.so",
    }
    env.update(override)
    result = _start(tmp_path, **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_starts_when_everything_is_set(tmp_path: Path) -> None:
    result = _start(
        tmp_path,
        SECRETARIAT_ENV="production",
        SECRETARIAT_SECRET_KEY=GOOD_KEY,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres",
        SECRETARIAT_NODE_SIGNING_KEY=GOOD_NODE_KEY,
        SECRETARIAT_MASTER_KEY=GOOD_MASTER_KEY,
        SECRETARIAT_SIGNING_PKCS11_MODULE="/usr/lib/softhsm/libsofthsm2.so",
    )
    assert result.returncode == 0, result.stderr


def test_password_hashing_is_argon2(settings: Any, db: Any) -> None:
    """New passwords are hashed with Argon2 (the autouse fixture swaps hashers for speed; this
    test restores the configured list)."""
    from django.contrib.auth import get_user_model

    from secretariat.config import settings as configured

    settings.PASSWORD_HASHERS = configured.PASSWORD_HASHERS
    user = get_user_model().objects.create_user(username="hashed", password="a long passphrase")
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("a long passphrase")
