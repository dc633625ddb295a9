"""In-app notifications (reminders, escalations, new assignments)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from secretariat.core import clock

from ..models import Notification


def notify(*, user: Any, message: str, link: str = "") -> Notification:
    """Leave a message for `user`. Runs in the caller's transaction: a notification exists only
    if the change it announces does."""
    return Notification.objects.create(user=user, message=str(message)[:500], link=link)


def notifications_mark_read(*, user: Any, ids: list[Any] | None = None) -> int:
    """Mark the user's notifications read (all unread ones when `ids` is None)."""
    with transaction.atomic():
        unread = Notification.objects.filter(user=user, read_at__isnull=True)
        if ids is not None:
            unread = unread.filter(pk__in=ids)
        return unread.update(read_at=clock.now())
