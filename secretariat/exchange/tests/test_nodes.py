"""Two and three nodes as separate server processes with separate databases, on loopback,
talking mutual TLS with certificates issued in the test (nodes.py). Slow by nature: each test
starts real processes."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from secretariat.exchange.tests.nodes import Cluster, wait_until

A, B, C = "000.00.00.A01", "000.00.00.B01", "000.00.00.C01"


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Any]:
    made: list[Cluster] = []

    def _make(*names: str, via: dict[str, str] | None = None) -> Cluster:
        codes = {"a": A, "b": B, "c": C}
        built = Cluster(tmp_path, [(name, codes[name]) for name in names])
        made.append(built)
        built.initialise(via=via)
        return built

    yield _make
    for built in made:
        built.close()


def _outbox(node: Any) -> list[dict[str, Any]]:
    return node.status()["outbox_packages"]


def _uuid(value: Any) -> str:
    text = str(value).replace("-", "")
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _states(node: Any) -> dict[str, str]:
    """package id -> state of the node's outbox, read from its database."""
    return {
        _uuid(pid): state
        for pid, state in node.sql("SELECT package_id, state FROM exchange_outboxpackage")
    }


def _delivered(node: Any, package_ids: set[str]) -> bool:
    states = _states(node)
    return all(states.get(pid) == "delivered" for pid in package_ids)


def _received_documents(node: Any) -> int:
    return int(
        node.scalar("SELECT count(*) FROM exchange_inboxpackage WHERE document_id IS NOT NULL")
    )


def _events(node: Any, package_id: str) -> list[str]:
    rows = node.sql(
        "SELECT e.code FROM exchange_statusevent e JOIN exchange_outboxpackage o"
        " ON o.id = e.sent_id WHERE o.package_id = %s ORDER BY e.created_at",
        package_id.replace("-", "") if node.database_url.startswith("sqlite") else package_id,
    )
    return [code for (code,) in rows]


def test_one_and_several_recipients_with_status_messages_back(cluster: Any) -> None:
    nodes = cluster("a", "b", "c")
    nodes.start()
    a, b, c = nodes["a"], nodes["b"], nodes["c"]
    sent = a.tool("send", "1", "--from", A, "--to", B, "--to", C)["sent"]
    ids = {row["package_id"] for row in sent}
    assert len(ids) == 2
    wait_until(lambda: _delivered(a, ids), what="delivery to B and C")
    for node in (b, c):
        wait_until(partial(_received_documents, node), what=f"import on {node.name}")
        assert node.tool("counts")["inbox"] == 1
    # B registers it: "received" (01) then "accepted" (03) come back to A's timeline.
    b.tool("register-received")
    to_b = next(row for row in sent if row["to"] == B)

    events = wait_until(
        lambda: "03" in (found := _events(a, to_b["package_id"])) and found,
        what="status 03 at A",
    )
    # A status may overtake the receipt of the delivery it follows; both are there.
    assert "delivered" in events
    assert events.index("01") < events.index("03")
    # exchange_status --json shows the same timeline.
    row = next(p for p in _outbox(a) if p["package_id"] == to_b["package_id"])
    assert row["events"] == events
    # Every package, both ways, is in each side's message log with its digest.
    inbox_b = b.status()["inbox_packages"]
    assert {row["package_id"] for row in inbox_b if row["kind"] == "document"} == {
        to_b["package_id"]
    }


def test_relay_forwards_what_it_cannot_read(cluster: Any) -> None:
    nodes = cluster("a", "b", "c", via={"c": "b"})
    nodes.start()
    a, b, c = nodes["a"], nodes["b"], nodes["c"]
    (row,) = a.tool("send", "1", "--from", A, "--to", C)["sent"]
    wait_until(lambda: _received_documents(c) == 1, what="import on C")
    relayed = [p for p in b.status()["inbox_packages"] if p["package_id"] == row["package_id"]]
    assert relayed[0]["state"] == "relayed"
    assert b.tool("counts")["documents"] == 0  # B kept no document: it could not read one
    received = [p for p in c.status()["inbox_packages"] if p["package_id"] == row["package_id"]]
    assert received[0]["trace"] == [b.node_id]
    wait_until(lambda: _delivered(a, {row["package_id"]}), what="A's delivery to the relay")


