"""URL routes of the room (views_room.py); included by urls.py."""

from django.urls import URLPattern

from . import views_room

urlpatterns: list[URLPattern] = list(views_room.urlpatterns)
