"""Pages of the organization tree, under /orgs/. Fixed paths come before `<code>/`."""

from django.urls import path

from . import views

app_name = "orgs"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("import/", views.import_units, name="import"),
    path("export/", views.export_units, name="export"),
    path("<str:code>/", views.unit_detail, name="unit"),
    path("<str:code>/add/", views.unit_add_child, name="unit_add_child"),
    path("<str:code>/edit/", views.unit_edit, name="unit_edit"),
    path("<str:code>/move/", views.unit_move, name="unit_move"),
    path("<str:code>/merge/", views.unit_merge, name="unit_merge"),
    path("<str:code>/dissolve/", views.unit_dissolve, name="unit_dissolve"),
]
