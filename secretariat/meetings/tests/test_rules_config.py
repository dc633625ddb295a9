"""Configuring the quorum and majority rules of a meeting type for a unit and its subtree:
the service (rights, validation, audit, inheritance, clearing) and the page."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.audit.models import AuditEvent
from secretariat.core.errors import Conflict, PermissionDenied, ValidationFailed
from secretariat.meetings.models import Base, MeetingKind, RuleSet, Threshold
from secretariat.meetings.rules_defaults import DEFAULTS
from secretariat.meetings.services import rulesets
from secretariat.meetings.services.meetings import rules_for
from secretariat.meetings.tests.test_organize import make_meeting

pytestmark = pytest.mark.django_db

STRICT = {
    "quorum_base": Base.SUMMONED,
    "quorum_threshold": Threshold.TWO_THIRDS,
    "resolution_base": Base.MEMBERS,
    "resolution_threshold": Threshold.TWO_THIRDS,
    "election_base": Base.SUMMONED,
    "election_threshold": Threshold.TWO_THIRDS,
}


@pytest.fixture
def organizer(tree: dict[str, Any], make_user: Any) -> Any:
    return make_user("rules_org", role=Role.MEETING_SECRETARY, unit=tree["commune_a"])


def _by_kind(unit: Any) -> dict[str, rulesets.Effective]:
    return {e.kind: e for e in rulesets.effective_rules(unit=unit)}


def test_set_applies_to_the_subtree_and_is_audited(tree: dict[str, Any], organizer: Any) -> None:
    ruleset = rulesets.ruleset_set(
        actor=organizer, unit=tree["commune_a"], kind=MeetingKind.CELL, **STRICT
    )
    event = AuditEvent.objects.get(action="meetings.ruleset_set")
    assert event.object_id == str(ruleset.pk)
    assert event.data["kind"] == "cell"
    assert event.data["quorum_threshold"] == "two_thirds"
    assert rules_for(unit=tree["cell_a"], kind=MeetingKind.CELL)._asdict() == STRICT
    below = _by_kind(tree["cell_a"])[MeetingKind.CELL]
    assert below.own is None
    assert below.source == tree["commune_a"]
    here = _by_kind(tree["commune_a"])[MeetingKind.CELL]
    assert here.own == ruleset
    # Other types and other subtrees keep the defaults.
    assert _by_kind(tree["cell_a"])[MeetingKind.COMMITTEE].rules == DEFAULTS["committee"]
    assert rules_for(unit=tree["cell_b"], kind=MeetingKind.CELL) == DEFAULTS["cell"]
    # Setting the same rules again changes nothing and writes nothing.
    rulesets.ruleset_set(actor=organizer, unit=tree["commune_a"], kind=MeetingKind.CELL, **STRICT)
    assert AuditEvent.objects.filter(action="meetings.ruleset_set").count() == 1


def test_meetings_keep_the_rules_they_copied(
    tree: dict[str, Any], organizer: Any, make_user: Any
) -> None:
    chair = make_user("rc_chair", position=(tree["cell_a"], "Bí thư"))
    secretary = make_user("rc_secretary", position=(tree["cell_a"], "Phó Bí thư"))
    before = make_meeting(organizer, tree["cell_a"], chair, secretary, kind=MeetingKind.CELL)
    rulesets.ruleset_set(actor=organizer, unit=tree["cell_a"], kind=MeetingKind.CELL, **STRICT)
    after = make_meeting(organizer, tree["cell_a"], chair, secretary, kind=MeetingKind.CELL)
    before.refresh_from_db()
    assert before.quorum_threshold == DEFAULTS["cell"].quorum_threshold
    assert after.quorum_threshold == Threshold.TWO_THIRDS
    rulesets.ruleset_clear(actor=organizer, unit=tree["cell_a"], kind=MeetingKind.CELL)
    after.refresh_from_db()
    assert after.quorum_threshold == Threshold.TWO_THIRDS


def test_clear_goes_back_to_the_ancestor_then_the_defaults(
    tree: dict[str, Any], organizer: Any, make_user: Any
) -> None:
    leader = make_user("rules_leader", role=Role.LEADER, unit=tree["province"])
    province_rules = {**STRICT, "election_base": Base.SUMMONED_NOT_EXCLUDED}
    rulesets.ruleset_set(
        actor=leader, unit=tree["province"], kind=MeetingKind.CELL, **province_rules
    )
    rulesets.ruleset_set(actor=organizer, unit=tree["commune_a"], kind=MeetingKind.CELL, **STRICT)
    rulesets.ruleset_clear(actor=organizer, unit=tree["commune_a"], kind=MeetingKind.CELL)
    assert not RuleSet.objects.filter(unit=tree["commune_a"]).exists()
    inherited = _by_kind(tree["cell_a"])[MeetingKind.CELL]
    assert inherited.source == tree["province"]
    assert inherited.rules._asdict() == province_rules
    event = AuditEvent.objects.get(action="meetings.ruleset_cleared")
    assert event.object_type == "meetings.ruleset"
    assert event.data == {"kind": "cell"}
    with pytest.raises(Conflict):
        rulesets.ruleset_clear(actor=organizer, unit=tree["commune_a"], kind=MeetingKind.CELL)
    rulesets.ruleset_clear(actor=leader, unit=tree["province"], kind=MeetingKind.CELL)
    assert _by_kind(tree["cell_a"])[MeetingKind.CELL].source is None


def test_rights_and_validation(tree: dict[str, Any], organizer: Any, make_user: Any) -> None:
    member = make_user("rules_member", position=(tree["cell_a"], "Đảng viên"))
    count = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        rulesets.ruleset_set(actor=member, unit=tree["cell_a"], kind="cell", **STRICT)
    with pytest.raises(PermissionDenied):  # above the organizer's subtree
        rulesets.ruleset_set(actor=organizer, unit=tree["province"], kind="cell", **STRICT)
    with pytest.raises(PermissionDenied):  # another subtree
        rulesets.ruleset_set(actor=organizer, unit=tree["commune_b"], kind="cell", **STRICT)
    with pytest.raises(ValidationFailed) as bad:
        rulesets.ruleset_set(
            actor=organizer,
            unit=tree["cell_a"],
            kind="synod",
            **{**STRICT, "quorum_base": Base.PRESENT, "election_threshold": "three_quarters"},
        )
    assert set(bad.value.field_errors) == {"kind", "quorum_base", "election_threshold"}
    with pytest.raises(ValidationFailed):
        rulesets.ruleset_clear(actor=organizer, unit=tree["cell_a"], kind="synod")
    with pytest.raises(PermissionDenied):
        rulesets.ruleset_clear(actor=member, unit=tree["cell_a"], kind="cell")
    assert AuditEvent.objects.count() == count
    assert not RuleSet.objects.exists()


def test_the_page_shows_sets_and_clears(
    tree: dict[str, Any], organizer: Any, client_for: Any
) -> None:
    client = client_for(organizer)
    assert reverse("meetings:rules") in client.get(reverse("meetings:list")).content.decode()
    url = reverse("meetings:rules")
    page = client.get(f"{url}?unit={tree['cell_a'].pk}")
    assert page.status_code == 200
    body = page.content.decode()
    assert "never changes a meeting that already exists" in body
    assert body.count("The default rules") == len(MeetingKind.values)
    response = client.post(url, {"unit": str(tree["commune_a"].pk), "kind": "conference", **STRICT})
    assert response.status_code == 302
    assert rules_for(unit=tree["cell_a"], kind="conference")._asdict() == STRICT
    body = client.get(f"{url}?unit={tree['cell_a'].pk}").content.decode()
    assert "Inherited from" in body
    assert tree["commune_a"].display_name in body
    # Bad input: back on the page with the error, nothing written.
    bad = client.post(
        url,
        {"unit": str(tree["commune_a"].pk), "kind": "cell", **STRICT, "quorum_base": "present"},
    )
    assert bad.status_code == 400
    assert not RuleSet.objects.filter(kind="cell").exists()
    # Outside the organizer's scope, or a malformed id: 404.
    assert client.get(f"{url}?unit={tree['commune_b'].pk}").status_code == 404
    assert client.get(f"{url}?unit=nope").status_code == 404
    other = client.post(url, {"unit": str(tree["commune_b"].pk), "kind": "cell", **STRICT})
    assert other.status_code == 404
    cleared = client.post(
        reverse("meetings:rules_clear"), {"unit": str(tree["commune_a"].pk), "kind": "conference"}
    )
    assert cleared.status_code == 302
    assert rules_for(unit=tree["cell_a"], kind="conference") == DEFAULTS["conference"]
    again = client.post(
        reverse("meetings:rules_clear"), {"unit": str(tree["commune_a"].pk), "kind": "conference"}
    )
    assert again.status_code == 400


def test_the_page_is_for_organizers_only(
    tree: dict[str, Any], make_user: Any, client_for: Any
) -> None:
    member = make_user("rules_member2", position=(tree["cell_a"], "Đảng viên"))
    client = client_for(member)
    assert reverse("meetings:rules") not in client.get(reverse("meetings:list")).content.decode()
    assert client.get(reverse("meetings:rules")).status_code == 403
