"""Permission-matrix cases of incoming processing (see secretariat/api/tests/matrix.py).

Everyone doing office work on the unit (records clerks, leaders, specialists) sees its incoming
documents; clerks present, return and file; leaders instruct; clerks, leaders and the people
named in the instruction complete. Processes of commune B are never found.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.api.tests.matrix import Case, Ctx
from secretariat.documents import registers
from secretariat.documents.models import Document
from secretariat.office.models import IncomingProcess
from secretariat.office.services import casefiles, incoming

WORKERS = frozenset({Role.RECORDS_CLERK, Role.LEADER, Role.SPECIALIST})
CLERKS = frozenset({Role.RECORDS_CLERK})
LEADERS = frozenset({Role.LEADER})
COMPLETERS = WORKERS  # the specialist is named in the instruction below


def _new(unit: Any, marker: str) -> IncomingProcess:
    document = Document.objects.create(unit=unit, subject=f"Công văn {marker}", notation="01-CV/X")
    entry = registers.register_document(actor=None, document=document, kind="incoming")
    return IncomingProcess.objects.get(entry=entry)


def setup(ctx: Ctx, make_user: Any) -> None:
    """Per side, one process in each state an action starts from, and an open case file."""
    for side, unit in (("in", ctx.units["commune_a"]), ("out", ctx.units["commune_b"])):
        if side == "in":
            clerk, leader = ctx.actors[Role.RECORDS_CLERK], ctx.actors[Role.LEADER]
            specialist = ctx.actors[Role.SPECIALIST]
        else:
            clerk = make_user("incoming_clerk_b", role=Role.RECORDS_CLERK, unit=unit)
            leader = make_user("incoming_leader_b", role=Role.LEADER, unit=unit)
            specialist = make_user("incoming_specialist_b", role=Role.SPECIALIST, unit=unit)
        marker = f"INCOMING-{side.upper()}"
        registered = _new(unit, marker)
        presented = _new(unit, marker)
        incoming.incoming_present(actor=clerk, process=presented, leader=leader)
        instructed = _new(unit, marker)
        incoming.incoming_present(actor=clerk, process=instructed, leader=leader)
        incoming.incoming_instruct(
            actor=leader,
            process=instructed,
            text="Xử lý",
            lead_unit=unit,
            assignees=[specialist],
            working_days=5,
        )
        done = _new(unit, marker)
        incoming.incoming_present(actor=clerk, process=done, leader=leader)
        incoming.incoming_instruct(
            actor=leader, process=done, text="Xử lý", lead_unit=unit, assignees=[specialist],
            working_days=5,
        )  # fmt: skip
        incoming.incoming_complete(actor=leader, process=done, result_note="Xong")
        case_file = casefiles.case_file_open(
            actor=clerk, unit=unit, year=2026, code=f"IN-{side}", title="Hồ sơ",
            retention_years=5,
        )  # fmt: skip
        ctx.extra[f"incoming_{side}"] = {
            "registered": registered,
            "presented": presented,
            "instructed": instructed,
            "done": done,
            "case_file": case_file,
            "leader": leader,
            "specialist": specialist,
        }


def _p(c: Ctx, side: str, state: str) -> Any:
    return c.extra[f"incoming_{side}"][state]


def _page(name: str, state: str) -> Any:
    return lambda c, s: reverse(f"office:{name}", args=[_p(c, s, state).pk])


def _api(suffix: str, state: str) -> Any:
    return lambda c, s: f"/api/v1/office/incoming/{_p(c, s, state).pk}{suffix}"


CASES = [
    Case(
        "office:incoming",
        "get",
        lambda c, s: reverse("office:incoming"),
        WORKERS,
        scoped=False,
        shows=lambda c, s: str(_p(c, s, "registered").pk),
    ),
    Case("office:incoming_detail", "get", _page("incoming_detail", "registered"), WORKERS),
    Case(
        "office:incoming_present",
        "post",
        _page("incoming_present", "registered"),
        CLERKS,
        write=True,
        data=lambda c, s: {"leader": str(_p(c, s, "leader").pk)},
    ),
    Case(
        "office:incoming_instruct",
        "post",
        _page("incoming_instruct", "presented"),
        LEADERS,
        write=True,
        data=lambda c, s: {
            "text": "Giao xử lý",
            "lead_unit": str(_p(c, s, "presented").unit_id),
            "assignees": [str(_p(c, s, "specialist").pk)],
            "working_days": "3",
        },
    ),
    Case(
        "office:incoming_note",
        "post",
        _page("incoming_note", "instructed"),
        WORKERS,
        write=True,
        data=lambda c, s: {"text": "Đang làm"},
    ),
    Case(
        "office:incoming_complete",
        "post",
        _page("incoming_complete", "instructed"),
        COMPLETERS,
        write=True,
        data=lambda c, s: {"result_note": "Xong"},
    ),
    Case(
        "office:incoming_return",
        "post",
        _page("incoming_return", "registered"),
        CLERKS,
        write=True,
        data=lambda c, s: {"reason": "Gửi nhầm"},
    ),
    Case(
        "office:incoming_file",
        "post",
        _page("incoming_file", "done"),
        CLERKS,
        write=True,
        data=lambda c, s: {"case_file": str(_p(c, s, "case_file").pk)},
    ),
    Case(
        "api:list_incoming_processes",
        "get",
        lambda c, s: "/api/v1/office/incoming/",
        WORKERS,
        scoped=False,
        shows=lambda c, s: str(_p(c, s, "registered").pk),
    ),
    Case("api:get_incoming_process", "get", _api("", "registered"), WORKERS),
    Case(
        "api:present_incoming_process",
        "post",
        _api("/present", "registered"),
        CLERKS,
        write=True,
        json_body=True,
        data=lambda c, s: {"leader": _p(c, s, "leader").username},
    ),
    Case(
        "api:instruct_incoming_process",
        "post",
        _api("/instruct", "presented"),
        LEADERS,
        write=True,
        json_body=True,
        data=lambda c, s: {
            "text": "Giao xử lý",
            "lead_unit_code": _p(c, s, "presented").unit.code,
            "assignees": [_p(c, s, "specialist").username],
            "working_days": 3,
        },
    ),
    Case(
        "api:note_incoming_process",
        "post",
        _api("/note", "instructed"),
        WORKERS,
        write=True,
        json_body=True,
        data=lambda c, s: {"text": "Đang làm"},
    ),
    Case(
        "api:complete_incoming_process",
        "post",
        _api("/complete", "instructed"),
        COMPLETERS,
        write=True,
        json_body=True,
        data=lambda c, s: {"result_note": "Xong"},
    ),
    Case(
        "api:return_incoming_process",
        "post",
        _api("/return", "registered"),
        CLERKS,
        write=True,
        json_body=True,
        data=lambda c, s: {"reason": "Gửi nhầm"},
    ),
    Case(
        "api:file_incoming_process",
        "post",
        _api("/file", "done"),
        CLERKS,
        write=True,
        json_body=True,
        data=lambda c, s: {"case_file_id": str(_p(c, s, "case_file").pk)},
    ),
]
