"""Pages of the Party member registry: records, life cycle, dues, import and export."""

from . import views_dues, views_io, views_members, views_probation, views_reports

app_name = "members"
urlpatterns = [
    *views_members.urlpatterns,
    *views_probation.urlpatterns,
    *views_dues.urlpatterns,
    *views_io.urlpatterns,
    *views_reports.urlpatterns,
]
