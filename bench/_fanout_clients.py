"""The listeners of bench/meeting_fanout.py, in a process of their own (no GIL shared with the
server or the orchestrator): N WebSocket clients of one meeting room, or N raw Redis pub/sub
subscribers for the baseline.

Talks to the orchestrator by lines: prints {"ready": n} once every listener is connected
(and, for sockets, has its snapshot); then, for every marker the orchestrator waits for, prints
{"all": key} when the N listeners have all received it — a closed vote's id (sockets) or a round
number (pub/sub). On "done" from stdin it prints {"times": {key: [monotonic seconds…]}}.
`time.monotonic` is the machine's CLOCK_MONOTONIC: comparable with the orchestrator's.

    python bench/_fanout_clients.py ws --url ws://… --origin http://… --cookies FILE
    python bench/_fanout_clients.py redis --redis-url redis://… --channel NAME --count N
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

CONNECT_AT_ONCE = 50

times: dict[str, list[float]] = defaultdict(list)


def say(line: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def arrived(key: str, total: int) -> None:
    stamps = times[key]
    stamps.append(time.monotonic())
    if len(stamps) == total:
        say({"all": key})


async def wait_for_done() -> None:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line or line.strip() == "done":
            return


async def run_sockets(url: str, origin: str, cookie_name: str, keys: list[str]) -> None:
    from websockets.asyncio.client import connect

    total = len(keys)
    ready = 0
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)
    connected = asyncio.Event()

    async def client(key: str) -> None:
        nonlocal ready
        async with gate:
            socket = await connect(
                url,
                origin=origin,  # type: ignore[arg-type]
                additional_headers={"Cookie": f"{cookie_name}={key}"},
                max_size=None,
                open_timeout=120,
                ping_interval=None,
            )
            first = json.loads(await socket.recv())
            assert first["type"] == "snapshot", first
        ready += 1
        if ready == total:
            connected.set()
        async for raw in socket:
            message = json.loads(raw)
            if message.get("type") != "event" or message.get("topic") != "vote":
                continue
            data = message.get("data") or {}
            if data.get("state") == "closed" and "result" in data:
                arrived(str(data["id"]), total)
            elif data.get("state") == "open":
                arrived("open:" + str(data["id"]), total)

    tasks = [asyncio.ensure_future(client(key)) for key in keys]
    waiting = asyncio.ensure_future(connected.wait())
    done, _ = await asyncio.wait([waiting, *tasks], return_when=asyncio.FIRST_COMPLETED)
    for task in done:
        if task is not waiting and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    await waiting
    say({"ready": total})
    await wait_for_done()
    say({"times": times})
    for task in tasks:
        task.cancel()


async def run_redis(url: str, channel: str, count: int) -> None:
    import redis.asyncio as redis

    connections = []

    async def subscriber() -> None:
        client = redis.Redis.from_url(url)
        pubsub = client.pubsub()
        await pubsub.subscribe(channel)
        await pubsub.get_message(timeout=10)  # the subscription's confirmation
        connections.append(client)
        ready.release()
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            if message is not None:
                arrived(message["data"].decode(), count)

    ready = asyncio.Semaphore(0)
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)

    async def start(_i: int) -> asyncio.Task[None]:
        async with gate:
            task = asyncio.ensure_future(subscriber())
            await ready.acquire()
            return task

    tasks = await asyncio.gather(*(start(i) for i in range(count)))
    say({"ready": count})
    await wait_for_done()
    say({"times": times})
    for task in tasks:
        task.cancel()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("ws", "redis"))
    parser.add_argument("--url", default="")
    parser.add_argument("--origin", default="")
    parser.add_argument("--cookies", default="")
    parser.add_argument("--cookie-name", default="sessionid")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--channel", default="bench-fanout")
    parser.add_argument("--count", type=int, default=0)
    args = parser.parse_args()
    if args.mode == "ws":
        keys = json.loads(Path(args.cookies).read_text())
        work = run_sockets(args.url, args.origin, args.cookie_name, keys)
    else:
        work = run_redis(args.redis_url, args.channel, args.count)
    try:
        import uvloop
    except ImportError:
        asyncio.run(work)
    else:
        uvloop.run(work)


if __name__ == "__main__":
    main()
