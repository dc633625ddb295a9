"""Calendar export of meetings (iCalendar, RFC 5545), written by hand: one event per meeting,
`METHOD:PUBLISH` (a read-only copy for the invitee's calendar, not a scheduling request).

What matters for calendars to accept and update the file: CRLF line ends; lines folded at 75
octets without cutting a UTF-8 character (§3.1); TEXT values escaped (§3.3.11: backslash,
semicolon, comma, newline); a stable UID per meeting so a re-import updates the event; times
in UTC (`Z`); DTSTAMP the time the file was produced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils.translation import gettext as _

from secretariat.core import clock

from .models import Meeting, MeetingState

PRODID = "-//Secretariat//Meetings//EN"
UID_DOMAIN = "meetings.secretariat"
CONTENT_TYPE = "text/calendar; charset=utf-8"

_STATUS: dict[str, str] = {
    MeetingState.DRAFT: "TENTATIVE",
    MeetingState.CANCELLED: "CANCELLED",
}


def escape_text(value: str) -> str:
    """A TEXT property value (RFC 5545 §3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def utc(value: dt.datetime) -> str:
    """A DATE-TIME in UTC form: 20250131T073000Z."""
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Fold a content line into pieces of at most 75 octets, continuation lines starting with
    one space (§3.1); a UTF-8 character is never cut."""
    pieces: list[str] = []
    current = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    pieces.append(current)
    return "\r\n".join(pieces)


def _event(meeting: Meeting, *, url: str, stamp: dt.datetime) -> list[str]:
    description = [meeting.unit.display_name]
    if meeting.state == MeetingState.CANCELLED and meeting.cancelled_reason:
        description.append(_("Cancelled: %(reason)s") % {"reason": meeting.cancelled_reason})
    if url:
        description.append(url)
    lines = [
        "BEGIN:VEVENT",
        f"UID:{meeting.pk}@{UID_DOMAIN}",
        f"DTSTAMP:{utc(stamp)}",
        f"DTSTART:{utc(meeting.starts_at)}",
        f"DTEND:{utc(meeting.ends_at)}",
        f"LAST-MODIFIED:{utc(meeting.updated_at)}",
        f"SUMMARY:{escape_text(meeting.title)}",
        f"STATUS:{_STATUS.get(meeting.state, 'CONFIRMED')}",
        f"DESCRIPTION:{escape_text(chr(10).join(description))}",
    ]
    if meeting.place:
        lines.append(f"LOCATION:{escape_text(meeting.place)}")
    if url:
        lines.append(f"URL:{url}")
    lines.append("END:VEVENT")
    return lines


def calendar(meetings: Iterable[tuple[Meeting, str]], *, name: str = "") -> str:
    """The iCalendar text of `(meeting, absolute url)` pairs."""
    stamp = clock.now()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    if name:
        lines.append(f"X-WR-CALNAME:{escape_text(name)}")
    for meeting, url in meetings:
        lines.extend(_event(meeting, url=url, stamp=stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
