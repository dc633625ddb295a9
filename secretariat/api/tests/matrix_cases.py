"""Permission-matrix entries of the API shell and the language switch (see matrix.py)."""

from __future__ import annotations

from secretariat.api.tests.matrix import Case

CASES: list[Case] = []

EXEMPT = {
    # Public by design: the language switch, the translations for scripts, the API description.
    "set_language",
    "javascript-catalog",
    "api:openapi-json",
    "api:openapi-view",
    "api:api-root",
    "api-docs",
}
