"""Permission-matrix cases of the exchange (see secretariat/api/tests/matrix.py).

The message log spans every unit of the node, so only node-wide administrators (a grant that
covers the root) may see it or act on it; every matrix actor's role is on commune A, hence
nobody here (the node-wide case is in test_views.py)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse

from secretariat.api.tests.matrix import Case, Ctx
from secretariat.documents.services import IncomingFile, document_capture
from secretariat.documents.tests.factories import text_pdf
from secretariat.exchange import services
from secretariat.exchange.models import Quarantine
from secretariat.exchange.tests.factories import make_federation

NOBODY: frozenset[str] = frozenset()

EXEMPT = {
    # Node-to-node endpoints: served only on the mutual-TLS listener (`exchange_serve`), where
    # the caller is a federation node, not a user; the views refuse any request that did not
    # come through it (test_views.py). Each package is signed by its sending node and checked.
    "exchange_node:packages",
    "exchange_node:directory",
    "exchange_node:ping",
}


def setup(ctx: Ctx, make_user: Any) -> None:
    fed = make_federation()
    unit = ctx.units["commune_a"]
    document = document_capture(
        actor=None,
        unit=unit,
        file=IncomingFile("cv.pdf", text_pdf(["Công văn"])),
        metadata={"subject": "Công văn", "number": "1", "notation": "CV/ĐU"},
    )
    with transaction.atomic():
        (ctx.extra["outbox"],) = services.send_document_nondurable(
            actor=None, document=document, unit=unit, to_codes=["G01"]
        )
    services.receive_one(b"not a package")
    ctx.extra["quarantine"] = Quarantine.objects.get()
    ctx.extra["federation"] = fed


CASES = [
    Case("exchange:log", "get", lambda c, s: reverse("exchange:log"), NOBODY, scoped=False),
    Case(
        "exchange:outbox_retry",
        "post",
        lambda c, s: reverse("exchange:outbox_retry", args=[c.extra["outbox"].pk]),
        NOBODY,
        scoped=False,
        write=True,
        data=lambda c, s: {},
    ),
    Case(
        "exchange:quarantine_release",
        "post",
        lambda c, s: reverse("exchange:quarantine_release", args=[c.extra["quarantine"].pk]),
        NOBODY,
        scoped=False,
        write=True,
        data=lambda c, s: {},
    ),
]