def test_recipient_down_for_a_while_then_up_gets_it_once(cluster: Any) -> None:
    nodes = cluster("a", "b")
    a, b = nodes["a"], nodes["b"]
    a.start()
    (row,) = a.tool("send", "1", "--from", A, "--to", B)["sent"]
    wait_until(
        lambda: a.scalar("SELECT max(attempts) FROM exchange_outboxpackage") >= 2,
        what="failed attempts while B is down",
    )
    (queued,) = _outbox(a)
    assert queued["state"] == "queued"
    assert "refused" in queued["last_error"] or "connection" in queued["last_error"]
    b.start()
    wait_until(lambda: _delivered(a, {row["package_id"]}), what="delivery once B is up")
    wait_until(lambda: _received_documents(b) == 1, what="import on B")
    time.sleep(2)
    assert b.tool("counts")["inbox"] == 1


def test_recipient_killed_at_random_during_100_deliveries(cluster: Any) -> None:
    nodes = cluster("a", "b")
    a, b = nodes["a"], nodes["b"]
    # Two packages per request, so that the deliveries take long enough to be cut.
    a.env_extra["SECRETARIAT_EXCHANGE_BATCH_FRAMES"] = "2"
    sent = a.tool("send", "100", "--from", A, "--to", B)["sent"]
    ids = {row["package_id"] for row in sent}
    assert len(ids) == 100
    b.start()
    a.start()  # its worker starts delivering the 100 queued packages now
    chance = random.Random()
    cut_midway = 0
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        time.sleep(chance.uniform(0.05, 0.6))
        delivered = sum(state == "delivered" for state in _states(a).values())
        if delivered == 100:
            break
        b.stop(kill=True)  # SIGKILL: no clean shutdown, transactions cut wherever they are
        cut_midway += 0 < delivered < 100
        time.sleep(chance.uniform(0.0, 0.4))
        b.start()
    wait_until(lambda: _delivered(a, ids), timeout=180, what="all 100 delivered")
    assert cut_midway >= 1
    wait_until(lambda: _received_documents(b) == 100, timeout=300, what="100 imported on B")
    counts = b.tool("counts")
    # Exactly once: 100 packages in the inbox, 100 documents, none twice.
    assert counts["inbox"] == 100
    assert counts["distinct_received_documents"] == 100
    assert counts["documents"] == 100
    received = {row["package_id"] for row in b.status()["inbox_packages"]}
    assert received == ids
    # Nothing was refused on the way: no quarantine, no expiry.
    assert b.scalar("SELECT count(*) FROM exchange_quarantine") == 0
    assert set(_states(a).values()) == {"delivered"}


def test_revoked_node_certificate_is_refused(cluster: Any) -> None:
    nodes = cluster("a", "b", "c")
    a, b, c = nodes["a"], nodes["b"], nodes["c"]
    # The authority revokes C's certificate and publishes a new directory to A and B only.
    a.run("exchange_directory", "revoke", c.node_id)
    nodes.publish(keep=True, skip=["c"])
    nodes.start()
    assert len(c.tool("send", "1", "--from", C, "--to", B)["sent"]) == 1
    wait_until(
        lambda: c.scalar("SELECT max(attempts) FROM exchange_outboxpackage") >= 1,
        what="C's attempt refused",
    )
    (refused,) = _outbox(c)
    assert refused["state"] == "queued"  # kept: a new directory may mend it
    assert "revoked" in refused["last_error"] or "certificate" in refused["last_error"]
    assert b.tool("counts")["inbox"] == 0
    assert b.tool("counts")["documents"] == 0


def test_revocation_reaches_the_recipient(cluster: Any) -> None:
    nodes = cluster("a", "b")
    nodes.start()
    a, b = nodes["a"], nodes["b"]
    (row,) = a.tool("send", "1", "--from", A, "--to", B)["sent"]
    wait_until(lambda: _received_documents(b) == 1, what="import on B")
    (revocation,) = a.tool("revoke", row["document_id"])["sent"]
    wait_until(lambda: _delivered(a, {revocation}), what="the revocation delivered")
    wait_until(
        lambda: b.scalar("SELECT count(*) FROM exchange_inboxpackage WHERE revoked") == 1,
        what="revoked on B",
    )
    revoked = [p for p in b.status()["inbox_packages"] if p["revoked"]]
    assert revoked[0]["package_id"] == row["package_id"]
    assert b.tool("counts")["documents"] == 1
