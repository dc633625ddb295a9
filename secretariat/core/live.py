"""Live updates: hand a message to a Channels group after a commit, without slowing the writer.

Sending from the committing thread would cost an event-loop round trip per message (more than
the insert it announces; `async_to_sync` even starts a loop per call). So `publish` only appends
to a queue; one daemon thread per process wakes at most every `BATCH_WINDOW` seconds, takes what
has accumulated and sends it:
- on the ASGI server's own loop when the message was published from one of its `sync_to_async`
  threads (the in-memory layer only delivers to consumers on that loop);
- otherwise (WSGI, commands, Huey workers) on the thread's own loop, which suits channels-redis.
Delivery is best effort: pages re-read what changed, a lost message only delays an update.
Call `publish` from `transaction.on_commit` so that nothing rolled back ever shows.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

from asgiref.sync import SyncToAsync

# Up to this delay buys one wake-up per burst instead of one per message; far below what a
# person watching a page notices.
BATCH_WINDOW = 0.02

logger = logging.getLogger(__name__)

# (server loop or None, group, message, coalesce); deque.append and popleft are atomic.
_Item = tuple[asyncio.AbstractEventLoop | None, str, dict[str, Any], bool]
_queue: collections.deque[_Item] = collections.deque()
_wakeup = threading.Event()
_state_lock = threading.Lock()
_counter_lock = threading.Lock()
_worker_pid: int | None = None
_queued = 0
_handled = 0
_tasks: set[Any] = set()  # strong references: a loop keeps only weak ones to its tasks


def _channel_layer() -> Any:
    # Not cached here: channels caches the layer per alias and drops it when the settings
    # change, and a copy held here would outlive that.
    try:
        from channels.layers import get_channel_layer

        return get_channel_layer()
    except Exception:  # a misconfigured layer: live updates are optional, the writes are not
        logger.warning("no channel layer: live updates disabled", exc_info=True)
        return None


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The ASGI server's loop when this sync code runs in one of its `sync_to_async` threads."""
    local = SyncToAsync.threadlocal
    if getattr(local, "main_event_loop_pid", None) != os.getpid():
        return None
    loop: asyncio.AbstractEventLoop | None = getattr(local, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() else None


def publish(group: str, message: Mapping[str, Any], *, coalesce: bool = False) -> None:
    """Queue `message` for `group`; silently nothing without a channel layer. With `coalesce`,
    messages to the same group within one batch collapse to the last (for "reload" pings)."""
    global _queued
    if _channel_layer() is None:
        return
    _ensure_worker()
    with _counter_lock:  # an uncontended lock: well under a microsecond
        _queued += 1
    _queue.append((_server_loop(), group, dict(message), coalesce))
    if not _wakeup.is_set():
        _wakeup.set()


def _ensure_worker() -> None:
    global _worker_pid
    # Per process: a worker forked from a parent that had one has no thread of its own.
    if _worker_pid == os.getpid():
        return
    with _state_lock:
        if _worker_pid != os.getpid():
            threading.Thread(target=_run, name="live-publisher", daemon=True).start()
            _worker_pid = os.getpid()


def _run() -> None:
    global _handled
    loop = asyncio.new_event_loop()
    while True:
        _wakeup.wait()
        time.sleep(BATCH_WINDOW)
        _wakeup.clear()
        batch = []
        while _queue:
            batch.append(_queue.popleft())
        try:
            _send(loop, batch)
        except Exception:
            logger.warning("live update not delivered", exc_info=True)
        with _counter_lock:
            _handled += len(batch)


def _send(loop: asyncio.AbstractEventLoop, batch: list[_Item]) -> None:
    layer = _channel_layer()
    if layer is None or not batch:
        return
    by_loop: dict[asyncio.AbstractEventLoop | None, list[tuple[str, dict[str, Any]]]] = {}
    for server_loop, group, message, coalesce in batch:
        messages = by_loop.setdefault(server_loop, [])
        if coalesce:
            messages[:] = [(g, m) for g, m in messages if g != group]
        messages.append((group, message))
    for server_loop, messages in by_loop.items():
        if server_loop is not None and not server_loop.is_closed():
            server_loop.call_soon_threadsafe(_spawn, _send_all(layer, messages))
        else:
            loop.run_until_complete(_send_all(layer, messages))


async def _send_all(layer: Any, messages: list[tuple[str, dict[str, Any]]]) -> None:
    for group, message in messages:
        await layer.group_send(group, message)


def _spawn(coroutine: Any) -> None:
    task = asyncio.ensure_future(coroutine)
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


def flush(timeout: float = 5.0) -> None:
    """Wait until everything published so far was handed to the layer (tests, commands)."""
    deadline = time.monotonic() + timeout
    while _handled < _queued:
        if time.monotonic() > deadline:
            raise TimeoutError("live publisher did not drain its queue")
        time.sleep(0.005)
