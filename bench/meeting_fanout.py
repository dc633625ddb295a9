"""Live fan-out of a meeting room (metric `result_p99_ms`): N WebSocket clients (default 1,000)
connected to one meeting through a real ASGI server on the Redis channel layer; the secretary
closes a vote through the service (`votes.close_vote`, in this process: the result is computed,
audited, committed and published by `live.changed` on commit, as in production); timed from the
call until the LAST client has received the result. Several rounds (a vote opened, then closed,
per round); p50 and p99 over the rounds of that last-client time.

Baseline, same run, same Redis: a raw pub/sub fan-out of a message to N subscribers (one
connection each), timed from PUBLISH until the last subscriber has it. `ratio` = ours / the
baseline (p99 against p99). Target: p99 ≤ 1 s for 1,000 clients on 2 cores.

The server is Uvicorn with the ASGI application (--workers processes, default 1); the clients
and the subscribers live in another process (bench/_fanout_clients.py, asyncio + websockets),
authenticated by session cookies created in the bench database. Redis: a database of its own
(SECRETARIAT_BENCH_REDIS_URL, default redis://127.0.0.1:6379/8), emptied at the start. The
database: DATABASE_URL when set (a throwaway one!), else SQLite in a scratch directory.

    python bench/meeting_fanout.py [--clients 1000] [--rounds 10] [--workers 1]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import queue
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from _common import emit, setup_django  # noqa: E402

TARGET_MS = 1000.0
DEFAULT_REDIS = os.environ.get("SECRETARIAT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
WAIT_S = 120.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# -- preparation (this process, through Django) ------------------------------------------------


def prepare(count: int) -> dict[str, Any]:
    """A cell, its meeting in session, `count` members checked in, a session cookie each."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from secretariat.accounts.models import User
    from secretariat.meetings.models import Participant, ParticipantRole, Presence
    from secretariat.meetings.tests.room_factories import make_meeting
    from secretariat.orgs.models import Unit, UnitKind

    tag = secrets.token_hex(3)
    unit = Unit.objects.add_root(
        create_kwargs={
            "name": f"Chi bộ bench {tag}",
            "kind": UnitKind.CELL,
            "code": f"{secrets.randbelow(1000):03d}.99.99.B{secrets.randbelow(100):02d}",
            "abbreviation": "CB",
        }
    )
    unusable = make_password(None)
    secretary = User.objects.create(username=f"fanout_sec_{tag}", full_name="Thư ký")
    chair = User.objects.create(username=f"fanout_chair_{tag}", full_name="Chủ trì")
    members = User.objects.bulk_create(
        [
            User(username=f"fanout_{tag}_{i}", full_name=f"Đảng viên {i}", password=unusable)
            for i in range(count)
        ]
    )
    meeting = make_meeting(
        unit=unit, chair=chair, secretary=secretary, title="Hội nghị bench", items=1
    )
    Participant.objects.bulk_create(
        [Participant(meeting=meeting, user=user, role=ParticipantRole.MEMBER) for user in members]
    )
    Participant.objects.filter(meeting=meeting).update(presence=Presence.ROOM)
    meeting.body_size = count + 2
    meeting.save(update_fields=["body_size"])
    store = import_module(settings.SESSION_ENGINE).SessionStore
    expire = timezone.now() + datetime.timedelta(days=1)
    keys = [secrets.token_hex(16) for _ in members]
    Session.objects.bulk_create(
        [
            Session(
                session_key=key,
                session_data=store().encode(
                    {
                        SESSION_KEY: str(user.pk),
                        BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                        HASH_SESSION_KEY: user.get_session_auth_hash(),
                    }
                ),
                expire_date=expire,
            )
            for key, user in zip(keys, members, strict=True)
        ]
    )
    return {"meeting": meeting, "secretary": secretary, "keys": keys}


# -- the server and the listeners --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(port: int, workers: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "secretariat.config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=REPO,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "secretariat.config.settings",
            "PYTHONPATH": os.pathsep.join([str(HERE), str(REPO)]),
        },
    )
    deadline = time.monotonic() + 90
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.terminate()
                raise SystemExit("meeting_fanout: the server did not start") from None
            time.sleep(0.3)


