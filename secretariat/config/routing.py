"""WebSocket routes of every app."""

from django.urls import path

from secretariat.web.consumers import ActivityConsumer

websocket_urlpatterns = [
    path("ws/activity/", ActivityConsumer.as_asgi()),
]
