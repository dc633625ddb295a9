"""The signing agent is a program of its own, installed on officials' computers: it must not
depend on the server's code (no `secretariat`, no Django)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from secretariat.signing.tests.agent_support import AGENT

AGENT_DIR = Path(__file__).resolve().parents[3] / "agent"


def test_the_agent_imports_neither_the_server_nor_django() -> None:
    probe = (
        "import sys, secretariat_agent.cli, secretariat_agent.server;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('secretariat', 'django'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        cwd=AGENT_DIR,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for source in (AGENT_DIR / "secretariat_agent").glob("*.py"):
        text = source.read_text()
        assert "import secretariat\n" not in text
        assert "from secretariat." not in text
        assert "import django" not in text
        assert "from django" not in text


def test_the_console_script_is_installed() -> None:
    done = subprocess.run([AGENT, "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert done.stdout.startswith("secretariat-agent ")
