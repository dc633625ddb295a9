"""Permission-matrix cases of the rules page (quorum and majority rules per meeting type).

Inside: commune A, outside: commune B; each has its own rules for cell meetings (so that
clearing them has something to clear). Only `meetings.organize` on the unit (leaders, meeting
secretaries) sees the page and sets or clears the rules; another unit's rules answer 404.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.api.tests.matrix import Case, Ctx
from secretariat.meetings.models import RuleSet

ORGANIZERS = frozenset({Role.LEADER, Role.MEETING_SECRETARY})

EXEMPT: set[str] = set()


def setup(ctx: Ctx, make_user: Any) -> None:
    for name in ("commune_a", "commune_b"):
        RuleSet.objects.create(
            unit=ctx.units[name],
            kind="cell",
            quorum_base="members",
            quorum_threshold="two_thirds",
            resolution_base="members",
            resolution_threshold="more_than_half",
            election_base="summoned_not_excluded",
            election_threshold="more_than_half",
        )


def _unit(c: Ctx, s: str) -> str:
    return str(c.units["commune_a" if s == "in" else "commune_b"].pk)


def _rules_form(c: Ctx, s: str) -> dict[str, str]:
    return {
        "unit": _unit(c, s),
        "kind": "committee",
        "quorum_base": "members",
        "quorum_threshold": "more_than_half",
        "resolution_base": "members",
        "resolution_threshold": "two_thirds",
        "election_base": "summoned",
        "election_threshold": "more_than_half",
    }


CASES = [
    Case(
        "meetings:rules",
        "get",
        lambda c, s: f"{reverse('meetings:rules')}?unit={_unit(c, s)}",
        ORGANIZERS,
    ),
    Case(
        "meetings:rules",
        "post",
        lambda c, s: reverse("meetings:rules"),
        ORGANIZERS,
        write=True,
        data=_rules_form,
    ),
    Case(
        "meetings:rules_clear",
        "post",
        lambda c, s: reverse("meetings:rules_clear"),
        ORGANIZERS,
        write=True,
        data=lambda c, s: {"unit": _unit(c, s), "kind": "cell"},
    ),
]
