"""Services of member profiles: open a record, change the profile (sensitive fields sealed), the
photo, the link to a user account.

A profile is given as a mapping `{field name: value}` over `PROFILE_FIELDS` (plain columns) and
`SENSITIVE_FIELDS` (sealed): the forms and the spreadsheet import map their inputs to these
names. Values are strings for text and codes, `datetime.date` (or an ISO `YYYY-MM-DD` string)
for dates, an integer for `dues_base_amount`. `profile_errors` validates a mapping without
writing, so an import can report every line's problems in a dry run.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from secretariat.core import clock
from secretariat.core.errors import Conflict, ValidationFailed
from secretariat.orgs.models import Unit

from .. import sealing
from ..choices import AcademicTitle, Degree, Ethnicity, Gender, IncomeType, Religion, TheoryLevel
from ..models import Member
from ._common import FieldErrors, invalid, lock_member, record, require_manage, snapshot

# Plain profile fields: name → (kind, maximum length or choices).
_TEXT = "text"
_DATE = "date"
_CHOICE = "choice"
_AMOUNT = "amount"
_FIELDS: dict[str, tuple[str, Any]] = {
    "full_name": (_TEXT, 150),
    "other_names": (_TEXT, 150),
    "gender": (_CHOICE, Gender),
    "birth_date": (_DATE, None),
    "birth_registration_place": (_TEXT, 255),
    "hometown": (_TEXT, 255),
    "residence": (_TEXT, 255),
    "party_record_number": (_TEXT, 30),
    "card_number": (_TEXT, 30),
    "introducer_1": (_TEXT, 150),
    "introducer_2": (_TEXT, 150),
    "youth_union_on": (_DATE, None),
    "ethnicity": (_CHOICE, Ethnicity),
    "religion": (_CHOICE, Religion),
    "occupation": (_TEXT, 150),
    "general_education": (_TEXT, 10),
    "professional_qualification": (_TEXT, 255),
    "degree": (_CHOICE, Degree),
    "academic_title": (_CHOICE, AcademicTitle),
    "political_theory": (_CHOICE, TheoryLevel),
    "languages": (_TEXT, 255),
    "it_skills": (_TEXT, 255),
    "income_type": (_CHOICE, IncomeType),
    "dues_base_amount": (_AMOUNT, None),
}
PROFILE_FIELDS = tuple(_FIELDS)
REQUIRED_FIELDS = ("full_name", "gender", "birth_date", "ethnicity")
# Choices that may be left empty ("" = not given).
_OPTIONAL_CHOICES = {"income_type"}
GENERAL_EDUCATION = re.compile(r"^(\d{1,2})/(10|12)$")
MAX_DUES_BASE = 10_000_000_000  # VND a month: anything above is a typing error
PHOTO_MAX_BYTES = 512 * 1024
PHOTO_TYPES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),
}


def _as_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        raise TypeError
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def clean_profile(
    values: Mapping[str, Any], *, partial: bool
) -> tuple[dict[str, Any], FieldErrors]:
    """(clean values, errors) of a profile mapping; `partial` for an update (only the fields
    given). Uniqueness against other records is checked by the services."""
    errors: FieldErrors = {}
    clean: dict[str, Any] = {}

    def add(field: str, message: Any) -> None:
        errors.setdefault(field, []).append(message)

    for name in values:
        if name not in _FIELDS and name not in sealing.SENSITIVE_FIELDS:
            add(name, _("Unknown field “%(name)s”.") % {"name": name})
    for name, (kind, spec) in _FIELDS.items():
        if name not in values:
            if not partial and name in REQUIRED_FIELDS:
                add(name, _("This field is required."))
            continue
        raw = values[name]
        if kind == _TEXT:
            text = "" if raw is None else str(raw).strip()
            if len(text) > spec:
                add(name, _("At most %(max)d characters.") % {"max": spec})
            clean[name] = text
        elif kind == _CHOICE:
            code = "" if raw is None else str(raw).strip()
            choices: type[TextChoices] = spec
            if code == "" and name in _OPTIONAL_CHOICES:
                clean[name] = ""
            elif code not in choices.values:
                add(name, _("“%(value)s” is not one of the choices.") % {"value": code})
            else:
                clean[name] = code
        elif kind == _DATE:
            try:
                clean[name] = _as_date(raw)
            except (TypeError, ValueError):
                add(name, _("Enter a valid date."))
                continue
            if clean[name] is not None and clean[name] > clock.today():
                add(name, _("The date is in the future."))
        elif kind == _AMOUNT:
            if raw in (None, ""):
                clean[name] = None
            elif isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_DUES_BASE:
                add(name, _("Enter an amount in dong (a whole number, not negative)."))
            else:
                clean[name] = raw
        if name in REQUIRED_FIELDS and name in clean and clean[name] in ("", None):
            add(name, _("This field is required."))
    birth = clean.get("birth_date")
    if birth is not None and birth.year < 1890:
        add("birth_date", _("Enter a valid date."))
    if clean.get("general_education"):
        match = GENERAL_EDUCATION.match(clean["general_education"])
        if match is None or int(match.group(1)) > int(match.group(2)):
            add("general_education", _("Write the general education as 12/12 or 9/10."))
        else:
            clean["general_education_grade"] = int(match.group(1))
    elif "general_education" in clean:
        clean["general_education_grade"] = None
    for name, (_label, max_length) in sealing.SENSITIVE_FIELDS.items():
        if name not in values:
            continue
        text = "" if values[name] is None else str(values[name]).strip()
        if name == "citizen_id":
            text = sealing.normalize_citizen_id(text)
            if text and not sealing.CITIZEN_ID_PATTERN.match(text):
                add(name, _("A citizen ID has 12 digits (or 9 for an old identity card)."))
        elif len(text) > max_length:
            add(name, _("At most %(max)d characters.") % {"max": max_length})
        clean[name] = text
    return clean, errors


def profile_errors(values: Mapping[str, Any], *, partial: bool = False) -> FieldErrors:
    """The problems of a profile mapping (empty when it is valid), without writing anything."""
    return clean_profile(values, partial=partial)[1]


def _unique_errors(clean: Mapping[str, Any], *, exclude: Member | None) -> FieldErrors:
    errors: FieldErrors = {}
    others = Member.objects.all()
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    for name, message in (
        ("party_record_number", _("Another member has this Party record number.")),
        ("card_number", _("Another member has this Party card number.")),
    ):
        if clean.get(name) and others.filter(**{name: clean[name]}).exists():
            errors[name] = [message]
    digest = sealing.citizen_id_digest(clean.get("citizen_id", ""))
    if digest and others.filter(citizen_id_digest=digest).exists():
        errors["citizen_id"] = [_("Another member has this citizen ID.")]
    return errors


def _assign(member: Member, clean: Mapping[str, Any]) -> list[str]:
    """Write the clean values on `member` (sensitive ones sealed); the names changed."""
    changed = []
    for name, value in clean.items():
        if name in sealing.SENSITIVE_FIELDS:
            old = sealing.read_sensitive_field(member, name)
            if old != value:
                sealing.set_sensitive(member, name, value)
                changed.append(name)
        elif getattr(member, name) != value:
            setattr(member, name, value)
            changed.append(name)
    return changed


def member_create_nondurable(
    *, actor: Any | None, unit: Unit, profile: Mapping[str, Any]
) -> Member:
    """`member_create` inside the caller's transaction (the spreadsheet import)."""
    require_manage(actor, unit)
    if not unit.active:
        raise ValidationFailed(
            _("The unit %(code)s is no longer active.") % {"code": unit.code},
            field_errors={"unit": [_("This unit is no longer active.")]},
        )
    clean, errors = clean_profile(profile, partial=False)
    if errors:
        raise invalid(errors, _("The member's record cannot be saved."))
    errors = _unique_errors(clean, exclude=None)
    if errors:
        raise invalid(errors)
    member = Member(unit=unit, registered_unit=unit)
    plain = {k: v for k, v in clean.items() if k not in sealing.SENSITIVE_FIELDS}
    for name, value in plain.items():
        setattr(member, name, value)
    # The sealing context names the member's id, which exists before the first save.
    for name in sealing.SENSITIVE_FIELDS:
        if clean.get(name):
            sealing.set_sensitive(member, name, clean[name])
    member.save(force_insert=True)
    record(actor, "members.member_created", member, data={"unit": unit.code})
    return member


