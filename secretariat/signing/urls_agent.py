"""URLs of the signing app (agent)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
