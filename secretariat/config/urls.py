"""URL map: each app owns its own urls module; the API is assembled in `secretariat.api`."""

from django.urls import include, path
from django.views.i18n import JavaScriptCatalog, set_language

from secretariat.api.api import api, docs_view

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("i18n/catalog.js", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/v1/", api.urls),
    path("api/docs", docs_view, name="api-docs"),
    path("accounts/", include("secretariat.accounts.urls")),
    path("orgs/", include("secretariat.orgs.urls")),
    path("audit/", include("secretariat.audit.urls")),
    path("documents/", include("secretariat.documents.urls")),
    path("office/", include("secretariat.office.urls")),
    path("signing/", include("secretariat.signing.urls")),
    path("exchange/v1/", include("secretariat.exchange.urls_node")),
    path("exchange/", include("secretariat.exchange.urls")),
    path("meetings/", include("secretariat.meetings.urls")),
    path("members/", include("secretariat.members.urls")),
    path("", include("secretariat.web.urls")),
]

handler400 = "secretariat.web.views.error_400"
handler403 = "secretariat.web.views.error_403"
handler404 = "secretariat.web.views.error_404"
handler500 = "secretariat.web.views.error_500"
