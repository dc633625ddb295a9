"""Management commands: `units --json` (a contract), `import_units`, `export_units`."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from secretariat.orgs.models import Unit

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_units_json_lists_every_unit_with_the_contract_fields(tree: dict[str, Unit]):
    rows = json.loads(run("units", "--json"))
    assert rows[0] == {
        "code": "000.00.00.T68",
        "name": "Tỉnh ủy Lâm Đồng",
        "kind": "provincial_committee",
        "parent_code": None,
        "active": True,
    }
    assert [(r["code"], r["parent_code"]) for r in rows] == [
        ("000.00.00.T68", None),
        ("000.00.01.T68", "000.00.00.T68"),
        ("000.01.00.T68", "000.00.00.T68"),
        ("000.01.01.T68", "000.01.00.T68"),
        ("000.02.00.T68", "000.00.00.T68"),
        ("000.02.01.T68", "000.02.00.T68"),
    ]


def test_units_without_json_prints_a_readable_table(tree: dict[str, Unit]):
    lines = run("units").splitlines()
    assert len(lines) == 6
    assert lines[3].startswith("000.01.01.T68")
    assert "    Chi bộ thôn Đăng Gia (CB, cell)" in lines[3]


def test_import_units_exits_2_with_every_error(tree: dict[str, Unit], tmp_path: Path):
    path = tmp_path / "units.csv"
    path.write_text(
        "code,parent_code,name,name_fr,name_en,kind,abbreviation,active,valid_from,valid_to\n"
        "BAD,000.00.00.T68,Xã,,,cell,CB,true,,\n"
        "000.03.00.T68,000.00.00.T68,Xã,,,nothing,CB,true,,\n",
        encoding="utf-8",
    )
    err = StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import_units", str(path), stderr=err)
    assert info.value.returncode == 2
    assert "units.csv: line 2: “BAD” is not a valid electronic code" in err.getvalue()
    assert "units.csv: line 3: Unknown kind of unit: “nothing”" in err.getvalue()
    assert Unit.objects.count() == 6


def test_export_then_import_units_through_the_commands(tree: dict[str, Unit], tmp_path: Path):
    path = tmp_path / "tree.json"
    path.write_text(run("export_units", "--format", "json"), encoding="utf-8")
    assert len(json.loads(path.read_text(encoding="utf-8"))) == 6
    assert run("import_units", str(path)).strip() == "created 0, updated 0, unchanged 6"
