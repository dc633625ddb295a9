"""The image of a credential's visible signature: only PNG, re-encoded, audited, drawn."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from secretariat.accounts.models import Role
from secretariat.audit.models import AuditEvent
from secretariat.core.errors import PermissionDenied, ValidationFailed
from secretariat.demo.images import seal_png, signature_png
from secretariat.signing import images
from secretariat.signing.tests.factories import give_certificate

pytestmark = pytest.mark.django_db


def test_png_is_kept_reencoded_and_audited(tree: dict[str, Any], make_user: Any) -> None:
    admin = make_user("admin", role=Role.UNIT_ADMIN, unit=tree["province"])
    credential = give_certificate(unit=tree["office"])
    saved = images.credential_set_image(
        actor=admin, credential=credential, image=seal_png("Văn phòng Tỉnh ủy")
    )
    assert saved.image is not None
    with Image.open(io.BytesIO(bytes(saved.image))) as image:
        assert (image.format, image.mode) == ("PNG", "RGBA")
    assert AuditEvent.objects.filter(action="signing.credential_image_set").count() == 1
    removed = images.credential_set_image(actor=admin, credential=credential, image=None)
    assert removed.image is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "PNG"),
        (b"GIF89a not an image", "PNG"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "PNG"),
        (b"x" * (1024 * 1024 + 1), "1 MB"),
    ],
)
def test_bad_images_are_refused_and_nothing_changes(
    tree: dict[str, Any], make_user: Any, data: bytes, message: str
) -> None:
    admin = make_user("admin", role=Role.UNIT_ADMIN, unit=tree["province"])
    credential = give_certificate(unit=tree["office"])
    with pytest.raises(ValidationFailed, match=message):
        images.credential_set_image(actor=admin, credential=credential, image=data)
    credential.refresh_from_db()
    assert credential.image is None
    assert not AuditEvent.objects.filter(action="signing.credential_image_set").exists()


def test_jpeg_is_refused(tree: dict[str, Any], make_user: Any) -> None:
    admin = make_user("admin", role=Role.UNIT_ADMIN, unit=tree["province"])
    credential = give_certificate(unit=tree["office"])
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(buffer, format="JPEG")
    with pytest.raises(ValidationFailed, match="PNG"):
        images.credential_set_image(actor=admin, credential=credential, image=buffer.getvalue())


def test_only_administrators_of_the_holder_change_it(tree: dict[str, Any], make_user: Any) -> None:
    outsider = make_user("outsider", role=Role.UNIT_ADMIN, unit=tree["commune_b"])
    holder = make_user("holder", position=(tree["commune_a"], "Bí thư"))
    credential = give_certificate(user=holder)
    with pytest.raises(PermissionDenied):
        images.credential_set_image(
            actor=outsider, credential=credential, image=signature_png("holder")
        )
