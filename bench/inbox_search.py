"""Benchmark: the inbox (newest 50 documents of a unit) and full-text search over HTTP, under a
steady load, beside the raw SQL of the same requests measured in the same run.

Needs PostgreSQL: DATABASE_URL must point at a throwaway database. It is seeded by
`manage.py bench_seed --units 500` up to --documents when it holds fewer (the issue's target is
1,000,000 documents; the default, 50,000, keeps `make bench` to a few minutes; set
SECRETARIAT_BENCH_DOCUMENTS=1000000 or pass --documents for the full size). Creates 50 users with
a bearer token each: a fifth read the whole province, the others one unit with what is below it.

The server runs as production does (docs/operations.md): Uvicorn with the ASGI application and
--workers processes (default: one per core); --db-pool adds Django's PostgreSQL connection pool
(SECRETARIAT_DB_POOL_SIZE), which production needs under ASGI. The load comes from another process
(bench/_load.py), open loop, at a steady --rate requests/s spread over the 50 users, half inbox
and half search (the ten queries of SEARCHES: common and rare words, a phrase, an unaccented
query, a name).

Metrics, one JSON line each (bench/run.py's convention):
- `inbox_p95_ms`, `search_p95_ms`: p95 latency over HTTP at --rate; `baseline` is the p95 of
  the raw SQL of the same requests (every SELECT the request issued, captured in-process and
  replayed on one connection: what the database alone costs), `ratio` = value / baseline; p50s,
  targets (50 and 100 ms at 1 M documents), request and error counts beside them.
- `inbox_max_rps`: the highest rate of --steps (inbox only) at which the inbox p95 stays
  ≤ 200 ms without errors; baseline: --rate. Every step's p50/p95 is listed.

    DATABASE_URL=postgres://… python bench/inbox_search.py [--documents 50000] [--rate 25]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
USERS = 50
SEARCHES = [
    "công tác",  # common: the date-index walk
    "triển khai",
    "cong tac",  # typed without accents: the unaccented index
    "nghị quyết",
    '"chuyển đổi số"',
    "Lạc Dương",  # a place
    "Trạm Hành",
    '"Nguyễn Văn Hùng"',  # a person: a rare phrase of common words
    "K' Brông",
    "quyết toán ngân sách",
]
TARGETS = {"inbox_p95_ms": 50.0, "search_p95_ms": 100.0}
MAX_RPS_P95_MS = 200.0
DEFAULT_DOCUMENTS = int(os.environ.get("SECRETARIAT_BENCH_DOCUMENTS", "50000"))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def emit(metric: str, value: float, unit: str, baseline: float, **extra: Any) -> None:
    line = {
        "bench": "inbox_search",
        "metric": metric,
        "value": round(value, 2),
        "unit": unit,
        "baseline": round(baseline, 2),
        "ratio": round(value / baseline, 3) if baseline else None,
        **extra,
    }
    print(json.dumps(line, ensure_ascii=False), flush=True)


# -- preparation (in this process, through Django) ---------------------------------------------


def setup_django(data_dir: str) -> None:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "secretariat.config.settings")
    os.environ["SECRETARIAT_DATA_DIR"] = data_dir
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def prepare(documents: int, units: int = 500) -> dict[str, Any]:
    """Seed when needed (over `units` units); 50 users with a leader role on a unit each, and
    their tokens."""
    from django.core.management import call_command

    from secretariat.accounts.models import Role, RoleGrant, User
    from secretariat.accounts.tokens import token_issue
    from secretariat.documents.models import Document
    from secretariat.orgs.models import Unit

    have = Document.objects.count()
    if have < documents:
        started = time.monotonic()
        call_command(
            "bench_seed", "--documents", str(documents - have), "--units", str(units), "--yes"
        )
        print(
            f"inbox_search: seeded {documents - have} documents in "
            f"{time.monotonic() - started:.0f} s",
            file=sys.stderr,
        )
    holders = list(Unit.objects.filter(documents__isnull=False).distinct().order_by("path"))
    root = Unit.objects.order_by("path").first()
    assert root is not None
    rng = random.Random(3)
    users = []
    for i in range(USERS):
        user, created = User.objects.get_or_create(
            username=f"bench_user_{i}", defaults={"full_name": f"Bench {i}"}
        )
        # A fifth of the users read the whole province, the others one unit and its subtree.
        unit = root if i % 5 == 0 else rng.choice(holders)
        if created:
            RoleGrant.objects.create(user=user, role=Role.LEADER, unit=unit, include_subtree=True)
        grant = RoleGrant.objects.filter(user=user).select_related("unit").first()
        assert grant is not None
        inbox_unit = grant.unit if grant.unit.documents.exists() else rng.choice(holders)
        _, raw = token_issue(actor=None, user=user, name="bench")
        users.append({"token": raw, "unit": inbox_unit.code, "username": user.username})
    return {"users": users, "searches": SEARCHES}


def capture(plan: dict[str, Any]) -> dict[str, list[list[str]]]:
    """The SQL each kind of request issues, captured by running requests in-process (Django's
    test client, the same middleware, authentication and views): for the inbox one per user, for
    search every (user, query) pair."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    sys.path.insert(0, str(HERE))
    from _load import request_path

    def statements(path: str, token: str) -> list[str]:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        client.get(path)  # warm the per-process caches as the server's are
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200, response.content
        return [
            q["sql"]
            for q in captured.captured_queries
            if q["sql"].lstrip().upper().startswith(("SELECT", "WITH", "EXPLAIN"))
        ]

    replays: dict[str, list[list[str]]] = {"inbox": [], "search": []}
    for user in plan["users"]:
        replays["inbox"].append(statements(request_path("inbox", user, ""), user["token"]))
        for query in plan["searches"]:
            replays["search"].append(statements(request_path("search", user, query), user["token"]))
    return replays


