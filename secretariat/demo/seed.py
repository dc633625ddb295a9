"""Builds the demo province through the real services, idempotently."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from faker import Faker

from secretariat.accounts import selectors as account_selectors
from secretariat.accounts.models import User
from secretariat.accounts.policy import MFA_REQUIRED_ROLES
from secretariat.accounts.services import mfa as mfa_services
from secretariat.accounts.services import users as user_services
from secretariat.audit import services as audit_services
from secretariat.core.errors import DomainError
from secretariat.documents import services as document_services
from secretariat.documents.models import Document
from secretariat.documents.services import IncomingFile
from secretariat.orgs import services as org_services
from secretariat.orgs.models import Unit

from .documents import DEMO_DOCUMENTS, render_pdf
from .exchange import seed_exchange
from .meetings import seed_meetings
from .members import seed_members
from .province import (
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    NAMED_ACCOUNTS,
    UnitSpec,
    province_tree,
)
from .signing import seed_signing


class DemoRefused(DomainError):
    pass


def ascii_slug(name: str) -> str:
    """`Nguyễn Văn Đức` → `nguyenvanduc` (Vietnamese letters without their marks)."""
    name = name.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower()


def _ensure_units(spec: UnitSpec, parent: Unit | None, created: list[Unit]) -> Unit:
    unit = Unit.objects.filter(code=spec.code).first()
    if unit is None:
        unit = org_services.unit_create(
            actor=None,
            parent=parent,
            name=spec.name,
            kind=spec.kind,
            code=spec.code,
            abbreviation=spec.abbreviation,
            name_fr=spec.name_fr,
            name_en=spec.name_en,
        )
        created.append(unit)
    for child in spec.children:
        _ensure_units(child, unit, created)
    return unit


class _People:
    """Vietnamese names in their real order (family, middle, given; Faker vi_VN supplies the
    parts, with a fixed seed) and the usernames offices use: given name + initials (`hungnv`)."""

    MALE_MIDDLE = ("Văn", "Đức", "Minh", "Quốc", "Hữu", "Thanh", "Công")
    FEMALE_MIDDLE = ("Thị", "Thu", "Ngọc", "Thanh", "Minh", "Kim")

    def __init__(self) -> None:
        self.faker = Faker("vi_VN")
        self.faker.seed_instance(2026)
        self.random = random.Random(2026)  # noqa: S311 (demo data, not security)
        self.used: set[str] = {a.username for a in NAMED_ACCOUNTS}

    def next(self) -> tuple[str, str]:
        family = self.faker.last_name()
        if self.random.random() < 0.55:
            middle, given = self.random.choice(self.MALE_MIDDLE), self.faker.first_name_male()
        else:
            middle, given = self.random.choice(self.FEMALE_MIDDLE), self.faker.first_name_female()
        full_name = f"{family} {middle} {given}"
        base = ascii_slug(given.split()[-1]) + ascii_slug(family)[:1] + ascii_slug(middle)[:1]
        username, n = base, 1
        while username in self.used:
            n += 1
            username = f"{base}{n}"
        self.used.add(username)
        return username, full_name


def _staff_plan() -> list[tuple[str, str, str | None, bool]]:
    """(unit code, title, role, subtree) for every generated official."""
    plan: list[tuple[str, str, str | None, bool]] = []
    tree = province_tree()
    for unit in tree.children:
        if unit.kind in ("board", "office", "inspection_committee", "standing_committee"):
            plan.append((unit.code, f"Trưởng {unit.name}", "leader", True))
            plan.append((unit.code, f"Chuyên viên {unit.name}", "specialist", True))
            if unit.abbreviation == "BTCTU":
                plan.append(
                    (
                        tree.code,
                        "Chuyên viên quản lý hồ sơ đảng viên",
                        "member_records_officer",
                        True,
                    )
                )
        elif unit.kind in ("commune_committee", "ward_committee"):
            plan.append((unit.code, f"Bí thư {unit.name}", "leader", True))
            plan.append((unit.code, f"Phó Bí thư {unit.name}", "leader", True))
            plan.append((unit.code, f"Văn thư {unit.name}", "records_clerk", True))
            plan.append((unit.code, f"Chuyên viên {unit.name}", "specialist", True))
            for i, cell in enumerate(unit.children):
                plan.append((cell.code, f"Bí thư {cell.name}", "leader", False))
                if i % 2 == 0:
                    plan.append((cell.code, f"Đảng viên {cell.name}", None, False))
        elif unit.kind == "agency_committee":
            plan.append((unit.code, f"Bí thư {unit.name}", "leader", True))
            plan.append((unit.code, f"Văn thư {unit.name}", "records_clerk", True))
            for grassroots in unit.children:
                plan.append((grassroots.code, f"Bí thư {grassroots.name}", "leader", True))
                for cell in grassroots.children:
                    plan.append((cell.code, f"Bí thư {cell.name}", "leader", False))
    return plan


def _ensure_documents(units: dict[str, Unit]) -> int:
    """Register the demo documents as incoming documents of the Provincial Committee Office,
    captured by the clerk; skipped when that office already holds documents."""
    office = units[NAMED_ACCOUNTS[1].unit_code]
    if Document.objects.filter(unit=office).exists():
        return 0
    clerk = User.objects.get(username="clerk")
    for number, demo in enumerate(DEMO_DOCUMENTS, start=1):
        document_services.document_capture(
            actor=clerk,
            unit=office,
            file=IncomingFile(name=f"van-ban-den-{number}.pdf", data=render_pdf(demo)),
            run_ocr="now",
            register_kind="incoming",
        )
    return len(DEMO_DOCUMENTS)


def seed_demo(*, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Create the demo province, its officials and the demo accounts. Safe to run again."""
    if not settings.DEMO:
        raise DemoRefused(
            "seed_demo runs only in demo mode (SECRETARIAT_DEMO=1), never in production."
        )
    created_units: list[Unit] = []
    # Each unit is created by its own (durable) service transaction; a rerun skips existing codes.
    _ensure_units(province_tree(), None, created_units)
    log(f"units: {Unit.objects.count()} ({len(created_units)} new)")

    units = {u.code: u for u in Unit.objects.all()}
    new_users = 0
    accounts: list[tuple[Any, str | None]] = []
    with transaction.atomic():
        for account in NAMED_ACCOUNTS:
            user, created = user_services.user_get_or_create(
                actor=None,
                username=account.username,
                full_name=account.full_name,
                password=DEMO_PASSWORD,
                unit=units[account.unit_code],
                title=account.title,
            )
            new_users += created
            if account.role:
                user_services.role_ensure(
                    actor=None,
                    user=user,
                    role=account.role,
                    unit=units[account.grant_code or account.unit_code],
                    include_subtree=True,
                )
            accounts.append((user, account.role))
        people = _People()
        for unit_code, title, role, subtree in _staff_plan():
            username, full_name = people.next()
            user, created = user_services.user_get_or_create(
                actor=None,
                username=username,
                full_name=full_name,
                password=DEMO_PASSWORD,
                unit=units[unit_code],
                title=title,
            )
            new_users += created
            if role:
                user_services.role_ensure(
                    actor=None, user=user, role=role, unit=units[unit_code], include_subtree=subtree
                )
            accounts.append((user, role))
        # Every account whose role demands a second factor gets the demo TOTP secret, so that
        # any demo login works with the same authenticator entry (demo mode only).
        for user, role in accounts:
            if (role in MFA_REQUIRED_ROLES or user.username in {"member", "secretary"}) and not (
                account_selectors.mfa_enrolled(user)
            ):
                mfa_services.totp_enrol_with_secret(
                    actor=None, user=user, secret_base32=DEMO_TOTP_SECRET
                )
    log(f"users: {len(accounts)} ({new_users} new)")
    seed_signing(stdout=log)
    seed_exchange(say=log)
    log(f"documents: {_ensure_documents(units)} new")
    seed_members(log=log)
    seed_meetings(log=log)
    checkpoint = audit_services.checkpoint_create()
    if checkpoint is not None:
        log(f"audit checkpoint: {checkpoint.tree_size} events, root {checkpoint.root_hash}")
    return {"units": len(units), "users": len(accounts), "new_users": new_users}
