"""WebSocket routes of every app."""

from django.urls import path

from secretariat.meetings.consumers import MeetingConsumer
from secretariat.office.consumers import DirectiveMatrixConsumer
from secretariat.web.consumers import ActivityConsumer

websocket_urlpatterns = [
    path("ws/activity/", ActivityConsumer.as_asgi()),
    path("ws/office/directives/<uuid:directive_id>/", DirectiveMatrixConsumer.as_asgi()),
    path("ws/meetings/<uuid:meeting_id>/", MeetingConsumer.as_asgi()),
]
