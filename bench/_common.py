"""What every benchmark script shares: Django set up on a scratch data directory, and the
JSON line each metric prints (bench/run.py reads them)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def setup_django(data_dir: str) -> None:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "secretariat.config.settings")
    os.environ["SECRETARIAT_DATA_DIR"] = data_dir
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def emit(
    bench: str, metric: str, value: float, unit: str, baseline: float, ratio: float, **extra: Any
) -> None:
    """One metric: ours, the same-run baseline, and ours / baseline."""
    line = {
        "bench": bench,
        "metric": metric,
        "value": round(value, 2),
        "unit": unit,
        "baseline": round(baseline, 2),
        "ratio": round(ratio, 3),
        **extra,
    }
    print(json.dumps(line), flush=True)
