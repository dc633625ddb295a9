"""Field-level encryption of the sensitive personal data of a member (Decree 13/2023: ethnicity,
religion, health… are sensitive; DOMAIN.md §8).

Each sensitive field is stored in its own `<name>_sealed` binary column, sealed with
`core.keys.seal` (AES-256-GCM under the node master key). The context binds the ciphertext to
the field *and* the member (`members.member.<field>:<member id>`), so a value copied into another
column or another member's row does not open. Nothing here is queryable in clear: the reports
count by the coded dimensions (`choices.py`) instead, and the citizen ID is found by a keyed
digest (`citizen_id_digest`), never by its value.

Only the services write these columns and only the full-profile selector (which writes an audit
event) reads them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from django.utils.translation import gettext_lazy as _

from secretariat.core import keys

from .models import Member

# The sensitive fields: name → (label, maximum length).
SENSITIVE_FIELDS: dict[str, tuple[Any, int]] = {
    "citizen_id": (_("citizen ID number"), 12),
    "ethnicity_detail": (_("ethnicity (details)"), 255),
    "religion_detail": (_("religion (details)"), 255),
    "health": (_("health"), 1000),
    "war_invalid": (_("war invalid or sick soldier status"), 255),
    "martyr_family": (_("martyr's or meritorious family"), 255),
    "family_background": (_("family background"), 2000),
    "relatives_abroad": (_("relatives abroad"), 2000),
    "foreign_travel": (_("travel abroad"), 2000),
    "economic_situation": (_("economic situation"), 2000),
}

PHOTO_FIELD = "photo"
CITIZEN_ID_PATTERN = re.compile(r"^(\d{9}|\d{12})$")


def column(name: str) -> str:
    return f"{name}_sealed"


def context(name: str, member_id: Any) -> str:
    return f"members.member.{name}:{member_id}"


def seal_value(member: Member, name: str, value: str) -> bytes | None:
    """The sealed bytes of `value` for `member`'s field `name`; None for an empty value."""
    value = (value or "").strip()
    if not value:
        return None
    return keys.seal(value.encode("utf-8"), context=context(name, member.pk))


def set_sensitive(member: Member, name: str, value: str) -> None:
    """Seal `value` into the member's column (the caller saves)."""
    if name not in SENSITIVE_FIELDS:
        raise KeyError(name)
    setattr(member, column(name), seal_value(member, name, value))
    if name == "citizen_id":
        member.citizen_id_digest = citizen_id_digest(value)


def read_sensitive_field(member: Member, name: str) -> str:
    """One sensitive field of `member` in clear ("" when empty)."""
    sealed = getattr(member, column(name))
    if not sealed:
        return ""
    return keys.unseal(bytes(sealed), context=context(name, member.pk)).decode("utf-8")


def read_sensitive(member: Member) -> dict[str, str]:
    """Every sensitive field of `member` in clear ("" when empty). Callers audit the read."""
    return {name: read_sensitive_field(member, name) for name in SENSITIVE_FIELDS}


def seal_photo(member: Member, content: bytes) -> bytes:
    return keys.seal(content, context=context(PHOTO_FIELD, member.pk))


def unseal_photo(member: Member) -> bytes | None:
    if not member.photo_sealed:
        return None
    return keys.unseal(bytes(member.photo_sealed), context=context(PHOTO_FIELD, member.pk))


def _digest_key() -> bytes:
    # A key of its own, derived from the master key: the digest never uses the sealing key.
    _key_id, raw = keys.master_key()
    return hashlib.sha256(b"secretariat-members-citizen-id-digest:" + raw).digest()


def normalize_citizen_id(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "")


def citizen_id_digest(value: str) -> str:
    """HMAC-SHA-256 of the normalized citizen ID ("" when empty): equal IDs give equal
    digests, and without the node's master key the digest says nothing."""
    normalized = normalize_citizen_id(value)
    if not normalized:
        return ""
    return hmac.new(_digest_key(), normalized.encode("ascii", "replace"), "sha256").hexdigest()
