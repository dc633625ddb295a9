"""The exchange benchmark runs end to end on a few packages (no timing is asserted): two node
processes, every package delivered, a same-run baseline, one JSON line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_exchange_benchmark_delivers_and_reports() -> None:
    result = subprocess.run(
        [sys.executable, str(HERE / "exchange.py"), "--packages", "12", "--size", "20000"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (line,) = [json.loads(text) for text in result.stdout.splitlines() if text.startswith("{")]
    assert line["bench"] == "exchange"
    assert line["metric"] == "packages_per_s"
    assert line["packages"] == 12
    assert line["value"] > 0
    assert line["baseline"] > 0
    # ours / baseline as costs per package: the baseline's rate over ours.
    assert abs(line["ratio"] - line["baseline"] / line["value"]) <= 0.01 * line["ratio"]
