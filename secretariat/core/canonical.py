"""Canonical JSON and digests used wherever bytes must hash the same on every node."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> bytes:
    """UTF-8 JSON with sorted keys and no insignificant white space."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def digest(value: Any) -> str:
    """Hex SHA-256 of the canonical JSON of `value`; empty string for None."""
    if value is None:
        return ""
    return hashlib.sha256(canonical_json(value)).hexdigest()
