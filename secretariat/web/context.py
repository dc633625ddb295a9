"""Navigation shown in the page layout, by the caller's roles."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from secretariat.accounts import policy


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [("web:home", _("Home"))]
    if policy.can(user, policy.Action.DOCUMENTS_VIEW):
        items.append(("documents:list", _("Documents")))
        items.append(("documents:search", _("Search")))
    if policy.can(user, policy.Action.REGISTERS_VIEW):
        items.append(("documents:registers", _("Registers")))
    if policy.can(user, policy.Action.ORGS_VIEW):
        items.append(("orgs:tree", _("Organization")))
    if policy.can(user, policy.Action.ACCOUNTS_VIEW):
        items.append(("accounts:users", _("Users")))
    label = _("Audit log") if policy.can(user, policy.Action.AUDIT_VIEW) else _("My activity")
    items.append(("audit:events", label))
    items.append(("api-docs", _("API")))
    return {"nav_items": items, "user_roles": sorted(policy.roles_of(user))}
