"""Import and export of the tree: all or nothing, every bad line reported, round trips."""

from __future__ import annotations

import json
from typing import Any

import pytest

from secretariat.audit.models import AuditEvent
from secretariat.core import clock
from secretariat.orgs import io, services
from secretariat.orgs.errors import ImportFailed
from secretariat.orgs.models import Unit, UnitEvent

pytestmark = pytest.mark.django_db

HEADER = "code,parent_code,name,name_fr,name_en,kind,abbreviation,active,valid_from,valid_to\n"


def structure() -> list[tuple[str, str | None, str, bool]]:
    units = list(Unit.objects.order_by("path"))
    parents = {u.path: u.code for u in units}
    return [(u.code, parents.get(u.path[: -Unit.steplen]), u.name, u.active) for u in units]


def import_csv(text: str, actor: Any = None) -> io.ImportResult:
    return io.tree_import(actor=actor, content=text.encode(), fmt="csv", filename="units.csv")


def problems_of(info: pytest.ExceptionInfo[ImportFailed]) -> list[str]:
    return [str(p) for p in info.value.problems]


def test_a_good_csv_creates_the_tree(tree: dict[str, Unit]):
    result = import_csv(
        HEADER
        + "000.03.00.T68,000.00.00.T68,Đảng ủy xã Đạ Tẻh,,Da Teh commune,commune_committee,ĐU,true,2025-07-01,\n"
        + "000.03.01.T68,000.03.00.T68,Chi bộ thôn 1,,,cell,CB,,,\n"
    )
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    cell = Unit.objects.get(code="000.03.01.T68")
    assert services.parent_of(cell).code == "000.03.00.T68"  # type: ignore[union-attr]
    commune = Unit.objects.get(code="000.03.00.T68")
    assert (commune.name_en, str(commune.valid_from)) == ("Da Teh commune", "2025-07-01")
    assert UnitEvent.objects.filter(kind="imported").count() == 2
    assert AuditEvent.objects.filter(action="orgs.unit_imported").count() == 2
    summary = AuditEvent.objects.get(action="orgs.units_imported")
    assert (summary.data["created"], summary.data["file"]) == (2, "units.csv")


def test_every_bad_line_is_reported_and_nothing_is_imported(tree: dict[str, Unit]):
    count = Unit.objects.count()
    content = (
        HEADER
        + "000.03.00.T68,000.00.00.T68,Xã mới,,,commune_committee,ĐU,true,,\n"  # line 2: good
        + "BAD-CODE,000.00.00.T68,Xã sai mã,,,commune_committee,ĐU,true,,\n"  # 3
        + "000.03.01.T68,000.03.00.T68,Chi bộ,,,planet,CB,true,,\n"  # 4
        + "000.03.02.T68,999.99.99.T99,Chi bộ,,,cell,CB,true,,\n"  # 5
        + "000.03.00.T68,000.00.00.T68,Trùng mã,,,cell,CB,true,,\n"  # 6
        + "000.03.03.T68,000.03.00.T68,Chi bộ,,,cell,CB,true,2025-02-30,\n"  # 7
        + "000.03.04.T68,000.03.00.T68,,,,cell,CB,maybe,,\n"  # 8
        + "000.03.05.T68,000.03.00.T68,Chi bộ,,,cell\n"  # 9
    )
    with pytest.raises(ImportFailed) as info:
        import_csv(content)
    lines = [p.line for p in info.value.problems]
    assert sorted(set(lines)) == [3, 4, 5, 6, 7, 8, 9]
    text = "\n".join(problems_of(info))
    assert "line 3: “BAD-CODE” is not a valid electronic code" in text
    assert "line 4: Unknown kind of unit: “planet”" in text
    assert "line 5: Unknown parent code 999.99.99.T99" in text
    assert "line 6: The code 000.03.00.T68 already appears on line 2" in text
    assert "line 7: valid_from: “2025-02-30” is not a date" in text
    assert "line 8: The name must not be empty." in text
    assert "line 8: active: “maybe” is not true or false." in text
    assert "line 9: Expected 10 fields, found 6." in text
    assert Unit.objects.count() == count
    assert not AuditEvent.objects.exists()


def test_missing_columns_and_bad_encoding_are_refused(tree: dict[str, Unit]):
    with pytest.raises(ImportFailed) as info:
        import_csv("code,name,kind\n000.03.00.T68,Xã,cell\n")
    assert "line 1: Missing column(s): parent_code, name_fr" in problems_of(info)[0]

    latin1 = (HEADER + "000.03.00.T68,000.00.00.T68,Xã,,,cell,CB,true,,\n").encode(
        "latin-1", "replace"
    )
    latin1 = latin1.replace(b"X?", b"X\xe3")
    with pytest.raises(ImportFailed) as info:
        io.tree_import(actor=None, content=latin1, fmt="csv", filename="units.csv")
    assert "line 2: The file is not UTF-8 text" in problems_of(info)[0]