@transaction.atomic(durable=True)
def member_create(*, actor: Any | None, unit: Unit, profile: Mapping[str, Any]) -> Member:
    """Open the record of a person in `unit` (a cell, usually) with the profile given. Its
    status is "no life-cycle event yet" until an event (candidacy, admission…) is recorded."""
    return member_create_nondurable(actor=actor, unit=unit, profile=profile)


def member_update_nondurable(
    *, actor: Any | None, member: Member, changes: Mapping[str, Any]
) -> Member:
    """`member_update` inside the caller's transaction."""
    member = lock_member(member)
    require_manage(actor, member.unit)
    clean, errors = clean_profile(changes, partial=True)
    if errors:
        raise invalid(errors, _("The member's record cannot be saved."))
    errors = _unique_errors(clean, exclude=member)
    if errors:
        raise invalid(errors)
    before = snapshot(member)
    changed = _assign(member, clean)
    if not changed:
        return member
    if "birth_date" in changed:
        # The age at admission was checked against the old date: replay the events.
        from .events import rederive

        rederive(member)
    member.save()
    sensitive = sorted(n for n in changed if n in sealing.SENSITIVE_FIELDS)
    record(
        actor,
        "members.member_updated",
        member,
        before=before,
        data={
            "fields": sorted(n for n in changed if n not in sealing.SENSITIVE_FIELDS),
            "sensitive_fields": sensitive,
        },
    )
    return member


