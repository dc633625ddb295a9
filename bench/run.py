"""Run the benchmarks: `python bench/run.py` runs every `bench/*.py`, `python bench/run.py NAME…`
only the named ones. Each benchmark prints one JSON object per metric, with a same-run baseline
and the ratio of our cost per operation to the baseline's. Arguments after `--` go to every
benchmark (e.g. `-- --events 20000`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> dict[str, Path]:
    return {
        path.stem: path
        for path in sorted(HERE.glob("*.py"))
        if path.name not in ("run.py", "conftest.py") and not path.name.startswith(("_", "test_"))
    }


def main(argv: list[str]) -> int:
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    benches = available()
    names = argv or list(benches)
    unknown = [name for name in names if name not in benches]
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(benches)}",
            file=sys.stderr,
        )
        return 2
    failed = []
    for name in names:
        # One process per benchmark: each sets up Django against its own throwaway database.
        result = subprocess.run([sys.executable, str(benches[name]), *extra], check=False)
        if result.returncode != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
