"""Permission-matrix cases of the organization tree (see secretariat/api/tests/matrix.py)."""

from __future__ import annotations

import datetime as dt  # noqa: F401

from django.urls import reverse

from secretariat.api.tests.matrix import (
    EVERYONE,
    ORG_MANAGERS,
    Case,
    api,
    cell,
    cell2,
    csv_file,
    new_code,
)
from secretariat.core import clock

CASES = [
    Case(
        "api:list_units",
        "get",
        api("/orgs/units"),
        EVERYONE,
        scoped=False,
        shows=lambda c, side: cell(c, side).code,
    ),
    Case("api:get_unit", "get", lambda c, s: f"/api/v1/orgs/units/{cell(c, s).code}", EVERYONE),
    Case(
        "api:create_unit",
        "post",
        api("/orgs/units"),
        ORG_MANAGERS,
        write=True,
        json_body=True,
        data=lambda c, s: {
            "parent_code": cell2(c, s).code,
            "name": "Chi bộ mới",
            "kind": "cell",
            "code": new_code(s),
            "abbreviation": "CB",
        },
    ),
    Case(
        "api:update_unit",
        "patch",
        lambda c, s: f"/api/v1/orgs/units/{cell(c, s).code}",
        ORG_MANAGERS,
        write=True,
        json_body=True,
        data=lambda c, s: {"name": "Tên mới"},
    ),
    Case(
        "api:move_unit",
        "post",
        lambda c, s: f"/api/v1/orgs/units/{cell(c, s).code}/move",
        ORG_MANAGERS,
        write=True,
        json_body=True,
        data=lambda c, s: {"new_parent_code": cell2(c, s).code},
    ),
    Case(
        "api:merge_unit",
        "post",
        lambda c, s: f"/api/v1/orgs/units/{cell(c, s).code}/merge",
        ORG_MANAGERS,
        write=True,
        json_body=True,
        data=lambda c, s: {"target_code": cell2(c, s).code},
    ),
    Case(
        "api:dissolve_unit",
        "post",
        lambda c, s: f"/api/v1/orgs/units/{cell2(c, s).code}/dissolve",
        ORG_MANAGERS,
        write=True,
        json_body=True,
        data=lambda c, s: {"reason": "Nghị quyết 01"},
    ),
    Case(
        "api:export_units",
        "get",
        lambda c, s: "/api/v1/orgs/export?fmt=csv",
        EVERYONE,
        scoped=False,
        shows=lambda c, side: cell(c, side).code,
    ),
    Case(
        "api:import_units",
        "post",
        api("/orgs/import"),
        ORG_MANAGERS,
        write=True,
        data=lambda c, s: {"file": csv_file(c, s), "fmt": "csv"},
    ),
    Case(
        "orgs:tree",
        "get",
        lambda c, s: reverse("orgs:tree"),
        EVERYONE,
        scoped=False,
        shows=lambda c, side: cell(c, side).code,
    ),
    Case("orgs:unit", "get", lambda c, s: reverse("orgs:unit", args=[cell(c, s).code]), EVERYONE),
    Case(
        "orgs:unit_add_child",
        "post",
        lambda c, s: reverse("orgs:unit_add_child", args=[cell2(c, s).code]),
        ORG_MANAGERS,
        write=True,
        data=lambda c, s: {
            "child-name": "Chi bộ mới",
            "child-kind": "cell",
            "child-code": new_code(s),
            "child-abbreviation": "CB",
        },
    ),
    Case(
        "orgs:unit_edit",
        "post",
        lambda c, s: reverse("orgs:unit_edit", args=[cell(c, s).code]),
        ORG_MANAGERS,
        write=True,
        data=lambda c, s: {
            "edit-name": "Tên mới",
            "edit-kind": "cell",
            "edit-code": cell(c, s).code,
            "edit-abbreviation": "CB",
        },
    ),
    Case(
        "orgs:unit_move",
        "post",
        lambda c, s: reverse("orgs:unit_move", args=[cell(c, s).code]),
        ORG_MANAGERS,
        write=True,
        data=lambda c, s: {"move-new_parent": cell2(c, s).code},
    ),
    Case(
        "orgs:unit_merge",
        "post",
        lambda c, s: reverse("orgs:unit_merge", args=[cell(c, s).code]),
        ORG_MANAGERS,
        write=True,
        data=lambda c, s: {
            "merge-target": cell2(c, s).code,
            "merge-effective_on": clock.today().isoformat(),
        },
    ),
    Case(
        "orgs:unit_dissolve",
        "post",
        lambda c, s: reverse("orgs:unit_dissolve", args=[cell2(c, s).code]),
        ORG_MANAGERS,
        write=True,
        data=lambda c, s: {
            "dissolve-effective_on": clock.today().isoformat(),
            "dissolve-reason": "Nghị quyết 01",
        },
    ),
    Case(
        "orgs:import",
        "post",
        lambda c, s: reverse("orgs:import"),
        ORG_MANAGERS,
        write=True,
        data=lambda c, s: {"file": csv_file(c, s), "fmt": "csv"},
    ),
    Case(
        "orgs:export",
        "get",
        lambda c, s: reverse("orgs:export") + "?fmt=json",
        EVERYONE,
        scoped=False,
        shows=lambda c, side: cell(c, side).code,
    ),
]
