"""Video rooms of meetings held online: Jitsi Meet (a JWT per participant) or BigBlueButton
(signed API calls). The join button of a meeting opens the room with the participant's name and
role; the chair and the secretary join as moderators, everyone else as an ordinary participant.

**Jitsi Meet** with token authentication (`jitsi-meet-tokens`: Prosody's `token_verification`
and a `token_affiliation`-style module) checks a JWT signed with HS256 and the shared app secret:
`iss` must be an accepted issuer (the app id by default), `aud` an accepted audience, `room` the
room joined (Prosody compares it with the lower-cased MUC room name), `sub` the domain when
domain verification is on, `exp`/`nbf` the validity; `context.user` names the participant and
its `moderator` flag gives moderator rights. The token goes in the room URL: `https://<domain>/
<room>?jwt=<token>`.

**BigBlueButton**: every API call carries `checksum = sha1(call + query string + shared
secret)` (or sha256… when the server is configured so). The room is created on the server when
someone joins and it is not running (`create` is idempotent for the same meeting id); `join`
is a URL the browser follows; `end` closes it.

Settings (environment, see README): `JITSI_URL`, `JITSI_APP_ID`, `JITSI_SECRET`,
`JITSI_AUDIENCE` (default "jitsi"), `JITSI_TOKEN_HOURS`; `BBB_URL`, `BBB_SECRET`,
`BBB_CHECKSUM` (sha1 default), `VIDEO_TIMEOUT_SECONDS`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

import jwt
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from lxml import etree

from secretariat.audit.services import record
from secretariat.core import clock
from secretariat.core.errors import Conflict, NotFound

from . import access
from .models import Meeting, MeetingState, VideoProvider
from .services import attendance

CHECKSUM_ALGORITHMS = ("sha1", "sha256", "sha384", "sha512")
# A token outlives the meeting's planned end by this much (a late meeting, a reconnection),
# and never lives longer than `JITSI_TOKEN_HOURS` from now.
TOKEN_GRACE = dt.timedelta(hours=1)
TOKEN_MIN = dt.timedelta(minutes=15)
# Clock skew tolerated between this node and the video server.
NOT_BEFORE_SKEW = dt.timedelta(seconds=60)


def _setting(name: str, default: str = "") -> str:
    return str(getattr(settings, name, default) or default).strip()


def is_moderator(meeting: Meeting, user: Any) -> bool:
    """The chair and the secretary run the video room."""
    return getattr(user, "pk", None) in (meeting.chair_id, meeting.secretary_id)


def display_name(user: Any) -> str:
    return str(getattr(user, "full_name", "") or getattr(user, "username", "") or "").strip()


def room_name(meeting: Meeting) -> str:
    """The room on the video server: the meeting's random room name, lower-cased (Prosody
    lower-cases MUC room names, and compares the token's `room` claim with it)."""
    room = (meeting.video_room or "").strip().lower()
    if not room:
        raise Conflict(_("This meeting has no video room."))
    return room


# --- Jitsi Meet ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class JitsiConfig:
    url: str
    app_id: str
    secret: str
    audience: str
    token_hours: int

    @property
    def domain(self) -> str:
        return urllib.parse.urlsplit(self.url).netloc

    @property
    def base(self) -> str:
        return self.url.rstrip("/")


def jitsi_config() -> JitsiConfig | None:
    """The Jitsi server's configuration, or None when this node has none."""
    url, app_id, secret = (
        _setting("JITSI_URL"),
        _setting("JITSI_APP_ID"),
        _setting("JITSI_SECRET"),
    )
    if not (url and app_id and secret):
        return None
    if (
        urllib.parse.urlsplit(url).scheme not in ("https", "http")
        or not urllib.parse.urlsplit(url).netloc
    ):
        return None
    try:
        hours = int(getattr(settings, "JITSI_TOKEN_HOURS", 12) or 12)
    except (TypeError, ValueError):
        hours = 12
    return JitsiConfig(
        url=url,
        app_id=app_id,
        secret=secret,
        audience=_setting("JITSI_AUDIENCE", "jitsi"),
        token_hours=max(1, hours),
    )


def _require_jitsi() -> JitsiConfig:
    config = jitsi_config()
    if config is None:
        raise Conflict(
            _("The Jitsi Meet server is not configured on this node. Ask the administrator.")
        )
    return config


