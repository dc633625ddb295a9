"""Identity endpoints: the caller (`me`); users and role grants for administrators."""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Router, Schema

from . import selectors

router = Router(tags=["identity"])


class GrantOut(Schema):
    id: uuid.UUID
    role: str
    unit_code: str
    unit_name: str
    include_subtree: bool
    valid_until: dt.date | None


class PositionOut(Schema):
    title: str
    unit_code: str
    unit_name: str
    is_primary: bool


class MeOut(Schema):
    id: uuid.UUID
    username: str
    full_name: str
    language: str
    roles: list[GrantOut]
    positions: list[PositionOut]
    mfa_enrolled: bool


@router.get("/me", response=MeOut, summary="The caller: identity, roles and positions")
def me(request: HttpRequest) -> dict[str, object]:
    return selectors.user_profile(user=request.user)
