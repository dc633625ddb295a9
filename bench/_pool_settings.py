"""Settings for the bench's server when run with --db-pool: the project's settings with
Django's psycopg connection pool (Django ≥ 5.1, needs the `psycopg-pool` package).

Under ASGI every request runs in its own thread context, so Django opens and closes a PostgreSQL
connection per request (CONN_MAX_AGE cannot keep it); a pool keeps a few open per worker
process. The bench measures both ways; docs/operations.md has the numbers."""

from __future__ import annotations

import os

from secretariat.config.settings import *  # noqa: F403
from secretariat.config.settings import DATABASES

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": int(os.environ.get("SECRETARIAT_BENCH_POOL_SIZE", "8")),
        "timeout": 10,
    }
