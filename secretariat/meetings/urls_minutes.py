"""URL routes of the minutes and the video room; included by urls.py."""

from django.urls import URLPattern, path

from . import views_minutes as views

urlpatterns: list[URLPattern] = [
    path("<uuid:pk>/minutes/", views.minutes_page, name="minutes"),
    path("<uuid:pk>/minutes/draft/", views.minutes_draft, name="minutes_draft"),
    path("<uuid:pk>/minutes/edit/", views.minutes_edit, name="minutes_edit"),
    path("<uuid:pk>/minutes/finalize/", views.minutes_finalize, name="minutes_finalize"),
    path("<uuid:pk>/minutes/reopen/", views.minutes_reopen, name="minutes_reopen"),
    path("<uuid:pk>/minutes/sign/", views.minutes_sign, name="minutes_sign"),
    path("<uuid:pk>/minutes/sign-agent/", views.minutes_sign_agent, name="minutes_sign_agent"),
    path("<uuid:pk>/minutes/pdf/", views.minutes_pdf, name="minutes_pdf"),
    path("<uuid:pk>/video/", views.video_join, name="video"),
]
