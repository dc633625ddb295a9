"""Office pages: tasks and notifications, incoming processing, outgoing drafting, directives,
case files."""

from . import views_directives, views_files, views_incoming, views_outgoing, views_tasks

app_name = "office"
urlpatterns = [
    *views_tasks.urlpatterns,
    *views_incoming.urlpatterns,
    *views_outgoing.urlpatterns,
    *views_directives.urlpatterns,
    *views_files.urlpatterns,
]
