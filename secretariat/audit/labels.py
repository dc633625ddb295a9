"""Readable, translated names of audit actions.

Each app lists the actions it records in its own `audit_actions.py` (`LABELS = {"orgs.unit_moved":
_("Unit moved"), ...}`); they are discovered once, like Django's admin modules, so the viewer
never needs to know the apps above it.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.utils.functional import Promise


@cache
def _labels() -> dict[str, str | Promise]:
    labels: dict[str, str | Promise] = {}
    for config in apps.get_app_configs():
        module_name = f"{config.name}.audit_actions"
        if find_spec(module_name) is not None:
            labels.update(import_module(module_name).LABELS)
    return labels


def action_label(action: str) -> str:
    """The translated name of `action`, or the code itself for an action nobody described."""
    label = _labels().get(action)
    return str(label) if label is not None else action
