"""The load generator of bench/inbox_search.py, run as its own process so that it does not share
an interpreter (a GIL) with the server or the orchestrator.

Open loop: request i is scheduled at start + i / rate whatever happened before, and its latency
counts from that scheduled moment, so a slow server cannot hide its queue (no coordinated
omission). Requests rotate over the simulated users (each with its own bearer token); each
sender thread keeps one HTTP/1.1 keep-alive connection, as a browser or a proxy would.

    python bench/_load.py --port P --rate R --duration S --plan plan.json --kinds mixed|inbox

Prints one JSON object: {"inbox": [ms…], "search": [ms…], "errors": [ms…], "sent": n,
"elapsed_s": s}."""

from __future__ import annotations

import argparse
import http.client
import json
import random
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

# Enough senders that a slow answer never delays the next request's departure at the rates the
# bench steps through.
SENDERS = 64


def request_path(kind: str, user: dict[str, Any], query: str) -> str:
    if kind == "inbox":
        return "/api/v1/search/inbox?" + urllib.parse.urlencode({"unit": user["unit"]})
    return "/api/v1/search/?" + urllib.parse.urlencode({"q": query})


def run(port: int, rate: float, duration: float, plan: dict[str, Any], kinds: str) -> dict:
    rng = random.Random(7)
    local = threading.local()
    results: dict[str, list[float]] = {"inbox": [], "search": [], "errors": []}
    lock = threading.Lock()
    users = plan["users"]
    searches = plan["searches"]

    def connection() -> http.client.HTTPConnection:
        if getattr(local, "conn", None) is None:
            local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        return local.conn

    def one(scheduled: float, kind: str, path: str, token: str) -> None:
        ok = False
        for attempt in range(2):  # a keep-alive connection the server closed: reconnect once
            try:
                conn = connection()
                conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
                break
            except (OSError, http.client.HTTPException):
                local.conn = None
                if attempt:
                    break
        elapsed = (time.perf_counter() - scheduled) * 1000
        with lock:
            results[kind if ok else "errors"].append(elapsed)

    interval = 1.0 / rate
    total = int(rate * duration)
    start = time.perf_counter() + 0.2
    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        for i in range(total):
            scheduled = start + i * interval
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            kind = kinds if kinds != "mixed" else ("inbox" if i % 2 == 0 else "search")
            user = users[i % len(users)]
            path = request_path(kind, user, rng.choice(searches))
            pool.submit(one, scheduled, kind, path, user["token"])
    return {**results, "sent": total, "elapsed_s": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--plan", required=True)
    parser.add_argument("--kinds", choices=("mixed", "inbox", "search"), default="mixed")
    args = parser.parse_args()
    plan = json.loads(Path(args.plan).read_text())
    print(json.dumps(run(args.port, args.rate, args.duration, plan, args.kinds)))


if __name__ == "__main__":
    main()
