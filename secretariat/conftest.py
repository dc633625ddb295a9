"""Fixtures shared by every app's tests: a small organization tree and users with roles."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client, TransactionTestCase

from secretariat.audit import triggers

# A transactional test database is emptied by a flush (DELETE / TRUNCATE), which the audit
# triggers rightly refuse. The test harness, like a database administrator, lifts them for the
# flush and puts them back.
_original_fixture_teardown = TransactionTestCase._fixture_teardown  # type: ignore[attr-defined]


def _fixture_teardown(self: TransactionTestCase) -> None:
    from django.db import connections

    for alias in self._databases_names(include_mirrors=False):  # type: ignore[attr-defined]
        triggers.remove(connections[alias])
    try:
        _original_fixture_teardown(self)
    finally:
        for alias in self._databases_names(include_mirrors=False):  # type: ignore[attr-defined]
            triggers.install(connections[alias])


TransactionTestCase._fixture_teardown = _fixture_teardown  # type: ignore[attr-defined]


@pytest.fixture(scope="session", autouse=True)
def _end_stray_connections(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """The live server's request threads can leave an idle PostgreSQL session behind, which
    would stop the test database from being dropped at the end of the run."""
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        for connection in connections.all():
            if connection.vendor != "postgresql":
                continue
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            connection.close()


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest, django_db_blocker: Any) -> None:
    """Reference data loaded by data migrations (the document type catalogue) is wiped by the
    flush after every transactional test; put it back before each test that uses the database."""
    uses_db = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    )
    if not uses_db:
        return
    from secretariat.documents.catalogue import ensure_document_types
    from secretariat.office.holidays import ensure_calendar_days

    with django_db_blocker.unblock():
        ensure_document_types()
        ensure_calendar_days()


@pytest.fixture(scope="session")
def _data_dir(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return tmp_path_factory.mktemp("secretariat-data")


@pytest.fixture(autouse=True)
def _isolated_files(settings: Any, _data_dir: Any) -> None:
    """Stored files, keys and the checkpoint log of tests go to a temporary folder, never to
    the developer's var/."""
    settings.FILES_DIR = _data_dir / "files"
    settings.KEYS_DIR = _data_dir / "keys"
    settings.AUDIT_CHECKPOINT_FILE = _data_dir / "audit" / "checkpoints.log"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Argon2 costs ~50 ms a hash by design; tests that are not about hashing use a fast one.
    `test_password_hashing_is_argon2` checks the real configuration."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english_by_default(settings: Any) -> Any:
    """Tests read messages in the source language; `web/tests/test_languages.py` checks that
    the configured default is Vietnamese and that every page is translated."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def tree(db: Any) -> dict[str, Any]:
    """province ─┬ office
    ├ commune_a ─ cell_a
    └ commune_b ─ cell_b"""
    from secretariat.orgs.models import Unit, UnitKind

    def add(parent: Unit | None, name: str, kind: str, code: str, abbreviation: str) -> Unit:
        fields = {"name": name, "kind": kind, "code": code, "abbreviation": abbreviation}
        if parent is None:
            return Unit.objects.add_root(create_kwargs=fields)
        return Unit.objects.add_child(Unit.objects.get(pk=parent.pk), create_kwargs=fields)

    province = add(None, "Tỉnh ủy Lâm Đồng", UnitKind.PROVINCIAL_COMMITTEE, "000.00.00.T68", "TU")
    office = add(province, "Văn phòng Tỉnh ủy", UnitKind.OFFICE, "000.00.01.T68", "VPTU")
    commune_a = add(
        province, "Đảng ủy xã Lạc Dương", UnitKind.COMMUNE_COMMITTEE, "000.01.00.T68", "ĐU"
    )
    cell_a = add(commune_a, "Chi bộ thôn Đăng Gia", UnitKind.CELL, "000.01.01.T68", "CB")
    commune_b = add(
        province, "Đảng ủy phường Xuân Hương", UnitKind.WARD_COMMITTEE, "000.02.00.T68", "ĐU"
    )
    cell_b = add(commune_b, "Chi bộ tổ dân phố 3", UnitKind.CELL, "000.02.01.T68", "CB")
    units = {
        "province": province,
        "office": office,
        "commune_a": commune_a,
        "cell_a": cell_a,
        "commune_b": commune_b,
        "cell_b": cell_b,
    }
    return {k: Unit.objects.get(pk=v.pk) for k, v in units.items()}


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    """make_user("alice", role="unit_admin", unit=u, subtree=True, position=(unit, title))."""
    from secretariat.accounts.models import Position, RoleGrant, User

    def _make(
        username: str,
        *,
        role: str | None = None,
        unit: Any = None,
        subtree: bool = True,
        password: str = "correct horse battery staple",
        position: tuple[Any, str] | None = None,
    ) -> Any:
        # English like the tests' requests (notifications are written in the user's language).
        user = User.objects.create_user(
            username=username, password=password, full_name=username.title(), language="en"
        )
        if role is not None:
            RoleGrant.objects.create(user=user, role=role, unit=unit, include_subtree=subtree)
        if position is not None:
            Position.objects.create(user=user, unit=position[0], title=position[1])
        return user

    return _make


@pytest.fixture
def totp_code(db: Any) -> Callable[[Any], str]:
    """totp_code(user): a valid, unused code of the user's authenticator app (second-factor
    confirmations of signatures); see accounts/tests/totp.py."""
    from secretariat.accounts.tests.totp import next_code

    return next_code


@pytest.fixture(autouse=True)
def _exchange_caches() -> Any:
    """The node identity and the directory in force are cached a few seconds per process: each
    test starts from its own database's."""
    from secretariat.exchange import directory, identity

    identity.forget()
    directory.forget()
    yield
    identity.forget()
    directory.forget()


@pytest.fixture
def exchange_federation(tree: dict[str, Any]) -> Any:
    """This installation as an exchange node, with one peer node serving the external codes
    G01 and 000.00.00.G01 (see exchange/tests/factories.py): dispatches to them are queued."""
    from secretariat.exchange.tests.factories import make_federation

    return make_federation()


@pytest.fixture
def give_certificate(db: Any) -> Callable[..., Any]:
    """give_certificate(user=u) / give_certificate(unit=u): see signing/tests/factories.py."""
    from secretariat.signing.tests.factories import give_certificate

    return give_certificate


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def page(transactional_db: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A page of Debian's headless Chromium, driven by Playwright (no downloaded browser)."""
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
    # test itself would otherwise be refused as "async unsafe".
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-US")
        browser_page = context.new_page()
        browser_page.set_default_timeout(15_000)
        try:
            yield browser_page
        finally:
            context.close()
            browser.close()


@pytest.fixture
def asgi_live_server(transactional_db: Any) -> Iterator[str]:
    """The ASGI application (HTTP and WebSockets) served by Uvicorn in a thread of this process,
    so it shares the test database, like pytest-django's WSGI `live_server`. Its URL."""
    import socket
    import threading
    import time

    import uvicorn

    from secretariat.config.asgi import application

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            application, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, name="asgi-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the ASGI test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://localhost:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def client_for(db: Any) -> Callable[[Any], Client]:
    """A browser-like client already past login and second factor for `user`."""

    def _client(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return _client
