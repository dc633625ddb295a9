"""Navigation shown in the page layout, by the caller's roles, in groups."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from secretariat.accounts import policy
from secretariat.members.selectors_members import has_member_record
from secretariat.office import selectors_tasks
from secretariat.signing import pki

Item = tuple[str, str | Promise]


def _groups(user: object) -> list[tuple[str | Promise, list[Item]]]:
    can = policy.can
    action = policy.Action
    office: list[Item] = []
    if can(user, action.OFFICE_WORK):
        office += [("office:incoming", _("Incoming")), ("office:outgoing", _("Outgoing"))]
    if selectors_tasks.may_see_tasks(user):
        office.append(("office:tasks", _("Tasks")))
    if can(user, action.OFFICE_WORK):
        office += [
            ("office:overdue", _("Deadlines")),
            ("office:directives", _("Directives")),
            ("office:files", _("Case files")),
        ]
    # Anyone may be invited to a meeting; the list shows theirs (and those they organize).
    office.append(("meetings:list", _("Meetings")))
    documents: list[Item] = []
    if can(user, action.DOCUMENTS_VIEW):
        documents += [("documents:list", _("Documents")), ("documents:search", _("Search"))]
    if can(user, action.REGISTERS_VIEW):
        documents.append(("documents:registers", _("Registers")))
    # Anyone may check a signed PDF (the page is public too).
    documents.append(("signing:verify", _("Verify a signature")))
    members: list[Item] = []
    if can(user, action.MEMBERS_MANAGE):
        members += [
            ("members:list", _("Party members")),
            ("members:transfers", _("Transfers to confirm")),
            ("members:dues_sheet", _("Dues sheet")),
            ("members:arrears", _("Dues arrears")),
            ("members:import", _("Import members")),
            ("members:export", _("Export members")),
        ]
    if can(user, action.MEMBERS_MANAGE) or can(user, action.MEMBERS_REPORTS):
        members += [
            ("members:dues_statement", _("Dues statements")),
            ("members:reports", _("Statutory reports")),
        ]
    if has_member_record(user=user):
        members.append(("members:mine", _("My Party record")))
    platform: list[Item] = []
    if can(user, action.ORGS_VIEW):
        platform.append(("orgs:tree", _("Organization")))
    if can(user, action.ACCOUNTS_VIEW):
        platform.append(("accounts:users", _("Users")))
    if can(user, action.SIGNING_MANAGE):
        platform.append(("signing:credentials", _("Certificates")))
    if pki.node_wide(user):
        platform.append(("exchange:log", _("Document exchange")))
    platform.append(("office:calendar", _("Calendar")))
    audit_label = _("Audit log") if can(user, action.AUDIT_VIEW) else _("My activity")
    platform += [("audit:events", audit_label), ("api-docs", _("API"))]
    groups: list[tuple[str | Promise, list[Item]]] = [("", [("web:home", _("Home"))])]
    groups += [
        (title, items)
        for title, items in (
            (_("Office work"), office),
            (_("Documents"), documents),
            (_("Party members"), members),
            (_("Platform"), platform),
        )
        if items
    ]
    return groups


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_groups": []}
    return {
        "nav_groups": _groups(user),
        "user_roles": sorted(policy.roles_of(user)),
        "unread_notifications": selectors_tasks.unread_count(user=user),
    }
