"""Permission-matrix cases of outgoing documents (see secretariat/api/tests/matrix.py).

Inside: processes of commune A drafted by the specialist, reviewed by the records clerk, signed
by the leader, one in each state. Each action is allowed to exactly the role whose turn it is:
the drafter (specialist) drafts and submits, the reviewer (records clerk) reviews, the signer
(leader) approves, signs and recalls, the clerk numbers, seals and sends; anyone who may draft
starts a correction. Outside: a draft of commune B, never found; a recall confirmation for cell B,
never accepted.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.accounts.tests.totp import next_code
from secretariat.api.tests.matrix import Case, Ctx
from secretariat.documents.services import IncomingFile
from secretariat.documents.tests.factories import text_pdf
from secretariat.office.models import ReviewDecision
from secretariat.office.services import outgoing as svc
from secretariat.office.services import outgoing_signatures as sig
from secretariat.signing.tests.factories import give_certificate

WORKERS = frozenset({Role.RECORDS_CLERK, Role.LEADER, Role.SPECIALIST})
DRAFTERS = frozenset({Role.RECORDS_CLERK, Role.SPECIALIST})
DRAFTER = frozenset({Role.SPECIALIST})
REVIEWER = frozenset({Role.RECORDS_CLERK})
SIGNER = frozenset({Role.LEADER})
CLERK = frozenset({Role.RECORDS_CLERK})
PDF = text_pdf(["OUTGOING MATRIX", "Dự thảo"])


def _file(name: str = "draft.pdf") -> IncomingFile:
    return IncomingFile(name=name, data=PDF)


def _upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("draft.pdf", PDF, content_type="application/pdf")


def setup(ctx: Ctx, make_user: Any) -> None:
    from secretariat.exchange.tests.factories import make_federation

    make_federation()  # G01 and 000.00.00.G01 are reachable through the exchange
    a, b = ctx.units["commune_a"], ctx.units["commune_b"]
    specialist = ctx.actors[Role.SPECIALIST]
    leader = ctx.actors[Role.LEADER]
    clerk = ctx.actors[Role.RECORDS_CLERK]
    out_drafter = make_user("out_drafter", role=Role.SPECIALIST, unit=b)
    out_signer = make_user("out_signer", role=Role.LEADER, unit=b)
    out_clerk = make_user("out_clerk", role=Role.RECORDS_CLERK, unit=b)
    for user in (leader, out_signer):
        give_certificate(user=user)
    for unit in (a, b):
        give_certificate(unit=unit)

    def draft(subject: str, *, reviewers: list[Any] | None = None) -> Any:
        return svc.outgoing_draft(
            actor=specialist,
            unit=a,
            file=_file(),
            metadata={"subject": subject, "doc_type": "quyet_dinh"},
            signer=leader,
            reviewers=reviewers or [],
        )

    extra = ctx.extra
    extra["outgoing_draft_in"] = draft("OUTGOING-MATRIX-IN", reviewers=[clerk])
    extra["outgoing_review_in"] = draft("Matrix review", reviewers=[clerk])
    svc.outgoing_submit(actor=specialist, process=extra["outgoing_review_in"])
    chain = [draft(f"Matrix step {i}") for i in range(6)]
    extra["outgoing_agreed_in"] = chain[0]
    for process in chain:
        svc.outgoing_submit(actor=specialist, process=process)
    for process in chain[1:]:
        svc.outgoing_approve(actor=leader, process=process)
    extra["outgoing_approved_in"] = chain[1]
    sig.outgoing_sign_batch(actor=leader, processes=chain[2:], confirmation=next_code(leader))
    extra["outgoing_signed_in"] = chain[2]
    for process in chain[3:]:
        svc.outgoing_number(actor=clerk, process=process)
    extra["outgoing_numbered_in"] = chain[3]
    sig.outgoing_seal_batch(actor=clerk, processes=chain[4:], confirmation=next_code(clerk))
    extra["outgoing_sealed_in"] = chain[4]
    svc.outgoing_dispatch(actor=clerk, process=chain[5], internal_units=[], external_codes=["G01"])
    extra["outgoing_sent_in"] = chain[5]

    extra["outgoing_draft_out"] = svc.outgoing_draft(
        actor=out_drafter,
        unit=b,
        file=_file(),
        metadata={"subject": "OUTGOING-MATRIX-OUT", "doc_type": "quyet_dinh"},
        signer=out_signer,
    )
    # Sent by commune B to cell A, then recalled: cell A's clerk (inside) confirms.
    recalled = svc.outgoing_draft(
        actor=out_drafter,
        unit=b,
        file=_file(),
        metadata={"subject": "Matrix recalled", "doc_type": "quyet_dinh"},
        signer=out_signer,
    )
    svc.outgoing_submit(actor=out_drafter, process=recalled)
    svc.outgoing_approve(actor=out_signer, process=recalled)
    sig.outgoing_sign(actor=out_signer, process=recalled, confirmation=next_code(out_signer))
    svc.outgoing_number(actor=out_clerk, process=recalled)
    sig.outgoing_seal(actor=out_clerk, process=recalled, confirmation=next_code(out_clerk))
    svc.outgoing_dispatch(
        actor=out_clerk,
        process=recalled,
        internal_units=[ctx.units["cell_a"]],
        external_codes=[],
    )
    svc.outgoing_recall(actor=out_signer, process=recalled, reason="Matrix")
    extra["outgoing_recalled"] = recalled


def _p(state: str) -> Any:
    """The process in `state` inside; the outside draft for the outside variant."""
    return lambda c, s: c.extra[f"outgoing_{state}_in" if s == "in" else "outgoing_draft_out"]


def _page(name: str, state: str) -> Any:
    get = _p(state)
    return lambda c, s: reverse(f"office:outgoing_{name.replace('-', '_')}", args=[get(c, s).pk])


def _api(suffix: str, state: str) -> Any:
    get = _p(state)
    return lambda c, s: f"/api/v1/office/outgoing/{get(c, s).pk}{suffix}"


def _marker(c: Ctx, side: str) -> str:
    return f"OUTGOING-MATRIX-{side.upper()}"


def _unit(c: Ctx, side: str) -> Any:
    return c.units["commune_a" if side == "in" else "commune_b"]


def _confirm_page(c: Ctx, side: str) -> str:
    unit = c.units["cell_a" if side == "in" else "cell_b"]
    return reverse(
        "office:outgoing_recall_confirm", args=[c.extra["outgoing_recalled"].pk, unit.pk]
    )


def _confirm_api(c: Ctx, side: str) -> str:
    unit = c.units["cell_a" if side == "in" else "cell_b"]
    return f"/api/v1/office/outgoing/{c.extra['outgoing_recalled'].pk}/recall/{unit.code}/confirm"


def _file_data(c: Ctx, s: str) -> dict[str, Any]:
    return {"file": _upload()}


CASES = [
    Case(
        "office:outgoing",
        "get",
        lambda c, s: reverse("office:outgoing"),
        WORKERS,
        scoped=False,
        shows=_marker,
    ),
    Case(
        "office:outgoing_create",
        "get",
        lambda c, s: reverse("office:outgoing_create"),
        DRAFTERS,
        scoped=False,
    ),
    Case(
        "office:outgoing_create",
        "post",
        lambda c, s: reverse("office:outgoing_create"),
        DRAFTERS,
        write=True,
        data=lambda c, s: {
            "unit": str(_unit(c, s).pk),
            "subject": "Matrix created",
            "doc_type": "quyet_dinh",
            "urgency": "normal",
            "signer": str(c.actors[Role.LEADER].pk),
            "file": _upload(),
        },
    ),
    Case("office:outgoing_detail", "get", _page("detail", "draft"), WORKERS),
    Case(
        "office:outgoing_version",
        "post",
        _page("version", "draft"),
        DRAFTER,
        write=True,
        data=_file_data,
    ),
    Case(
        "office:outgoing_reviewers",
        "post",
        _page("reviewers", "draft"),
        DRAFTER,
        write=True,
        data=lambda c, s: {"reviewers": [str(c.actors[Role.RECORDS_CLERK].pk)]},
    ),
    Case("office:outgoing_submit", "post", _page("submit", "draft"), DRAFTER, write=True),
    Case(
        "office:outgoing_review",
        "post",
        _page("review", "review"),
        REVIEWER,
        write=True,
        data=lambda c, s: {"decision": ReviewDecision.APPROVED, "comment": ""},
    ),
    Case("office:outgoing_approve", "post", _page("approve", "agreed"), SIGNER, write=True),
    Case(
        "office:outgoing_sign",
        "post",
        _page("sign", "approved"),
        SIGNER,
        write=True,
        data=lambda c, s: {"confirmation": next_code(c.actors[Role.LEADER])},
    ),
    Case(
        "office:outgoing_sign_agent",
        "post",
        _page("sign-agent", "approved"),
        SIGNER,
        write=True,
        data=lambda c, s: {"mode": "pdf"},
    ),
    Case(
        "office:outgoing_return_signature",
        "post",
        _page("return-signature", "signed"),
        CLERK,
        write=True,
        data=lambda c, s: {"reason": "Chữ ký không hợp lệ"},
    ),
    Case("office:outgoing_number", "post", _page("number", "signed"), CLERK, write=True),
    Case(
        "office:outgoing_seal",
        "post",
        _page("seal", "numbered"),
        CLERK,
        write=True,
        data=lambda c, s: {"confirmation": next_code(c.actors[Role.RECORDS_CLERK])},
    ),
    # The batch page lists the unit's numbered documents; sealing them is the seal case's.
    Case(
        "office:outgoing_seal_queue",
        "get",
        lambda c, s: reverse("office:outgoing_seal_queue"),
        CLERK,
        scoped=False,
        shows=lambda c, s: "Matrix step 3" if s == "in" else "OUTGOING-MATRIX-OUT",
    ),
    Case(
        "office:outgoing_dispatch",
        "post",
        _page("dispatch", "sealed"),
        CLERK,
        write=True,
        data=lambda c, s: {"external_codes": "000.00.00.G01"},
    ),
    Case(
        "office:outgoing_replace",
        "post",
        _page("replace", "sent"),
        DRAFTERS,
        write=True,
        data=_file_data,
    ),
    Case(
        "office:outgoing_errata",
        "post",
        _page("errata", "sent"),
        DRAFTERS,
        write=True,
        data=_file_data,
    ),
    Case(
        "office:outgoing_recall",
        "post",
        _page("recall", "sent"),
        SIGNER,
        write=True,
        data=lambda c, s: {"reason": "Sai nội dung"},
    ),
    Case("office:outgoing_recall_confirm", "post", _confirm_page, CLERK, write=True),
    # --- API ---
    Case(
        "api:list_outgoing",
        "get",
        lambda c, s: "/api/v1/office/outgoing/",
        WORKERS,
        scoped=False,
        shows=_marker,
    ),
    Case(
        "api:create_outgoing",
        "post",
        lambda c, s: "/api/v1/office/outgoing/",
        DRAFTERS,
        write=True,
        data=lambda c, s: {
            "unit": _unit(c, s).code,
            "signer": c.actors[Role.LEADER].username,
            "metadata": '{"subject": "Matrix API", "doc_type": "quyet_dinh"}',
            "file": _upload(),
        },
    ),
    Case("api:get_outgoing", "get", _api("", "draft"), WORKERS),
    Case(
        "api:add_outgoing_version",
        "post",
        _api("/versions", "draft"),
        DRAFTER,
        write=True,
        data=_file_data,
    ),
    Case(
        "api:set_outgoing_reviewers",
        "put",
        _api("/reviewers", "draft"),
        DRAFTER,
        write=True,
        json_body=True,
        data=lambda c, s: {"reviewers": [c.actors[Role.RECORDS_CLERK].username]},
    ),
    Case("api:submit_outgoing", "post", _api("/submit", "draft"), DRAFTER, write=True),
    Case(
        "api:review_outgoing",
        "post",
        _api("/review", "review"),
        REVIEWER,
        write=True,
        json_body=True,
        data=lambda c, s: {"decision": "approved"},
    ),
    Case("api:approve_outgoing", "post", _api("/approve", "agreed"), SIGNER, write=True),
    Case(
        "api:sign_outgoing",
        "post",
        _api("/sign", "approved"),
        SIGNER,
        write=True,
        json_body=True,
        data=lambda c, s: {"confirmation": next_code(c.actors[Role.LEADER])},
    ),
    Case(
        "api:return_signature_outgoing",
        "post",
        _api("/return-signature", "signed"),
        CLERK,
        write=True,
        json_body=True,
        data=lambda c, s: {"reason": "Chữ ký không hợp lệ"},
    ),
    Case("api:number_outgoing", "post", _api("/number", "signed"), CLERK, write=True),
    Case(
        "api:seal_outgoing",
        "post",
        _api("/seal", "numbered"),
        CLERK,
        write=True,
        json_body=True,
        data=lambda c, s: {"confirmation": next_code(c.actors[Role.RECORDS_CLERK])},
    ),
    Case(
        "api:dispatch_outgoing",
        "post",
        _api("/dispatch", "sealed"),
        CLERK,
        write=True,
        json_body=True,
        data=lambda c, s: {"external_codes": ["000.00.00.G01"]},
    ),
    Case(
        "api:replace_outgoing",
        "post",
        _api("/replace", "sent"),
        DRAFTERS,
        write=True,
        data=_file_data,
    ),
    Case(
        "api:errata_outgoing",
        "post",
        _api("/errata", "sent"),
        DRAFTERS,
        write=True,
        data=_file_data,
    ),
    Case(
        "api:recall_outgoing",
        "post",
        _api("/recall", "sent"),
        SIGNER,
        write=True,
        json_body=True,
        data=lambda c, s: {"reason": "Sai nội dung"},
    ),
    Case("api:confirm_outgoing_recall", "post", _confirm_api, CLERK, write=True),
]
