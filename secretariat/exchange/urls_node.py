from django.urls import path

from . import views_node

app_name = "exchange_node"

urlpatterns = [
    path("packages", views_node.packages, name="packages"),
    path("directory", views_node.directory_document, name="directory"),
    path("ping", views_node.ping, name="ping"),
]
