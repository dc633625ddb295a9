"""The JSON API, assembled from each app's `api.py` router.

Browser sessions authenticate with the session cookie and CSRF; machine clients with
`Authorization: Bearer …`. Every error is JSON `{"message": …, "errors": {field: [...]}}`.
"""

from __future__ import annotations

from functools import partial

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.views import openapi_view
from ninja.security import SessionAuth

from secretariat.accounts.api import router as accounts_router
from secretariat.accounts.tokens import BearerAuth
from secretariat.audit.api import router as audit_router
from secretariat.core.errors import DomainError
from secretariat.documents.api import router as documents_router
from secretariat.documents.api_registers import router as registers_router
from secretariat.documents.api_search import router as search_router
from secretariat.office.api_directives import router as directives_router
from secretariat.office.api_files import router as files_router
from secretariat.office.api_incoming import router as incoming_router
from secretariat.office.api_outgoing import router as outgoing_router
from secretariat.office.api_tasks import router as tasks_router
from secretariat.orgs.api import router as orgs_router
from secretariat.signing.api_agent import router as signing_agent_router
from secretariat.signing.api_pki import router as signing_pki_router
from secretariat.signing.api_verify import router as signing_verify_router

api = NinjaAPI(
    title="Secretariat API",
    version="1",
    description="The JSON API of Secretariat. Every answer is limited to the caller's scope.",
    urls_namespace="api",
    auth=[BearerAuth(), SessionAuth(csrf=True)],
)
api.add_router("", accounts_router)
api.add_router("/orgs", orgs_router)
api.add_router("/audit", audit_router)
api.add_router("/documents", documents_router)
api.add_router("/registers", registers_router)
api.add_router("/search", search_router)
api.add_router("/office/tasks", tasks_router)
api.add_router("/office/incoming", incoming_router)
api.add_router("/office/outgoing", outgoing_router)
api.add_router("/office/directives", directives_router)
api.add_router("/office/files", files_router)
api.add_router("/signing", signing_pki_router)
api.add_router("/signing/verify", signing_verify_router)
api.add_router("/signing/agent", signing_agent_router)

docs_view = partial(openapi_view, api=api)


def _error(
    request: HttpRequest, status: int, message: str, errors: dict | None = None
) -> HttpResponse:
    return api.create_response(request, {"message": message, "errors": errors or {}}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for item in exc.errors:
        loc = [str(p) for p in item.get("loc", ()) if p not in ("body", "query", "path", "payload")]
        errors.setdefault(".".join(loc) or "__all__", []).append(str(item.get("msg", "")))
    return _error(request, 400, _("The request is not valid."), errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, _("Authentication required: log in or send a valid bearer token."))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, _("Not found."))


@api.exception_handler(DjangoPermissionDenied)
def _forbidden(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
    return _error(request, 403, _("You do not have permission to do this here."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, str(exc))
