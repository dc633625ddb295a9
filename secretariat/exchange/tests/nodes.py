"""Real exchange nodes for tests and benchmarks: each one a separate `exchange_serve` process
with its own data directory, keys and database, on loopback, with mutual TLS from
certificates its directory authority (the first node) issues during the test.

The database of each node is SQLite in its directory, or — when the run itself is on
PostgreSQL (`DATABASE_URL`) — its own PostgreSQL database, cloned from one migrated template.
Nodes are driven through their management commands and `node_tool` (a few test-only actions).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[3]
MANAGE = ROOT / "manage.py"
READY = "exchange listener ready on "


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _pg_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _pg_admin(base: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(_pg_url(base, "postgres"), autocommit=True) as connection:
        connection.execute(sql)


@dataclass
class Node:
    name: str
    code: str  # the organization code its one unit publishes
    workdir: Path
    database_url: str
    port: int = field(default_factory=free_port)
    env_extra: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[str] | None = None
    log: Path | None = None

    @property
    def node_id(self) -> str:
        return f"node.{self.name}"

    @property
    def address(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("SECRETARIAT_", "DJANGO_", "PYTEST_", "DATABASE_URL"))
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "secretariat.config.settings",
                "SECRETARIAT_DATA_DIR": str(self.workdir),
                "DATABASE_URL": self.database_url,
                # No Huey consumer: the listener's worker thread delivers and imports.
                "SECRETARIAT_HUEY_IMMEDIATE": "false",
                # Retries come quickly in tests (a restarted node is back in a moment).
                "SECRETARIAT_EXCHANGE_RETRY_SECONDS": "0.2",
                "SECRETARIAT_EXCHANGE_RETRY_MAX_SECONDS": "1.5",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.env_extra)
        return env

    def _python(
        self, command: list[str], *, check: bool, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, *command],
            env=self.env(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{self.name}: {' '.join(command)} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    def run(
        self, *args: str, check: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """A management command in the node's environment."""
        return self._python([str(MANAGE), *args], check=check, timeout=timeout)

    def tool(self, *args: str, timeout: float = 300) -> Any:
        """A test-only action in the node's environment (node_tool); its JSON answer."""
        module = ["-m", "secretariat.exchange.tests.node_tool"]
        return json.loads(self._python([*module, *args], check=True, timeout=timeout).stdout)

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the node's database directly (polling without starting Django each time)."""
        if self.database_url.startswith("sqlite"):
            import sqlite3

            path = "/" + urlsplit(self.database_url).path.lstrip("/")
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as connection:
                return list(connection.execute(query.replace("%s", "?"), params))
        import psycopg

        with psycopg.connect(self.database_url) as connection:
            return list(connection.execute(query, params).fetchall())

    def scalar(self, query: str, *params: Any) -> Any:
        rows = self.sql(query, *params)
        return rows[0][0] if rows else None

    def status(self) -> dict[str, Any]:
        return json.loads(self.run("exchange_status", "--json").stdout)

    def start(self, *, timeout: float = 60) -> None:
        """Start the listener (with its delivery worker) and wait until it accepts."""
        assert self.process is None or self.process.poll() is not None, "already running"
        self.log = self.workdir / "serve.log"
        handle = self.log.open("a")
        offset = handle.tell()  # an earlier run's lines are before this
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(MANAGE),
                "exchange_serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=self.env(),
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} stopped at start:\n{self.log.read_text()}")
            if READY.encode() in self.log.read_bytes()[offset:]:
                return
            time.sleep(0.1)
        raise AssertionError(f"{self.name} did not start:\n{self.log.read_text()}")

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Cluster:
    """Nodes sharing one directory, whose authority is the first node."""

    def __init__(self, base: Path, specs: Sequence[tuple[str, str]]) -> None:
        self.base = base
        self.pg_base = os.environ.get("DATABASE_URL", "")
        if not self.pg_base.startswith("postgres"):
            self.pg_base = ""
        self.nodes: dict[str, Node] = {}
        self.databases: list[str] = []
        template = self._template()
        for name, code in specs:
            workdir = base / name
            workdir.mkdir(parents=True)
            self.nodes[name] = Node(
                name=name, code=code, workdir=workdir, database_url=self._database(name, template)
            )

    def _template(self) -> str:
        """Migrate once; every node starts from a copy."""
        workdir = self.base / "template"
        workdir.mkdir(parents=True)
        if self.pg_base:
            name = f"exnodes_{os.getpid()}_{int(time.time() * 1000) % 10**8}_tpl"
            _pg_admin(self.pg_base, f'CREATE DATABASE "{name}"')
            self.databases.append(name)
            url = _pg_url(self.pg_base, name)
        else:
            url = f"sqlite:///{workdir / 'secretariat.sqlite3'}"
        template = Node(name="template", code="-", workdir=workdir, database_url=url)
        template.run("migrate", "-v", "0")
        return url

    def _database(self, name: str, template: str) -> str:
        if self.pg_base:
            source = urlsplit(template).path.lstrip("/")
            database = source.replace("_tpl", f"_{name}")
            _pg_admin(self.pg_base, f'CREATE DATABASE "{database}" TEMPLATE "{source}"')
            self.databases.append(database)
            return _pg_url(self.pg_base, database)
        target = self.base / name / "secretariat.sqlite3"
        shutil.copyfile(urlsplit(template).path, target)
        return f"sqlite:///{target}"

    def __getitem__(self, name: str) -> Node:
        return self.nodes[name]

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes.values())

    def initialise(self, *, via: dict[str, str] | None = None, valid_days: int = 365) -> None:
        """Units, node identities, a directory built by the first node and imported by all."""
        requests = []
        for node in self:
            node.tool("unit", node.code, f"Cơ quan {node.name}")
            path = node.workdir / "request.json"
            node.run(
                "exchange_node_init",
                "--node-id",
                node.node_id,
                "--name",
                f"Node {node.name}",
                "--address",
                node.address,
                "--request",
                str(path),
            )
            requests.append(path)
        self.publish(requests=requests, via=via or {}, valid_days=valid_days)

    def publish(
        self,
        *,
        requests: Sequence[Path] | None = None,
        via: dict[str, str] | None = None,
        valid_days: int = 365,
        keep: bool = False,
        skip: Sequence[str] = (),
    ) -> None:
        authority = next(iter(self))
        paths = requests or [node.workdir / "request.json" for node in self]
        out = self.base / f"directory-{time.monotonic_ns()}.json"
        args = ["exchange_directory", "build", "--out", str(out), "--valid-days", str(valid_days)]
        for path in paths:
            args += ["--request", str(path)]
        for node_name, relay_name in (via or {}).items():
            args += ["--via", f"{self[node_name].node_id}={self[relay_name].node_id}"]
        if keep:
            args.append("--keep-certificates")
        authority.run(*args)
        for node in self:
            if node.name not in skip:
                node.run("exchange_directory", "import", str(out))

    def start(self) -> None:
        for node in self:
            node.start()

    def stop(self) -> None:
        for node in self:
            node.stop()

    def close(self) -> None:
        self.stop()
        if self.pg_base:
            for name in reversed(self.databases):
                # Cleanup must not hide the test's own result.
                with contextlib.suppress(Exception):
                    _pg_admin(self.pg_base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_until(
    predicate: Callable[[], Any], *, timeout: float = 90, interval: float = 0.5, what: str = ""
) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what or predicate}: last {last!r}")
