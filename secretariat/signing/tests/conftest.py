"""Fixtures of the signing tests: real SoftHSM2 tokens (see `softhsm.py`)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secretariat.signing import pki
from secretariat.signing.tests.softhsm import SOFTHSM_MODULE, SoftToken, init_token, make_token


@pytest.fixture
def softhsm_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh SoftHSM2 token directory for this test; `SOFTHSM2_CONF` is restored after."""
    monkeypatch.setenv("SOFTHSM2_CONF", str(tmp_path / "softhsm" / "softhsm2.conf"))
    return tmp_path / "softhsm"


@pytest.fixture
def make_softhsm_token(db: Any, softhsm_dir: Path) -> Callable[..., SoftToken]:
    """make_softhsm_token(common_name="Nguyễn Văn A", **make_token options) -> SoftToken; every
    token of one test in the same directory."""

    def _make(common_name: str = "Nguyễn Văn An", **options: Any) -> SoftToken:
        suffix = secrets.token_hex(3)
        return make_token(
            softhsm_dir,
            label=options.pop("label", f"token-{suffix}"),
            key_label=options.pop("key_label", f"key-{suffix}"),
            pin=options.pop("pin", "123456"),
            subject=options.pop(
                "subject", pki.subject_for(common_name=common_name, organization="Tỉnh ủy")
            ),
            **options,
        )

    return _make


@pytest.fixture
def softhsm_token(make_softhsm_token: Callable[..., SoftToken]) -> SoftToken:
    """A new SoftHSM2 token with an RSA-2048 key generated on it and its certificate from the
    built-in authority stored next to it (label and CKA_ID of the key)."""
    return make_softhsm_token()


@pytest.fixture
def hsm(db: Any, softhsm_dir: Path, settings: Any) -> dict[str, str]:
    """An empty SoftHSM2 token configured as the node's HSM (SIGNING_PKCS11_MODULE,
    SIGNING_HSM_TOKEN_LABEL, SIGNING_HSM_PIN)."""
    label, pin = "node-hsm", "246810"
    init_token(softhsm_dir, label=label, pin=pin)
    settings.SIGNING_PKCS11_MODULE = SOFTHSM_MODULE
    settings.SIGNING_HSM_TOKEN_LABEL = label
    settings.SIGNING_HSM_PIN = pin
    return {"module": SOFTHSM_MODULE, "token_label": label, "pin": pin}