def test_cycles_between_existing_units_are_refused(tree: dict[str, Unit]):
    """Putting the commune under its own cell, while the cell stays under the commune."""
    count = Unit.objects.count()
    with pytest.raises(ImportFailed) as info:
        import_csv(
            HEADER
            + "000.01.00.T68,000.01.01.T68,Đảng ủy xã Lạc Dương,,,commune_committee,ĐU,true,,\n"
        )
    assert (
        "The parents form a cycle: 000.01.00.T68 → 000.01.01.T68 → 000.01.00.T68"
        in (problems_of(info)[0])
    )
    assert Unit.objects.count() == count


def test_a_unit_admin_cannot_import_outside_their_subtree(tree: dict[str, Unit], make_user: Any):
    admin_a = make_user("admin_a", role="unit_admin", unit=tree["commune_a"])
    content = (
        HEADER
        + "000.01.02.T68,000.01.00.T68,Chi bộ mới,,,cell,CB,true,,\n"
        + "000.02.02.T68,000.02.00.T68,Chi bộ khác,,,cell,CB,true,,\n"
        + "000.02.01.T68,000.02.00.T68,Đổi tên,,,cell,CB,true,,\n"
        + "000.09.00.T68,,Gốc mới,,,other,X,true,,\n"
    )
    with pytest.raises(ImportFailed) as info:
        import_csv(content, actor=admin_a)
    text = problems_of(info)
    assert text == [
        "line 3: The parent 000.02.00.T68 is outside the units you manage.",
        "line 4: The code 000.02.01.T68 is used by a unit you may not manage.",
        "line 5: Only a system administrator may create or move a root unit.",
    ]
    assert not Unit.objects.filter(code="000.01.02.T68").exists()


def test_import_updates_and_moves_by_code(tree: dict[str, Unit]):
    result = import_csv(
        HEADER + "000.01.01.T68,000.02.00.T68,Chi bộ thôn Đăng Gia (mới),,,cell,CB,true,,\n"
    )
    assert (result.created, result.updated) == (0, 1)
    cell = Unit.objects.get(code="000.01.01.T68")
    assert cell.name == "Chi bộ thôn Đăng Gia (mới)"
    assert services.parent_of(cell).code == "000.02.00.T68"  # type: ignore[union-attr]
    event = UnitEvent.objects.get(unit=cell, kind="imported")
    assert event.details["changes"]["parent_code"] == ["000.01.00.T68", "000.02.00.T68"]
    assert Unit.objects.find_problems() == ([], [], [], [], [])


def test_malformed_json_is_a_clear_error(tree: dict[str, Unit]):
    count = Unit.objects.count()
    with pytest.raises(ImportFailed) as info:
        io.tree_import(actor=None, content=b'[{"code": "x",\n oops]', fmt="json", filename="u.json")
    assert problems_of(info)[0].startswith("line 2: Malformed JSON")
    with pytest.raises(ImportFailed) as info:
        io.tree_import(actor=None, content=b'{"code": "x"}', fmt="json", filename="u.json")
    assert problems_of(info) == ["The JSON file must hold a list of units."]
    with pytest.raises(ImportFailed) as info:
        io.tree_import(actor=None, content=b'[{"code": "x"}, 3]', fmt="json", filename="u.json")
    assert problems_of(info)[0].startswith("item 1: Missing field(s): parent_code")
    assert problems_of(info)[1] == "item 2: Not an object."
    assert Unit.objects.count() == count


def test_export_then_import_round_trips(tree: dict[str, Unit]):
    services.unit_dissolve(actor=None, unit=tree["cell_b"], effective_on=clock.today(), reason="QĐ")
    before = structure()
    for fmt in ("csv", "json"):
        exported = io.tree_export(user=None, fmt=fmt)
        # Importing an export again changes nothing.
        again = io.tree_import(actor=None, content=exported.encode(), fmt=fmt, filename=f"u.{fmt}")
        assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
        # Into an empty tree, it rebuilds the same tree.
        UnitEvent.objects.all().delete()
        Unit.objects.all().delete()
        rebuilt = io.tree_import(
            actor=None, content=exported.encode(), fmt=fmt, filename=f"u.{fmt}"
        )
        assert rebuilt.created == 6
        assert structure() == before


def test_export_is_limited_to_the_scope_and_keeps_the_parent_code(
    tree: dict[str, Unit], make_user: Any
):
    admin_a = make_user("admin_a", role="unit_admin", unit=tree["commune_a"])
    rows = json.loads(io.tree_export(user=admin_a, fmt="json"))
    assert [(r["code"], r["parent_code"]) for r in rows] == [
        ("000.01.00.T68", "000.00.00.T68"),
        ("000.01.01.T68", "000.01.00.T68"),
    ]
    # The unit administrator can import their own export back: nothing changes.
    result = io.tree_import(
        actor=admin_a,
        content=io.tree_export(user=admin_a, fmt="csv").encode(),
        fmt="csv",
        filename="a.csv",
    )
    assert result.unchanged == 2


def test_a_line_with_field_errors_is_still_checked_against_the_tree(tree: dict[str, Unit]):
    with pytest.raises(ImportFailed) as info:
        import_csv(HEADER + "000.09.01.T68,999.99.99.T68,Chi bộ X,,,spaceship,CB,true,,\n")
    problems = " ".join(problems_of(info))
    assert "spaceship" in problems
    assert "999.99.99.T68" in problems
    assert Unit.objects.filter(code="000.09.01.T68").count() == 0