def jitsi_claims(
    *, meeting: Meeting, user: Any, config: JitsiConfig, now: dt.datetime | None = None
) -> dict[str, Any]:
    """The claims of the participant's token (see the module's docstring)."""
    now = now or clock.now()
    expires = max(now + TOKEN_MIN, meeting.ends_at + TOKEN_GRACE)
    expires = min(expires, now + dt.timedelta(hours=config.token_hours))
    user_claims: dict[str, Any] = {
        "id": str(user.pk),
        "name": display_name(user),
        "moderator": is_moderator(meeting, user),
    }
    email = str(getattr(user, "email", "") or "")
    if email:
        user_claims["email"] = email
    return {
        "iss": config.app_id,
        "aud": config.audience,
        "sub": config.domain,
        "room": room_name(meeting),
        "iat": int(now.timestamp()),
        "nbf": int((now - NOT_BEFORE_SKEW).timestamp()),
        "exp": int(expires.timestamp()),
        "context": {"user": user_claims},
    }


def jitsi_token(*, meeting: Meeting, user: Any, now: dt.datetime | None = None) -> str:
    config = _require_jitsi()
    claims = jitsi_claims(meeting=meeting, user=user, config=config, now=now)
    return jwt.encode(claims, config.secret, algorithm="HS256")


def jitsi_join_url(*, meeting: Meeting, user: Any, now: dt.datetime | None = None) -> str:
    config = _require_jitsi()
    token = jitsi_token(meeting=meeting, user=user, now=now)
    room = urllib.parse.quote(room_name(meeting), safe="")
    return f"{config.base}/{room}?jwt={token}"


# --- BigBlueButton ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BbbConfig:
    api: str  # ends with "/api/"
    secret: str
    algorithm: str
    timeout: float


def bbb_config() -> BbbConfig | None:
    url, secret = _setting("BBB_URL"), _setting("BBB_SECRET")
    if not (url and secret):
        return None
    api = url.rstrip("/")
    if not api.endswith("/api"):
        api += "/api"
    algorithm = _setting("BBB_CHECKSUM", "sha1").lower()
    if algorithm not in CHECKSUM_ALGORITHMS:
        algorithm = "sha1"
    try:
        timeout = float(getattr(settings, "VIDEO_TIMEOUT_SECONDS", 5) or 5)
    except (TypeError, ValueError):
        timeout = 5.0
    return BbbConfig(api=api + "/", secret=secret, algorithm=algorithm, timeout=timeout)


def _require_bbb() -> BbbConfig:
    config = bbb_config()
    if config is None:
        raise Conflict(
            _("The BigBlueButton server is not configured on this node. Ask the administrator.")
        )
    return config


def bbb_checksum(call: str, query: str, secret: str, algorithm: str = "sha1") -> str:
    """BigBlueButton's checksum: the hash of the call name, the query string (without the
    checksum) and the shared secret, concatenated with no separator."""
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise ValueError(f"unknown checksum algorithm {algorithm!r}")
    return hashlib.new(algorithm, f"{call}{query}{secret}".encode()).hexdigest()


def bbb_query(
    call: str, params: list[tuple[str, str]], secret: str, algorithm: str = "sha1"
) -> str:
    """The signed query string of an API call (parameters in the given order, form-encoded as
    the BigBlueButton documentation shows: spaces as `+`)."""
    query = urllib.parse.urlencode(params)
    return f"{query}&checksum={bbb_checksum(call, query, secret, algorithm)}"


def bbb_url(call: str, params: list[tuple[str, str]], config: BbbConfig | None = None) -> str:
    config = config or _require_bbb()
    return f"{config.api}{call}?{bbb_query(call, params, config.secret, config.algorithm)}"


def _password(config: BbbConfig, room: str, role: str) -> str:
    """The room's moderator / attendee password (older servers still require them): derived
    from the shared secret, so nothing needs storing and nobody can guess it."""
    return hmac.new(config.secret.encode(), f"{room}:{role}".encode(), "sha256").hexdigest()[:20]