def replay(replays: list[list[str]], samples: int) -> list[float]:
    """Run randomly chosen captured requests' SQL on one connection; ms per request."""
    from django.db import connection

    rng = random.Random(11)
    times: list[float] = []
    with connection.cursor() as cursor:
        for _ in range(samples):
            statements = rng.choice(replays)
            start = time.perf_counter()
            for sql in statements:
                cursor.execute(sql.replace("%", "%%"))
                if cursor.description is not None:
                    cursor.fetchall()
            times.append((time.perf_counter() - start) * 1000)
    return times


# -- the server and the load -------------------------------------------------------------------


def server_stack() -> dict[str, str]:
    """What Uvicorn will run on: it takes uvloop and httptools when they are installed. Without
    uvloop, `--workers` serves sockets without TCP_NODELAY (the listening socket Uvicorn binds
    has protocol 0, which asyncio's transport does not recognise as TCP), so a response written
    in two parts waits for the client's delayed ACK: +40 ms per request on a kept-alive
    connection (docs/operations.md)."""
    return {
        "loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        "http": "httptools" if importlib.util.find_spec("httptools") else "h11",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(port: int, workers: int, data_dir: str, pool: bool) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SECRETARIAT_DATA_DIR": data_dir}
    if pool:
        env["SECRETARIAT_DB_POOL_SIZE"] = env.get("SECRETARIAT_DB_POOL_SIZE") or "8"
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
        env=env,
    )
    deadline = time.monotonic() + 90
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.terminate()
                raise SystemExit("inbox_search: the server did not start") from None
            time.sleep(0.3)


def run_load(port: int, rate: float, duration: float, plan_file: str, kinds: str) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            str(HERE / "_load.py"),
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


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 0.5), 2),
        "p95_ms": round(percentile(values, 0.95), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=DEFAULT_DOCUMENTS)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--duration", type=float, default=30.0)
    # One process per core: within a process Django runs each request in a thread of its own,
    # so more processes only add memory and context switches (docs/operations.md).
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--steps", default="25,50,75,100,125,150,200,250,300,400")
    parser.add_argument("--step-duration", type=float, default=10.0)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument(
        "--db-pool",
        action="store_true",
        help="serve with Django's PostgreSQL connection pool (SECRETARIAT_DB_POOL_SIZE)",
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print(
            "inbox_search: skipped, set DATABASE_URL to a throwaway PostgreSQL database",
            file=sys.stderr,
        )
        return
    with tempfile.TemporaryDirectory(prefix="bench-search-") as data_dir:
        stack = server_stack()
        if args.workers > 1 and stack["loop"] != "uvloop":
            print(
                "inbox_search: uvloop is not installed: Uvicorn's workers will answer kept-alive"
                " connections 40 ms late (Nagle); install uvicorn[standard]",
                file=sys.stderr,
            )
        setup_django(data_dir)
        plan = prepare(args.documents)
        plan_file = str(Path(data_dir) / "plan.json")
        Path(plan_file).write_text(json.dumps(plan))
        replays = capture(plan)
        from django.db import connection

        connection.close()
        port = free_port()
        server = start_server(port, args.workers, data_dir, args.db_pool)
        try:
            run_load(port, 10, 5, plan_file, "mixed")  # warm-up: connections, caches
            load_before = os.getloadavg()[0]
            steady = run_load(port, args.rate, args.duration, plan_file, "mixed")
            # The database alone, same queries, same run, while the server idles.
            raw = {kind: replay(replays[kind], args.samples) for kind in ("inbox", "search")}
            common = {
                "documents": args.documents,
                "rate": args.rate,
                "workers": args.workers,
                "db_pool": args.db_pool,
                **server_stack(),
                "errors": len(steady["errors"]),
                "load_average": round(load_before, 2),
            }
            for metric, kind in (("inbox_p95_ms", "inbox"), ("search_p95_ms", "search")):
                ours, base = steady[kind], raw[kind]
                emit(
                    metric,
                    percentile(ours, 0.95),
                    "ms",
                    percentile(base, 0.95),
                    p50_ms=round(percentile(ours, 0.5), 2),
                    baseline_p50_ms=round(percentile(base, 0.5), 2),
                    target=TARGETS[metric],
                    requests=len(ours),
                    **common,
                )
            best = 0.0
            steps = []
            for step in (float(s) for s in args.steps.split(",")):
                result = run_load(port, step, args.step_duration, plan_file, "inbox")
                p95 = percentile(result["inbox"], 0.95)
                steps.append(
                    {"rate": step, **summary(result["inbox"]), "errors": len(result["errors"])}
                )
                if result["errors"] or not p95 <= MAX_RPS_P95_MS:
                    break
                best = step
            emit(
                "inbox_max_rps",
                best,
                "requests/s",
                args.rate,
                limit_p95_ms=MAX_RPS_P95_MS,
                steps=steps,
                documents=args.documents,
                workers=args.workers,
            )
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