@transaction.atomic(durable=True)
def member_update(*, actor: Any | None, member: Member, changes: Mapping[str, Any]) -> Member:
    """Change profile fields (only those in `changes`; sensitive ones are sealed). The audit
    event names the changed fields, never a sensitive value. The derived columns (status, unit,
    dates) are not profile fields: they change only through events."""
    return member_update_nondurable(actor=actor, member=member, changes=changes)


def _photo_type(content: bytes, content_type: str) -> str | None:
    signatures = PHOTO_TYPES.get(content_type)
    if signatures is None or not any(content.startswith(s) for s in signatures):
        return None
    if content_type == "image/webp" and content[8:12] != b"WEBP":
        return None
    return content_type


@transaction.atomic(durable=True)
def member_photo_set(
    *, actor: Any | None, member: Member, content: bytes | None, content_type: str = ""
) -> Member:
    """Set (or with `content=None` remove) the member's photo: JPEG, PNG or WebP, 512 KB at
    most, sealed like the sensitive fields."""
    member = lock_member(member)
    require_manage(actor, member.unit)
    if content is None:
        member.photo_sealed = None
        member.photo_content_type = ""
    else:
        if not content or len(content) > PHOTO_MAX_BYTES:
            message = _("The photo must be an image of 512 KB at most.")
            raise ValidationFailed(message, field_errors={"photo": [message]})
        kind = _photo_type(content, content_type)
        if kind is None:
            message = _("The photo must be a JPEG, PNG or WebP image.")
            raise ValidationFailed(message, field_errors={"photo": [message]})
        member.photo_sealed = sealing.seal_photo(member, content)
        member.photo_content_type = kind
    member.save(update_fields=["photo_sealed", "photo_content_type", "updated_at"])
    record(actor, "members.photo_set", member, data={"removed": content is None})
    return member


@transaction.atomic(durable=True)
def member_link_user(*, actor: Any | None, member: Member, user: Any | None) -> Member:
    """Link the member to a user account (None unlinks): that user then sees their own profile
    and dues. One account per member and one member per account."""
    member = lock_member(member)
    require_manage(actor, member.unit)
    if user is not None:
        other = Member.objects.filter(user=user).exclude(pk=member.pk).first()
        if other is not None:
            raise Conflict(_("This user account is already linked to another member's record."))
        if not getattr(user, "is_active", False):
            raise ValidationFailed(
                _("This user account is not active."),
                field_errors={"user": [_("This user account is not active.")]},
            )
    before = str(member.user_id or "")
    member.user = user
    member.save(update_fields=["user", "updated_at"])
    record(
        actor,
        "members.user_linked",
        member,
        data={"user": str(user.pk) if user is not None else "", "previous_user": before},
    )
    return member
