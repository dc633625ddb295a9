from django.urls import path

from . import views

app_name = "exchange"

urlpatterns = [
    path("", views.message_log, name="log"),
    path("outbox/<uuid:pk>/retry", views.outbox_retry, name="outbox_retry"),
    path("quarantine/<uuid:pk>/release", views.quarantine_release, name="quarantine_release"),
]
