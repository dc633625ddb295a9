"""Account URLs: sign-in and personal security (views/auth.py, views/security.py) and the
administration of users and role grants (views/users.py)."""

from .views import auth, security, users

app_name = "accounts"
urlpatterns = [
    *auth.urlpatterns,
    *security.urlpatterns,
    *users.urlpatterns,
]
