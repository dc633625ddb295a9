"""Interfaces the organization tree needs from higher layers, and their registry.

The tree is a lower layer than identity (`accounts`): it must not import it, yet a merge has to
move people and permissions, a dissolution must know whether anyone still holds a post, and every
service has to ask who may do what. Each of these is a small `Protocol` declared here; the
higher app registers its implementation in its `AppConfig.ready()`. Hooks are called inside the
caller's transaction, so whatever they change commits or rolls back with the tree change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q

if TYPE_CHECKING:
    from .models import Unit

# Action names understood by the access policy (the same strings as `accounts.policy.Action`).
ORGS_VIEW = "orgs.view"
ORGS_MANAGE = "orgs.manage"


class UnitMergeHook(Protocol):
    """Moves what belongs to `source` (positions, role grants…) to `target` during a merge."""

    def on_merge(self, *, actor: Any | None, source: Unit, target: Unit) -> None: ...


class UnitDissolveCheck(Protocol):
    """Counts what still keeps a unit alive (active positions…); a unit with any is not dissolved."""

    def active_members(self, unit: Unit) -> int: ...


class AccessPolicy(Protocol):
    """Answers who may view or manage which units (implemented by `accounts.policy`)."""

    def can(self, user: Any, action: str, unit: Unit | None = None) -> bool: ...

    def unit_scope(self, user: Any, action: str) -> Q: ...

    def is_system_admin(self, user: Any) -> bool: ...


_merge_hooks: list[UnitMergeHook] = []
_dissolve_checks: list[UnitDissolveCheck] = []
_access_policy: list[AccessPolicy] = []


def register_merge_hook(hook: UnitMergeHook) -> None:
    # ready() may run more than once (tests, reloads): registering twice must not move twice.
    if hook not in _merge_hooks:
        _merge_hooks.append(hook)


def unregister_merge_hook(hook: UnitMergeHook) -> None:
    if hook in _merge_hooks:
        _merge_hooks.remove(hook)


def register_dissolve_check(check: UnitDissolveCheck) -> None:
    if check not in _dissolve_checks:
        _dissolve_checks.append(check)


def unregister_dissolve_check(check: UnitDissolveCheck) -> None:
    if check in _dissolve_checks:
        _dissolve_checks.remove(check)


def register_access_policy(policy: AccessPolicy) -> None:
    """Install the access policy; the last registration wins."""
    _access_policy[:] = [policy]


def merge_hooks() -> list[UnitMergeHook]:
    return list(_merge_hooks)


def dissolve_checks() -> list[UnitDissolveCheck]:
    return list(_dissolve_checks)


def access_policy() -> AccessPolicy:
    # Fail closed: without a policy nobody but the system may do anything.
    if not _access_policy:
        raise ImproperlyConfigured("No access policy registered for the organization tree.")
    return _access_policy[0]
