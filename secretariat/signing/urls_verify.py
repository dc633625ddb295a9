"""URLs of the public verification page (no login)."""

from django.urls import path

from . import views_verify

urlpatterns = [
    path("verify", views_verify.verify, name="verify"),
]
