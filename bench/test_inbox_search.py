"""The inbox/search benchmark's own parts, on a tiny corpus (no timing is asserted): the users
and tokens it prepares reach both endpoints, the raw-SQL baseline replays what those requests
issued, and the load generator sends every scheduled request and counts failures."""

from __future__ import annotations

import http.server
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _load
import inbox_search


def test_percentile_picks_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert inbox_search.percentile(values, 0.5) == 51.0
    assert inbox_search.percentile(values, 0.95) == 95.0
    assert inbox_search.percentile([3.0], 0.95) == 3.0


@pytest.mark.django_db
def test_prepared_users_search_and_their_sql_replays() -> None:
    plan = inbox_search.prepare(40, units=4)
    assert len(plan["users"]) == inbox_search.USERS
    # Capture (through the test client: authentication, scope, views) for a few users.
    few = {**plan, "users": plan["users"][:3], "searches": plan["searches"][:2]}
    replays = inbox_search.capture(few)
    assert len(replays["inbox"]) == 3
    assert len(replays["search"]) == 6
    assert all(statements for statements in replays["inbox"] + replays["search"])
    assert len(inbox_search.replay(replays["search"], 5)) == 5


class _Answer(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        ok = self.headers.get("Authorization", "").startswith("Bearer ")
        status = 200 if ok and "fail" not in self.path else 500
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"[]")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def http_port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()


def test_load_sends_every_scheduled_request(http_port: int) -> None:
    plan = {
        "users": [{"token": "t1", "unit": "fail"}, {"token": "t2", "unit": "fail"}],
        "searches": ["công tác"],
    }
    result = _load.run(http_port, rate=40, duration=1, plan=plan, kinds="mixed")
    assert result["sent"] == 40
    # Even requests are inbox (of a unit the server refuses), odd ones search.
    assert len(result["inbox"]) == 0
    assert len(result["errors"]) == 20
    assert len(result["search"]) == 20
