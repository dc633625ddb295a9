"""URLs of the signing app, by area: the authorities and the trust store (`urls_pki`), the
public verification page (`urls_verify`), the workstation agent's one-time URLs (`urls_agent`)."""

from django.urls import include, path

app_name = "signing"

urlpatterns = [
    path("", include("secretariat.signing.urls_pki")),
    path("", include("secretariat.signing.urls_verify")),
    path("", include("secretariat.signing.urls_agent")),
]