def _call(call: str, params: list[tuple[str, str]], config: BbbConfig) -> etree._Element:
    """One server-side API call; the parsed XML answer, or Conflict with a clear message."""
    url = bbb_url(call, params, config)
    try:
        with urllib.request.urlopen(url, timeout=config.timeout) as response:  # noqa: S310
            body = response.read(1_000_000)
    except urllib.error.HTTPError as error:
        raise Conflict(
            _("The BigBlueButton server refused the request (HTTP %(status)s).")
            % {"status": error.code}
        ) from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise Conflict(
            _("The BigBlueButton server cannot be reached: %(reason)s")
            % {"reason": str(getattr(error, "reason", error))[:200]}
        ) from error
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as error:
        raise Conflict(_("The BigBlueButton server gave an answer that is not XML.")) from error
    if (root.findtext("returncode") or "").strip() != "SUCCESS":
        key = (root.findtext("messageKey") or "").strip()
        message = (root.findtext("message") or "").strip()
        raise Conflict(
            _("The BigBlueButton server refused the request: %(reason)s")
            % {"reason": f"{key} {message}".strip()[:300] or "FAILED"}
        )
    return root


def bbb_is_running(*, meeting: Meeting) -> bool:
    config = _require_bbb()
    root = _call("isMeetingRunning", [("meetingID", room_name(meeting))], config)
    return (root.findtext("running") or "").strip().lower() == "true"


def bbb_create(*, meeting: Meeting) -> None:
    """Create the room on the server (a no-op there when it already exists)."""
    config = _require_bbb()
    room = room_name(meeting)
    _call(
        "create",
        [
            ("name", meeting.title[:250]),
            ("meetingID", room),
            ("attendeePW", _password(config, room, "attendee")),
            ("moderatorPW", _password(config, room, "moderator")),
            ("record", "false"),
        ],
        config,
    )


def bbb_end(*, meeting: Meeting) -> None:
    config = _require_bbb()
    room = room_name(meeting)
    _call(
        "end",
        [("meetingID", room), ("password", _password(config, room, "moderator"))],
        config,
    )


def bbb_join_url(*, meeting: Meeting, user: Any) -> str:
    """The URL the participant's browser opens: their name, their role (`role` on servers
    from 2.6; the password on older ones), their user id."""
    config = _require_bbb()
    room = room_name(meeting)
    moderator = is_moderator(meeting, user)
    return bbb_url(
        "join",
        [
            ("fullName", display_name(user) or str(user.pk)),
            ("meetingID", room),
            ("password", _password(config, room, "moderator" if moderator else "attendee")),
            ("role", "MODERATOR" if moderator else "VIEWER"),
            ("userID", str(user.pk)),
            ("redirect", "true"),
        ],
        config,
    )


# --- Joining ------------------------------------------------------------------------------------


def configured(meeting: Meeting) -> bool:
    """Whether this node can open the meeting's video room."""
    if meeting.video_provider == VideoProvider.JITSI:
        return jitsi_config() is not None
    if meeting.video_provider == VideoProvider.BBB:
        return bbb_config() is not None
    return False


def join_url(*, meeting: Meeting, user: Any) -> str:
    """Where the participant's browser goes to join (the BigBlueButton room is created first
    when it is not running). Conflict when the meeting has no room or the server is missing
    or unreachable."""
    if meeting.video_provider == VideoProvider.JITSI:
        return jitsi_join_url(meeting=meeting, user=user)
    if meeting.video_provider == VideoProvider.BBB:
        if not bbb_is_running(meeting=meeting):
            bbb_create(meeting=meeting)
        return bbb_join_url(meeting=meeting, user=user)
    raise Conflict(_("This meeting has no video room."))


def join(*, actor: Any, meeting: Meeting) -> str:
    """A participant (or an organizer) joins the meeting's video room: the URL their browser
    opens. The join is audited, and an invited participant is checked in as present remotely
    when check-in is open (remote participants count for attendance; someone already in the
    room stays so). Nothing is written when the room cannot be opened."""
    if not access.may_see(actor, meeting):
        raise NotFound(_("No such meeting, or it is not open to you."))
    if meeting.state in (MeetingState.CLOSED, MeetingState.CANCELLED):
        raise Conflict(_("This meeting is over: its video room is closed."))
    url = join_url(meeting=meeting, user=actor)
    participant = access.participant(actor, meeting)
    with transaction.atomic(durable=True):
        checked_in = ""
        if participant is not None:
            try:
                with transaction.atomic():
                    checked = attendance.checkin_remote_nondurable(actor=actor, meeting=meeting)
                checked_in = checked.presence
            except Conflict:
                # Check-in is not open (the session has not started): joining early is fine.
                checked_in = ""
        record(
            actor=actor,
            action="meetings.video_joined",
            unit=meeting.unit,
            obj=meeting,
            data={
                "provider": meeting.video_provider,
                "moderator": is_moderator(meeting, actor),
                "participant": participant is not None,
                "presence": checked_in,
            },
        )
    return url
