"""URLs of the signing app (pki): the public services of the built-in authorities (time stamps,
CA certificate, CRL, OCSP — their paths are printed in every certificate, see `pki.crl_url()`…)
and the administration pages of the trust store and the credentials."""

from django.urls import path

from . import views_pki

urlpatterns = [
    # Public services (RFC 3161, RFC 5280, RFC 6960): no session, no CSRF.
    path("tsa", views_pki.tsa, name="tsa"),
    path("ca/certificate", views_pki.ca_certificate, name="ca_certificate"),
    path("ca/crl", views_pki.ca_crl, name="ca_crl"),
    path("ca/ocsp", views_pki.ca_ocsp, name="ca_ocsp"),
    path("ca/ocsp/<path:encoded>", views_pki.ca_ocsp_get, name="ca_ocsp_get"),
    # Administration.
    path("authority/", views_pki.authority_page, name="authority"),
    path("trust/", views_pki.trust_anchors, name="trust_anchors"),
    path(
        "trust/<uuid:anchor_id>/active", views_pki.trust_anchor_active, name="trust_anchor_active"
    ),
    path("credentials/", views_pki.credentials, name="credentials"),
    path("credentials/issue", views_pki.credential_issue, name="credential_issue"),
    path("credentials/import", views_pki.credential_import, name="credential_import"),
    path(
        "credentials/<uuid:credential_id>/certificate",
        views_pki.credential_certificate,
        name="credential_certificate",
    ),
    path(
        "credentials/<uuid:credential_id>/image",
        views_pki.credential_image,
        name="credential_image",
    ),
    path(
        "credentials/<uuid:credential_id>/revoke",
        views_pki.credential_revoke,
        name="credential_revoke",
    ),
]
