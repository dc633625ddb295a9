"""The image drawn in a credential's visible signature: the official's signature (blue on a
transparent background) or the organization's seal (red), PNG (Decree 30 Appendix I)."""

from __future__ import annotations

import io
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from secretariat.audit.services import record
from secretariat.core.errors import ValidationFailed
from secretariat.core.locks import for_update

from .models import Credential
from .pki import require_holder

MAX_BYTES = 1024 * 1024
MAX_SIDE = 2000


def _clean(image: bytes) -> bytes:
    """The image re-encoded as PNG (metadata dropped), or a clear refusal."""
    message = _("Choose a PNG image, preferably on a transparent background.")
    if not image:
        raise ValidationFailed(message, field_errors={"image": [message]})
    if len(image) > MAX_BYTES:
        too_big = _("The image is larger than 1 MB.")
        raise ValidationFailed(too_big, field_errors={"image": [too_big]})
    try:
        with Image.open(io.BytesIO(image)) as opened:
            if opened.format != "PNG":
                raise ValidationFailed(message, field_errors={"image": [message]})
            opened.load()
            if max(opened.size) > MAX_SIDE:
                large = _("The image is larger than %(side)d pixels.") % {"side": MAX_SIDE}
                raise ValidationFailed(large, field_errors={"image": [large]})
            converted = opened.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise ValidationFailed(message, field_errors={"image": [message]}) from error
    buffer = io.BytesIO()
    converted.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def credential_set_image(*, actor: Any, credential: Credential, image: bytes | None) -> Credential:
    """Set (or, with None, remove) the image of a credential's visible signature."""
    require_holder(actor, user=credential.user, unit=credential.unit)
    cleaned = _clean(image) if image is not None else None
    with transaction.atomic(durable=True):
        row = for_update(Credential.objects.filter(pk=credential.pk)).get()
        row.image = cleaned
        row.save(update_fields=["image", "updated_at"])
        record(
            actor=actor,
            action="signing.credential_image_set",
            obj=row,
            unit=row.unit,
            data={"serial": row.serial, "removed": cleaned is None},
        )
    return row
