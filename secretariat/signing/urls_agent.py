"""URLs of the signing app (agent): the one-time URLs handed to the workstation signing agent.
The token in the path is the agent's only credential (see `views_agent`)."""

from django.urls import path

from . import views_agent

urlpatterns = [
    path("agent/<str:token>/download", views_agent.download, name="agent_download"),
    path("agent/<str:token>/upload", views_agent.upload, name="agent_upload"),
    path("agent/<str:token>/digest", views_agent.digest, name="agent_digest"),
    path("agent/<str:token>/signature", views_agent.signature, name="agent_signature"),
]
