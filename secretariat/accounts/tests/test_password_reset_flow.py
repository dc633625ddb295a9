"""After an administrator's reset the user must choose a new password before anything else."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from secretariat.accounts.services.users import password_reset_by_admin


def test_reset_password_forces_a_change_before_any_page(
    tree: dict[str, Any], make_user: Any
) -> None:
    admin = make_user("root", role="system_admin", unit=tree["province"])
    user = make_user("specialist1", position=(tree["cell_a"], "Đảng viên"))
    temporary = password_reset_by_admin(actor=admin, user=user)
    user.refresh_from_db()
    assert user.must_change_password

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    response = client.get(reverse("web:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:security")
    page = client.get(reverse("accounts:security"))
    assert page.status_code == 200
    assert b"must-change-password" in page.content
    # The API still answers (it has its own statuses) and the user can log out.
    assert client.get("/api/v1/me").status_code == 200

    response = client.post(
        reverse("accounts:security_password"),
        {
            "current_password": temporary,
            "new_password1": "Đà Lạt mùa hoa 2026",
            "new_password2": "Đà Lạt mùa hoa 2026",
        },
    )
    assert response.status_code in (200, 302)
    user.refresh_from_db()
    assert not user.must_change_password
    assert user.check_password("Đà Lạt mùa hoa 2026")
    assert client.get(reverse("web:home")).status_code == 200
