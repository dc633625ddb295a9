"""Document pages: capture and reading (views.py), registers (views_registers.py), search
(views_search.py), the signature validation reports (views_signatures.py)."""

from . import views, views_placements, views_registers, views_search, views_signatures

app_name = "documents"
urlpatterns = [
    *views.urlpatterns,
    *views_registers.urlpatterns,
    *views_search.urlpatterns,
    *views_signatures.urlpatterns,
    *views_placements.urlpatterns,
]
