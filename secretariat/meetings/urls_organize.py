"""Routes of the organizing part: list, form, the meeting's page, invitations and answers,
calendar export, agenda, board pack and its reader."""

from django.urls import URLPattern, path

from . import views, views_rules

urlpatterns: list[URLPattern] = [
    path("", views.meeting_list, name="list"),
    path("new/", views.meeting_create, name="create"),
    path("calendar.ics", views.ical_feed, name="ical_feed"),
    path("rules/", views_rules.rules_page, name="rules"),
    path("rules/clear/", views_rules.rules_clear, name="rules_clear"),
    path("<uuid:pk>/", views.meeting_detail, name="detail"),
    path("<uuid:pk>/edit/", views.meeting_edit, name="edit"),
    path("<uuid:pk>/convene/", views.meeting_convene, name="convene"),
    path("<uuid:pk>/cancel/", views.meeting_cancel, name="cancel"),
    path("<uuid:pk>/calendar.ics", views.meeting_ical, name="ical"),
    path("<uuid:pk>/invite/", views.meeting_invite, name="invite"),
    path("<uuid:pk>/rsvp/", views.meeting_rsvp, name="rsvp"),
    path(
        "<uuid:pk>/participants/<uuid:participant_pk>/",
        views.participant_update,
        name="participant_update",
    ),
    path(
        "<uuid:pk>/participants/<uuid:participant_pk>/withdraw/",
        views.participant_withdraw,
        name="participant_withdraw",
    ),
    path("<uuid:pk>/agenda/", views.item_add, name="item_add"),
    path("<uuid:pk>/agenda/reorder/", views.agenda_reorder, name="agenda_reorder"),
    path("<uuid:pk>/agenda/<uuid:item_pk>/", views.item_edit, name="item_edit"),
    path("<uuid:pk>/agenda/<uuid:item_pk>/move/", views.item_move, name="item_move"),
    path("<uuid:pk>/agenda/<uuid:item_pk>/remove/", views.item_remove, name="item_remove"),
    path("<uuid:pk>/agenda/<uuid:item_pk>/documents/", views.pack_add, name="pack_add"),
    path("<uuid:pk>/pack/", views.pack, name="pack"),
    path("<uuid:pk>/pack/<uuid:doc_pk>/", views.pack_document, name="pack_document"),
    path("<uuid:pk>/pack/<uuid:doc_pk>/pdf/", views.pack_pdf, name="pack_pdf"),
    path("<uuid:pk>/pack/<uuid:doc_pk>/remove/", views.pack_remove, name="pack_remove"),
    path("<uuid:pk>/pack/<uuid:doc_pk>/notes/", views.annotation_add, name="annotation_add"),
    path(
        "<uuid:pk>/pack/<uuid:doc_pk>/notes/<uuid:annotation_pk>/delete/",
        views.annotation_delete,
        name="annotation_delete",
    ),
]