class Listeners:
    """The client process, and its stdout read line by line in a thread."""

    def __init__(self, args: list[str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "_fanout_clients.py"), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("{"):
                self.lines.put(json.loads(line))
        self.lines.put({"eof": True})

    def expect(self, key: str, value: Any, timeout: float = WAIT_S) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SystemExit(f"meeting_fanout: listeners never said {key}={value}")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line.get("eof"):
                raise SystemExit("meeting_fanout: the listeners' process ended")
            if key in line and (value is None or line[key] == value):
                return line

    def finish(self) -> dict[str, list[float]]:
        assert self.process.stdin is not None
        self.process.stdin.write("done\n")
        self.process.stdin.flush()
        times: dict[str, list[float]] = self.expect("times", None)["times"]
        self.process.wait(timeout=60)
        return times

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


def latencies(starts: dict[str, float], times: dict[str, list[float]]) -> list[list[float]]:
    """Per round, every listener's delay in ms."""
    return [[(t - start) * 1000 for t in times[key]] for key, start in starts.items()]


def rounds_meeting(plan: dict[str, Any], listeners: Listeners, rounds: int) -> dict[str, float]:
    from secretariat.meetings.models import VoteKind, VoteMethod
    from secretariat.meetings.services import votes

    meeting, secretary = plan["meeting"], plan["secretary"]
    starts: dict[str, float] = {}
    for i in range(rounds + 1):
        vote = votes.create_vote(
            actor=secretary,
            meeting=meeting,
            kind=VoteKind.RESOLUTION,
            method=VoteMethod.NAMED,
            question=f"Biểu quyết số {i}",
        )
        votes.open_vote(actor=secretary, vote=vote)
        listeners.expect("all", f"open:{vote.pk}")
        time.sleep(0.2)
        started = time.monotonic()
        votes.close_vote(actor=secretary, vote=vote)
        listeners.expect("all", str(vote.pk))
        if i:  # the first round warms up (connections, caches)
            starts[str(vote.pk)] = started
    return starts


def rounds_redis(url: str, channel: str, listeners: Listeners, rounds: int) -> dict[str, float]:
    import redis

    client = redis.Redis.from_url(url)
    starts: dict[str, float] = {}
    for i in range(rounds + 1):
        time.sleep(0.2)
        key = f"round-{i}"
        started = time.monotonic()
        client.publish(channel, key)
        listeners.expect("all", key)
        if i:
            starts[key] = started
    client.close()
    return starts


def summary(per_round: list[list[float]]) -> dict[str, float]:
    last = [max(values) for values in per_round]
    every = [v for values in per_round for v in values]
    return {
        "p50": percentile(last, 0.5),
        "p99": percentile(last, 0.99),
        "all_p50": percentile(every, 0.5),
        "all_p99": percentile(every, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    args = parser.parse_args()

    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    os.environ["SECRETARIAT_REDIS_URL"] = args.redis_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "secretariat.config.settings"
    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as data_dir:
        setup_django(data_dir)
        from django.conf import settings
        from django.db import connection

        plan = prepare(args.clients)
        cookies = Path(data_dir) / "cookies.json"
        cookies.write_text(json.dumps(plan["keys"]))
        vendor = connection.vendor
        connection.close()
        port = free_port()
        server = start_server(port, args.workers)
        listeners: Listeners | None = None
        try:
            listeners = Listeners(
                [
                    "ws",
                    "--url",
                    f"ws://127.0.0.1:{port}/ws/meetings/{plan['meeting'].pk}/",
                    "--origin",
                    f"http://127.0.0.1:{port}",
                    "--cookies",
                    str(cookies),
                    "--cookie-name",
                    settings.SESSION_COOKIE_NAME,
                ]
            )
            connect_started = time.monotonic()
            listeners.expect("ready", args.clients, timeout=600)
            connect_s = time.monotonic() - connect_started
            starts = rounds_meeting(plan, listeners, args.rounds)
            ours = summary(latencies(starts, listeners.finish()))

            channel = f"bench-fanout-{secrets.token_hex(4)}"
            listeners = Listeners(
                [
                    *("redis", "--redis-url", args.redis_url),
                    *("--channel", channel, "--count", str(args.clients)),
                ]
            )
            listeners.expect("ready", args.clients, timeout=600)
            starts = rounds_redis(args.redis_url, channel, listeners, args.rounds)
            base = summary(latencies(starts, listeners.finish()))
        finally:
            if listeners is not None:
                listeners.kill()
            server.terminate()
            server.wait(timeout=30)
    emit(
        "meeting_fanout",
        "result_p99_ms",
        ours["p99"],
        "ms",
        base["p99"],
        ours["p99"] / base["p99"] if base["p99"] else float("nan"),
        p50_ms=round(ours["p50"], 2),
        baseline_p50_ms=round(base["p50"], 2),
        all_clients_p50_ms=round(ours["all_p50"], 2),
        all_clients_p99_ms=round(ours["all_p99"], 2),
        target=TARGET_MS,
        clients=args.clients,
        rounds=args.rounds,
        workers=args.workers,
        database=vendor,
        connect_s=round(connect_s, 1),
        cores=os.cpu_count(),
    )


if __name__ == "__main__":
    main()
