"""Permission-matrix entries of the web shell (see secretariat/api/tests/matrix.py)."""

from __future__ import annotations

from secretariat.api.tests.matrix import Case

CASES: list[Case] = []

EXEMPT = {
    # Personal: the caller's own home page (its content is scoped; see test_home.py).
    "web:home",
}
