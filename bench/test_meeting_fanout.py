"""The meeting fan-out benchmark runs end to end with a few clients (no timing is asserted): a
real server on the Redis layer, every client gets every result, a same-run pub/sub baseline,
one JSON line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_meeting_fanout_benchmark_reaches_every_client_and_reports() -> None:
    # The benchmark writes to the database DATABASE_URL names; under the suite that would be
    # the CI's own database, so it runs on its scratch SQLite file instead.
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, str(HERE / "meeting_fanout.py"), "--clients", "20", "--rounds", "3"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (line,) = [json.loads(text) for text in result.stdout.splitlines() if text.startswith("{")]
    assert line["bench"] == "meeting_fanout"
    assert line["metric"] == "result_p99_ms"
    assert line["clients"] == 20
    assert line["rounds"] == 3
    assert line["value"] > 0
    assert line["baseline"] > 0
    assert line["p50_ms"] <= line["value"]
    assert abs(line["ratio"] - line["value"] / line["baseline"]) <= 0.01 * line["ratio"]
