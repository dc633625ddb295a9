"""Benchmark: the inbox (newest 50 documents of a unit) and full-text search over HTTP, under a
steady load, against the raw SQL of the same queries measured in the same run.

Needs PostgreSQL: DATABASE_URL must point at a throwaway database (it is seeded with synthetic
documents by `manage.py bench_seed` when it holds fewer than --documents). Starts Uvicorn with the
ASGI application on loopback and, in a separate process, a load generator that sends a steady
--rate requests/s (open loop: latency counts from the scheduled send time, so a slow server
cannot hide its queue) for 50 simulated users, each with its own bearer token.

Metrics (one JSON line each): `inbox_p95_ms` and `search_p95_ms` (baseline: p95 of the same SQL
run directly, ratio ours/baseline), and `inbox_max_rps`, the highest stepped rate at which the
inbox p95 stays ≤ 200 ms (baseline: the steady rate). The issue's target corpus is 1,000,000
documents; the default here is small so the run takes minutes.

    DATABASE_URL=postgres://… python bench/inbox_search.py [--documents 20000] [--rate 25]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
USERS = 50
SEARCHES = [
    "công tác",  # common: the date-index walk
    "triển khai",
    "cong tac",  # typed without accents: the unaccented index
    "nghị quyết",
    '"chuyển đổi số"',
    "Lạc Dương",  # rare place
    "Trạm Hành",
    '"Nguyễn Văn Hùng"',  # rare person
    "K' Brông",
    "quyết toán ngân sách",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def emit(metric: str, value: float, unit: str, baseline: float, ratio: float, **extra: Any) -> None:
    line = {
        "bench": "inbox_search",
        "metric": metric,
        "value": round(value, 2),
        "unit": unit,
        "baseline": round(baseline, 2),
        "ratio": round(ratio, 3),
        **extra,
    }
    print(json.dumps(line, ensure_ascii=False), flush=True)


# -- the load generator (a separate process) -------------------------------------------------


def load(port: int, rate: float, duration: float, plan_file: str, kinds: str) -> None:
    """Send `rate` requests/s for `duration` s; print {"inbox": [ms…], "search": [ms…]}."""
    plan = json.loads(Path(plan_file).read_text())
    rng = random.Random(7)
    local = threading.local()
    results: dict[str, list[float]] = {"inbox": [], "search": [], "errors": []}
    lock = threading.Lock()

    def connection() -> http.client.HTTPConnection:
        if getattr(local, "conn", None) is None:
            local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        return local.conn

    def one(scheduled: float, kind: str, user: dict[str, Any]) -> None:
        if kind == "inbox":
            path = "/api/v1/search/inbox?" + urllib.parse.urlencode({"unit": user["unit"]})
        else:
            path = "/api/v1/search/?" + urllib.parse.urlencode({"q": rng.choice(SEARCHES)})
        try:
            conn = connection()
            conn.request("GET", path, headers={"Authorization": f"Bearer {user['token']}"})
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            local.conn = None
            ok = False
        elapsed = (time.perf_counter() - scheduled) * 1000
        with lock:
            results[kind if ok else "errors"].append(elapsed)

    interval = 1.0 / rate
    start = time.perf_counter() + 0.2
    with ThreadPoolExecutor(max_workers=USERS) as pool:
        for i in range(int(rate * duration)):
            scheduled = start + i * interval
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            kind = kinds if kinds != "mixed" else ("inbox" if i % 2 == 0 else "search")
            pool.submit(one, scheduled, kind, plan["users"][i % len(plan["users"])])
    print(json.dumps(results))


# -- the orchestrator ------------------------------------------------------------------------


def setup_django(data_dir: str) -> None:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "secretariat.config.settings")
    os.environ["SECRETARIAT_DATA_DIR"] = data_dir
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def prepare(documents: int) -> dict[str, Any]:
    """Seed when needed; 50 users with a leader role on a unit each, and their tokens."""
    from django.core.management import call_command

    from secretariat.accounts.models import Role, RoleGrant, User
    from secretariat.accounts.tokens import token_issue
    from secretariat.documents.models import Document
    from secretariat.orgs.models import Unit

    have = Document.objects.count()
    if have < documents:
        call_command("bench_seed", "--documents", str(documents - have), "--units", "60", "--yes")
    units = list(Unit.objects.filter(documents__isnull=False).distinct().order_by("path"))
    root = Unit.objects.order_by("path").first()
    rng = random.Random(3)
    users = []
    for i in range(USERS):
        user, created = User.objects.get_or_create(
            username=f"bench_user_{i}", defaults={"full_name": f"Bench {i}"}
        )
        # A fifth of the users read the whole province, the others one unit.
        unit = root if i % 5 == 0 else rng.choice(units)
        if created:
            RoleGrant.objects.create(user=user, role=Role.LEADER, unit=unit, include_subtree=True)
        grant = RoleGrant.objects.filter(user=user).select_related("unit").first()
        assert grant is not None
        inbox_unit = grant.unit if grant.unit.documents.exists() else rng.choice(units)
        _, raw = token_issue(actor=None, user=user, name="bench")
        users.append({"token": raw, "unit": inbox_unit.code, "username": user.username})
    return {"users": users}


def raw_baselines(plan: dict[str, Any], samples: int) -> tuple[list[float], list[float]]:
    """The same queries without HTTP, Django views or serialisation: the inbox SQL, and the SQL
    statements search_documents issues (captured once per query, then replayed)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from secretariat.accounts.models import User
    from secretariat.documents.search import search_documents
    from secretariat.orgs.models import Unit

    rng = random.Random(11)
    inbox: list[float] = []
    with connection.cursor() as cursor:
        for i in range(samples):
            unit = Unit.objects.get(code=plan["users"][i % USERS]["unit"])
            start = time.perf_counter()
            cursor.execute(
                "SELECT id, subject, notation, created_at FROM documents_document"
                " WHERE unit_id = %s ORDER BY created_at DESC LIMIT 50",
                [unit.pk],
            )
            cursor.fetchall()
            inbox.append((time.perf_counter() - start) * 1000)
    replays: list[list[str]] = []
    for i, query in enumerate(SEARCHES * 5):
        user = User.objects.get(username=plan["users"][i % USERS]["username"])
        with CaptureQueriesContext(connection) as captured:
            search_documents(user=user, query=query)
        replays.append(
            [
                q["sql"]
                for q in captured.captured_queries
                if not q["sql"].startswith(("SET", "SAVEPOINT", "RELEASE"))
            ]
        )
    search: list[float] = []
    with connection.cursor() as cursor:
        for _ in range(samples):
            statements = rng.choice(replays)
            start = time.perf_counter()
            for sql in statements:
                cursor.execute(sql.replace("%", "%%"))
                if cursor.description is not None:
                    cursor.fetchall()
            search.append((time.perf_counter() - start) * 1000)
    return inbox, search


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_load(port: int, rate: float, duration: float, plan_file: str, kinds: str) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--load",
            "--port",
            str(port),
            "--rate",
            str(rate),
            "--duration",
            str(duration),
            "--plan",
            plan_file,
            "--kinds",
            kinds,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=duration * 4 + 120,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=20000)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--steps", default="25,50,100,150,200,300")
    parser.add_argument("--step-duration", type=float, default=6.0)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--load", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--plan", help=argparse.SUPPRESS)
    parser.add_argument("--kinds", default="mixed", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        load(args.port, args.rate, args.duration, args.plan, args.kinds)
        return
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print(
            "inbox_search: skipped, set DATABASE_URL to a throwaway PostgreSQL database",
            file=sys.stderr,
        )
        return
    with tempfile.TemporaryDirectory(prefix="bench-search-") as data_dir:
        setup_django(data_dir)
        plan = prepare(args.documents)
        plan_file = str(Path(data_dir) / "plan.json")
        Path(plan_file).write_text(json.dumps(plan))
        from django.db import connection

        connection.close()
        port = free_port()
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
                str(args.workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=REPO,
            env={**os.environ, "SECRETARIAT_DATA_DIR": data_dir},
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the server did not start") from None
                    time.sleep(0.3)
            run_load(port, 10, 3, plan_file, "mixed")  # warm-up: connections, caches
            steady = run_load(port, args.rate, args.duration, plan_file, "mixed")
            inbox_raw, search_raw = raw_baselines(plan, args.samples)
            common = {
                "documents": args.documents,
                "rate": args.rate,
                "errors": len(steady["errors"]),
            }
            for name, ours, base in (
                ("inbox_p95_ms", steady["inbox"], inbox_raw),
                ("search_p95_ms", steady["search"], search_raw),
            ):
                value, baseline = percentile(ours, 0.95), percentile(base, 0.95)
                emit(name, value, "ms", baseline, value / baseline, requests=len(ours), **common)
            best = 0.0
            for step in (float(s) for s in args.steps.split(",")):
                result = run_load(port, step, args.step_duration, plan_file, "inbox")
                p95 = percentile(result["inbox"], 0.95)
                if result["errors"] or not p95 <= 200:
                    break
                best = step
            emit(
                "inbox_max_rps",
                best,
                "requests/s",
                args.rate,
                best / args.rate,
                documents=args.documents,
            )
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
