"""Video rooms: Jitsi Meet tokens checked with PyJWT the way Prosody's token verification checks
them, BigBlueButton checksums against the documented example and a local BigBlueButton that
verifies every call as the real server does, and the join page (participants only, audited,
checked in as remote)."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from django.test import Client
from django.urls import reverse

from secretariat.accounts.models import Role
from secretariat.api.tests.matrix import ACTORS, build_ctx
from secretariat.audit.models import AuditEvent
from secretariat.core import clock
from secretariat.core.errors import Conflict
from secretariat.meetings import video
from secretariat.meetings.models import (
    Meeting,
    MeetingState,
    Participant,
    Presence,
    VideoProvider,
)
from secretariat.meetings.tests.room_factories import make_meeting

pytestmark = pytest.mark.django_db

JITSI = {
    "JITSI_URL": "https://meet.example.org",
    "JITSI_APP_ID": "secretariat",
    "JITSI_SECRET": "a-shared-secret-known-to-prosody-only",
    "JITSI_AUDIENCE": "jitsi",
}
# The BigBlueButton documentation's example (API reference, "Usage").
DOC_QUERY = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444"
DOC_SECRET = "639259d4-9dd8-4b25-bf01-95f9567eaf4b"
DOC_CHECKSUM = "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"


@pytest.fixture
def people(tree: dict[str, Any], make_user: Any) -> dict[str, Any]:
    cell = tree["cell_a"]
    found = {
        "chair": make_user("chair", position=(cell, "Bí thư")),
        "secretary": make_user("secretary", position=(cell, "Phó Bí thư")),
        "member": make_user("member", position=(cell, "Đảng viên")),
        "stranger": make_user("stranger", position=(tree["cell_b"], "Đảng viên")),
    }
    found["chair"].full_name = "Nguyễn Thị Hằng"
    found["chair"].email = "hang@example.org"
    found["chair"].save(update_fields=["full_name", "email"])
    found["member"].full_name = "Trần Văn Đức"
    found["member"].save(update_fields=["full_name"])
    return {**found, "cell": cell}


def online(people: dict[str, Any], provider: str, **fields: Any) -> Meeting:
    meeting = make_meeting(
        unit=people["cell"],
        chair=people["chair"],
        secretary=people["secretary"],
        members=[people["member"]],
        **fields,
    )
    meeting.video_provider = provider
    meeting.video_room = "ChiBo-Thang5-x7Qk2Lm9"
    meeting.save(update_fields=["video_provider", "video_room"])
    return meeting


# --- Jitsi: Prosody's checks ------------------------------------------------------------------


def prosody_verify(
    token: str,
    *,
    room: str,
    secret: str,
    accepted_issuers: list[str],
    accepted_audiences: list[str],
    domain: str,
) -> dict[str, Any]:
    """What jitsi-meet's Prosody plugins check (token_util.lua `verify_token` and
    `verify_room` with domain verification on): HS256 signature with the app secret, `exp` and
    `nbf`, `iss` among the accepted issuers, a `room` claim, `aud` among the accepted
    audiences ("*": any), the room joined equal to the lower-cased `room` claim, `sub` the
    domain. Raises on the first failed check."""
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "HS256"
    claims: dict[str, Any] = jwt.decode(
        token,
        secret,
        algorithms=["HS256"],
        options={"require": ["exp", "iss", "aud", "room"], "verify_aud": False},
        issuer=accepted_issuers,
    )
    if "*" not in accepted_audiences and claims["aud"] not in accepted_audiences:
        raise jwt.InvalidAudienceError("Invalid audience ('aud' claim)")
    if room != str(claims["room"]).lower() and claims["room"] != "*":
        raise jwt.InvalidTokenError("room does not match")
    if claims["sub"] != "*" and claims["sub"] != domain:
        raise jwt.InvalidTokenError("domain does not match")
    return claims


def token_of(url: str) -> str:
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    return query["jwt"][0]


def test_jitsi_token_passes_prosody_checks_with_the_moderator_flag_for_chair_and_secretary(
    people: dict[str, Any], settings: Any
) -> None:
    for name, value in JITSI.items():
        setattr(settings, name, value)
    meeting = online(people, VideoProvider.JITSI)
    room = "chibo-thang5-x7qk2lm9"
    now = clock.now()
    for who, moderator in (("chair", True), ("secretary", True), ("member", False)):
        user = people[who]
        url = video.jitsi_join_url(meeting=meeting, user=user)
        assert url.startswith(f"https://meet.example.org/{room}?jwt=")
        claims = prosody_verify(
            token_of(url),
            room=room,
            secret=JITSI["JITSI_SECRET"],
            accepted_issuers=["secretariat"],
            accepted_audiences=["jitsi"],
            domain="meet.example.org",
        )
        assert claims["iss"] == "secretariat"
        assert claims["aud"] == "jitsi"
        assert claims["sub"] == "meet.example.org"
        assert claims["room"] == room
        assert claims["exp"] > now.timestamp()
        assert claims["nbf"] <= now.timestamp() <= claims["exp"]
        context_user = claims["context"]["user"]
        assert context_user["id"] == str(user.pk)
        assert context_user["name"] == (user.full_name or user.username)
        assert context_user["moderator"] is moderator, who
    chair_user = prosody_verify(
        video.jitsi_token(meeting=meeting, user=people["chair"]),
        room=room,
        secret=JITSI["JITSI_SECRET"],
        accepted_issuers=["secretariat"],
        accepted_audiences=["*"],
        domain="meet.example.org",
    )["context"]["user"]
    assert chair_user["name"] == "Nguyễn Thị Hằng"
    assert chair_user["email"] == "hang@example.org"


def test_prosody_refuses_a_token_of_another_secret_room_issuer_audience_or_past(
    people: dict[str, Any], settings: Any
) -> None:
    for name, value in JITSI.items():
        setattr(settings, name, value)
    meeting = online(people, VideoProvider.JITSI)
    token = video.jitsi_token(meeting=meeting, user=people["member"])
    good: dict[str, Any] = {
        "room": "chibo-thang5-x7qk2lm9",
        "secret": JITSI["JITSI_SECRET"],
        "accepted_issuers": ["secretariat"],
        "accepted_audiences": ["jitsi"],
        "domain": "meet.example.org",
    }
    prosody_verify(token, **good)
    for change, error in (
        ({"secret": "another-secret"}, jwt.InvalidSignatureError),
        ({"room": "another-room"}, jwt.InvalidTokenError),
        ({"accepted_issuers": ["someone-else"]}, jwt.InvalidIssuerError),
        ({"accepted_audiences": ["another-app"]}, jwt.InvalidAudienceError),
        ({"domain": "meet.other.org"}, jwt.InvalidTokenError),
    ):
        with pytest.raises(error):
            prosody_verify(token, **{**good, **change})
    # A payload changed by the holder (made moderator) no longer matches the signature.
    header, _payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["context"]["user"]["moderator"] = True
    forged = jwt.encode(claims, "guessed", algorithm="HS256").split(".")[1]
    with pytest.raises(jwt.InvalidSignatureError):
        prosody_verify(f"{header}.{forged}.{signature}", **good)
    # A token made long ago has expired.
    old = video.jitsi_token(
        meeting=meeting, user=people["member"], now=meeting.ends_at - dt.timedelta(days=30)
    )
    with pytest.raises(jwt.ExpiredSignatureError):
        prosody_verify(old, **good)


def test_token_lifetime_covers_the_meeting_but_is_capped(
    people: dict[str, Any], settings: Any
) -> None:
    for name, value in JITSI.items():
        setattr(settings, name, value)
    settings.JITSI_TOKEN_HOURS = 3
    meeting = online(people, VideoProvider.JITSI)
    now = clock.now()
    claims = jwt.decode(
        video.jitsi_token(meeting=meeting, user=people["member"], now=now),
        JITSI["JITSI_SECRET"],
        algorithms=["HS256"],
        audience="jitsi",
    )
    # Ends in 2 h: valid until an hour after the end, within the 3 h cap.
    assert claims["exp"] == int((meeting.ends_at + video.TOKEN_GRACE).timestamp())
    meeting.ends_at = now + dt.timedelta(hours=10)
    claims = jwt.decode(
        video.jitsi_token(meeting=meeting, user=people["member"], now=now),
        JITSI["JITSI_SECRET"],
        algorithms=["HS256"],
        audience="jitsi",
    )
    assert claims["exp"] == int((now + dt.timedelta(hours=3)).timestamp())


def test_jitsi_not_configured_is_a_clear_conflict(people: dict[str, Any], settings: Any) -> None:
    settings.JITSI_URL = ""
    meeting = online(people, VideoProvider.JITSI)
    assert not video.configured(meeting)
    with pytest.raises(Conflict, match="not configured"):
        video.join_url(meeting=meeting, user=people["member"])
    meeting.video_room = ""
    for name, value in JITSI.items():
        setattr(settings, name, value)
    with pytest.raises(Conflict, match="no video room"):
        video.join_url(meeting=meeting, user=people["member"])


# --- BigBlueButton: checksums -----------------------------------------------------------------


def test_bbb_checksum_matches_the_documented_example() -> None:
    assert video.bbb_checksum("create", DOC_QUERY, DOC_SECRET) == DOC_CHECKSUM
    params = [
        ("name", "Test Meeting"),
        ("meetingID", "abc123"),
        ("attendeePW", "111222"),
        ("moderatorPW", "333444"),
    ]
    assert video.bbb_query("create", params, DOC_SECRET) == f"{DOC_QUERY}&checksum={DOC_CHECKSUM}"
    config = video.BbbConfig(
        api="https://bbb.example.com/bigbluebutton/api/",
        secret=DOC_SECRET,
        algorithm="sha1",
        timeout=1,
    )
    assert video.bbb_url("create", params, config) == (
        f"https://bbb.example.com/bigbluebutton/api/create?{DOC_QUERY}&checksum={DOC_CHECKSUM}"
    )


def test_bbb_settings_accept_the_server_url_with_or_without_api(settings: Any) -> None:
    settings.BBB_SECRET = DOC_SECRET
    for url in (
        "https://bbb.example.com/bigbluebutton",
        "https://bbb.example.com/bigbluebutton/",
        "https://bbb.example.com/bigbluebutton/api/",
    ):
        settings.BBB_URL = url
        config = video.bbb_config()
        assert config is not None
        assert config.api == "https://bbb.example.com/bigbluebutton/api/"
    settings.BBB_CHECKSUM = "sha256"
    config = video.bbb_config()
    assert config is not None
    assert config.algorithm == "sha256"
    settings.BBB_CHECKSUM = "md5"  # not one BigBlueButton accepts: the default
    config = video.bbb_config()
    assert config is not None
    assert config.algorithm == "sha1"


class FakeBigBlueButton:
    """A local BigBlueButton API: verifies each call's checksum as bbb-web does (the query
    string without its final checksum parameter, the call name and the secret), answers its
    XML, and remembers the meetings created and the calls received."""

    def __init__(self, secret: str, algorithm: str = "sha1") -> None:
        self.secret = secret
        self.algorithm = algorithm
        self.created: dict[str, dict[str, str]] = {}
        self.calls: list[tuple[str, dict[str, str]]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/bigbluebutton/"

    def answer(self, request: BaseHTTPRequestHandler, body: str, status: int = 200) -> None:
        data = f"<response>{body}</response>".encode()
        request.send_response(status)
        request.send_header("Content-Type", "text/xml")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urllib.parse.urlsplit(request.path)
        prefix = "/bigbluebutton/api/"
        if not parts.path.startswith(prefix):
            self.answer(request, "<returncode>FAILED</returncode>", 404)
            return
        call = parts.path[len(prefix) :]
        query, _sep, checksum = parts.query.rpartition("&checksum=")
        expected = hashlib.new(self.algorithm, f"{call}{query}{self.secret}".encode()).hexdigest()
        if not checksum or checksum != expected:
            self.answer(
                request,
                "<returncode>FAILED</returncode><messageKey>checksumError</messageKey>"
                "<message>Checksums do not match</message>",
            )
            return
        params = dict(urllib.parse.parse_qsl(query))
        self.calls.append((call, params))
        meeting_id = params.get("meetingID", "")
        if call == "create":
            self.created.setdefault(meeting_id, params)
            self.answer(
                request,
                f"<returncode>SUCCESS</returncode><meetingID>{meeting_id}</meetingID>",
            )
        elif call == "isMeetingRunning":
            running = "true" if meeting_id in self.created else "false"
            self.answer(request, f"<returncode>SUCCESS</returncode><running>{running}</running>")
        elif call == "join":
            created = self.created.get(meeting_id)
            if created is None:
                self.answer(
                    request,
                    "<returncode>FAILED</returncode><messageKey>notFound</messageKey>",
                )
                return
            self.answer(request, "<returncode>SUCCESS</returncode><auth_token>ok</auth_token>")
        elif call == "end":
            self.created.pop(meeting_id, None)
            self.answer(request, "<returncode>SUCCESS</returncode>")
        else:
            self.answer(request, "<returncode>FAILED</returncode>")

    def __enter__(self) -> FakeBigBlueButton:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def bbb(settings: Any) -> Iterator[FakeBigBlueButton]:
    with FakeBigBlueButton("bbb-shared-secret") as server:
        settings.BBB_URL = server.url
        settings.BBB_SECRET = server.secret
        settings.VIDEO_TIMEOUT_SECONDS = 2
        yield server


def follow(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
        return str(response.read().decode())


def test_bbb_room_is_created_then_joined_with_checksums_the_server_accepts(
    people: dict[str, Any], bbb: FakeBigBlueButton
) -> None:
    meeting = online(people, VideoProvider.BBB)
    url = video.join_url(meeting=meeting, user=people["member"])
    assert [call for call, _params in bbb.calls] == ["isMeetingRunning", "create"]
    created = bbb.created["chibo-thang5-x7qk2lm9"]
    assert created["name"] == meeting.title
    assert "<returncode>SUCCESS</returncode>" in follow(url)
    joined = bbb.calls[-1][1]
    assert joined["fullName"] == "Trần Văn Đức"
    assert joined["role"] == "VIEWER"
    assert joined["password"] == created["attendeePW"]
    # The chair joins as moderator; the room is running: no second create.
    chair_url = video.join_url(meeting=meeting, user=people["chair"])
    assert [call for call, _params in bbb.calls].count("create") == 1
    assert "<returncode>SUCCESS</returncode>" in follow(chair_url)
    joined = bbb.calls[-1][1]
    assert joined["role"] == "MODERATOR"
    assert joined["password"] == created["moderatorPW"]
    assert created["moderatorPW"] != created["attendeePW"]
    video.bbb_end(meeting=meeting)
    assert "chibo-thang5-x7qk2lm9" not in bbb.created


def test_bbb_sha256_checksums_when_configured(people: dict[str, Any], settings: Any) -> None:
    with FakeBigBlueButton("bbb-shared-secret", algorithm="sha256") as server:
        settings.BBB_URL = server.url
        settings.BBB_SECRET = server.secret
        meeting = online(people, VideoProvider.BBB)
        settings.BBB_CHECKSUM = "sha1"
        with pytest.raises(Conflict, match="checksumError"):
            video.join_url(meeting=meeting, user=people["member"])
        settings.BBB_CHECKSUM = "sha256"
        url = video.join_url(meeting=meeting, user=people["member"])
        assert len(urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["checksum"][0]) == 64
        assert "<returncode>SUCCESS</returncode>" in follow(url)


def test_bbb_wrong_secret_or_unreachable_server_is_a_clear_conflict(
    people: dict[str, Any], bbb: FakeBigBlueButton, settings: Any
) -> None:
    meeting = online(people, VideoProvider.BBB)
    settings.BBB_SECRET = "not-the-server-secret"
    with pytest.raises(Conflict, match="refused the request: checksumError"):
        video.join_url(meeting=meeting, user=people["member"])
    assert bbb.calls == []
    settings.BBB_URL = "http://127.0.0.1:9/bigbluebutton/"  # discard port: nothing listens
    with pytest.raises(Conflict, match="cannot be reached"):
        video.join_url(meeting=meeting, user=people["member"])


# --- The join page ----------------------------------------------------------------------------


def client(user: Any) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def test_joining_redirects_audits_and_checks_in_as_remote(
    people: dict[str, Any], settings: Any
) -> None:
    for name, value in JITSI.items():
        setattr(settings, name, value)
    meeting = online(people, VideoProvider.JITSI)
    url = reverse("meetings:video", args=[meeting.pk])
    page = client(people["member"]).get(url)
    assert page.status_code == 200
    assert "You join as a participant." in page.content.decode()
    response = client(people["member"]).post(url)
    assert response.status_code == 302
    assert response["Location"].startswith("https://meet.example.org/chibo-thang5-x7qk2lm9?jwt=")
    participant = Participant.objects.get(meeting=meeting, user=people["member"])
    assert participant.presence == Presence.REMOTE
    event = AuditEvent.objects.get(action="meetings.video_joined")
    assert event.actor_id == people["member"].pk
    assert event.data["presence"] == Presence.REMOTE
    assert event.data["moderator"] is False
    assert AuditEvent.objects.filter(action="meetings.checked_in").count() == 1
    # The chair's page says moderator; their token says so too.
    assert "You join as a moderator" in client(people["chair"]).get(url).content.decode()
    location = client(people["chair"]).post(url)["Location"]
    claims = jwt.decode(token_of(location), JITSI["JITSI_SECRET"], ["HS256"], audience="jitsi")
    assert claims["context"]["user"]["moderator"] is True


def test_joining_before_the_session_opens_does_not_check_in(
    people: dict[str, Any], settings: Any
) -> None:
    for name, value in JITSI.items():
        setattr(settings, name, value)
    meeting = online(people, VideoProvider.JITSI, state=MeetingState.CONVENED)
    meeting.starts_at = clock.now() + dt.timedelta(days=2)
    meeting.ends_at = meeting.starts_at + dt.timedelta(hours=2)
    meeting.save(update_fields=["starts_at", "ends_at"])
    response = client(people["member"]).post(reverse("meetings:video", args=[meeting.pk]))
    assert response.status_code == 302
    assert Participant.objects.get(meeting=meeting, user=people["member"]).presence == ""
    assert AuditEvent.objects.get(action="meetings.video_joined").data["presence"] == ""


def test_outsiders_get_404_and_closed_or_unconfigured_rooms_write_nothing(
    people: dict[str, Any], settings: Any, bbb: FakeBigBlueButton
) -> None:
    for name, value in JITSI.items():
        setattr(settings, name, value)
    meeting = online(people, VideoProvider.JITSI)
    url = reverse("meetings:video", args=[meeting.pk])
    assert client(people["stranger"]).get(url).status_code == 404
    assert client(people["stranger"]).post(url).status_code == 404
    settings.JITSI_SECRET = ""
    response = client(people["member"]).post(url)
    assert response.status_code == 409
    assert "not configured" in response.content.decode()
    meeting.video_provider = VideoProvider.BBB
    meeting.save(update_fields=["video_provider"])
    settings.BBB_URL = "http://127.0.0.1:9/bigbluebutton/"
    response = client(people["member"]).post(url)
    assert response.status_code == 409
    assert "cannot be reached" in response.content.decode()
    meeting.state = MeetingState.CLOSED
    meeting.save(update_fields=["state"])
    assert client(people["member"]).post(url).status_code == 409
    assert not AuditEvent.objects.filter(action="meetings.video_joined").exists()
    assert Participant.objects.get(meeting=meeting, user=people["member"]).presence == ""


def test_join_permissions_for_every_role_inside_and_outside(
    tree: dict[str, Any], make_user: Any, settings: Any
) -> None:
    """The matrix's actors against the join (POST), with a video server configured: the
    meeting's participants and the organizers of its unit join; nobody else learns it exists.
    (The matrix itself covers the page, which needs no video server.)"""
    for name, value in JITSI.items():
        setattr(settings, name, value)
    ctx = build_ctx(tree, make_user, origins={"secretariat.meetings.tests.matrix_cases_minutes"})
    allowed = {"none", Role.LEADER, Role.MEETING_SECRETARY}
    # The matrix's meetings are over; these are being held.
    Meeting.objects.filter(pk__in=[ctx.extra["meeting_in"].pk, ctx.extra["meeting_out"].pk]).update(
        state=MeetingState.IN_SESSION
    )
    problems = []
    for actor in ACTORS:
        for side in ("in", "out"):
            before = AuditEvent.objects.filter(action="meetings.video_joined").count()
            meeting = Meeting.objects.get(pk=ctx.extra[f"meeting_{side}"].pk)
            response = ctx.clients[actor].post(reverse("meetings:video", args=[meeting.pk]))
            grew = AuditEvent.objects.filter(action="meetings.video_joined").count() - before
            if actor in allowed and side == "in":
                if response.status_code != 302 or grew != 1:
                    problems.append(f"{actor} {side}: {response.status_code}, audited {grew}")
            elif response.status_code != 404 or grew:
                problems.append(f"{actor} {side}: {response.status_code}, audited {grew}")
    assert not problems, problems
