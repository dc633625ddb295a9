"""edXML packages between agencies (QCVN 102:2016/BTTTT): build and parse, as pure functions.

The national exchange axis and the provincial LGSPs speak edXML; this module turns our typed
messages into that XML and back, and refuses anything unsafe or incomplete before the exchange
app stores a byte of it. No database, no settings.

Layout written by :func:`build_document` (the one seen in the national SDK's samples; element
names are the standard's, including its spelling ``Bussiness``)::

    <edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">
      <edXML:edXMLEnvelope xmlns:edXML="...same namespace...">
        <edXML:edXMLHeader>
          <edXML:MessageHeader>
            From, To+ (OrganId, OrganizationInCharge, OrganName, OrganAdd, Email, Telephone,
            Fax, Website), DocumentId, Code (CodeNumber, CodeNotation), PromulgationInfo (Place,
            PromulgationDate), DocumentType (Type, TypeName), Subject, Content, SignerInfo
            (Competence, Position, FullName), DueDate?, ToPlaces (Place*), OtherInfo (Priority,
            SphereOfPromulgation, PromulgationAmount, PageAmount, Appendixes (Appendix*)),
            ResponseFor? (OrganId, Code, PromulgationDate, DocumentId), SteeringType
          </edXML:MessageHeader>
          <edXML:TraceHeaderList>
            TraceHeader* (OrganId, Timestamp), Bussiness (BussinessDocType,
            BussinessDocReason, ReplacementInfoList? (ReplacementInfo (DocumentId)*))
          </edXML:TraceHeaderList>
        </edXML:edXMLHeader>
        <edXML:edXMLBody><edXML:edXMLManifest>
          Reference* (ContentId, ContentType, AttachmentName)
        </edXML:edXMLManifest></edXML:edXMLBody>
      </edXML:edXMLEnvelope>
      <AttachmentEncoded>
        Attachment* (ContentId, AttachmentName, ContentType, ContentTransferEncoded = base64)
      </AttachmentEncoded>
    </edXML>

A status message (:func:`build_status`) has the same root and envelope, with
``edXMLHeader > Status (ResponseFor, From, StatusCode, Description, StaffInfo, Timestamp)``.

Formats: dates ``yyyy/MM/dd``; timestamps ``yyyy/MM/dd HH:mm:ss`` in Vietnam time (UTC+7, no
daylight saving), as the national axis writes them; seconds are the finest unit kept.

What :func:`parse` tolerates, because real senders produce it: pretty-printing, any order of
children, unprefixed children (in the edXML namespace or in none), a root that is the envelope
itself, ``AttachmentEncoded`` inside the envelope, ``cid:`` before content ids, base64 split
into lines, dates as ``yyyy-MM-dd`` or ``dd/MM/yyyy``, timestamps in ISO 8601, one-digit status
codes, unknown elements (``TypeDetail``, ``TyperNotation``, ``DigitalSignature``...), which are
ignored. Only the first ``ResponseFor`` of a message header is kept. What it refuses, with an
:class:`EdxmlError`: DTDs and entities, another namespace, a repeated single element, missing
required fields, bad dates, bad base64, manifest and attachments that do not match, too many
attachments.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Literal

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from lxml import etree

from secretariat.core.errors import ValidationFailed

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
PREFIX = "edXML"
VIETNAM = timezone(timedelta(hours=7), "ICT")

# Priority (OtherInfo/Priority): the urgency levels of Decree 30/2020/NĐ-CP, art. 15.
PRIORITY_NORMAL = 0  # thường
PRIORITY_URGENT = 1  # khẩn
PRIORITY_VERY_URGENT = 2  # thượng khẩn
PRIORITY_EXPRESS = 3  # hỏa tốc

# Status codes of the national axis [unverified numbering, see DOMAIN.md section 3].
STATUS_RECEIVED = "01"
STATUS_REJECTED = "02"
STATUS_ACCEPTED = "03"
STATUS_ASSIGNED = "04"
STATUS_PROCESSING = "05"
STATUS_DONE = "06"
STATUS_LABELS = {
    STATUS_RECEIVED: pgettext_lazy("edXML status", "Received"),
    STATUS_REJECTED: pgettext_lazy("edXML status", "Rejected"),
    STATUS_ACCEPTED: pgettext_lazy("edXML status", "Accepted"),
    STATUS_ASSIGNED: pgettext_lazy("edXML status", "Assigned"),
    STATUS_PROCESSING: pgettext_lazy("edXML status", "Processing"),
    STATUS_DONE: pgettext_lazy("edXML status", "Done"),
}

DocumentKind = Literal["new", "update", "replace", "revoke"]
# BussinessDocType: 0 new, 1 update, 2 replace, 3 revoke.
_BUSINESS_CODES: dict[str, int] = {"new": 0, "update": 1, "replace": 2, "revoke": 3}
_BUSINESS_KINDS: dict[int, DocumentKind] = {0: "new", 1: "update", 2: "replace", 3: "revoke"}


class EdxmlError(ValidationFailed):
    """A package that cannot be built or accepted; the message tells the clerk why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Organization:
    organ_id: str
    organ_name: str = ""
    organization_in_charge: str = ""
    organ_add: str = ""
    email: str = ""
    telephone: str = ""
    fax: str = ""
    website: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Code:
    """Số and ký hiệu: ``12`` and ``QĐ-UBND``."""

    number: str
    notation: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Signer:
    competence: str = ""
    position: str = ""
    full_name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    content_id: str
    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceHeader:
    """One hop: the organization that handled the package and when (aware, UTC after parse)."""

    organ_id: str
    timestamp: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseFor:
    """The document a message answers: its sender, number/notation, date and id."""

    document_id: str
    organ_id: str = ""
    code: str = ""
    promulgation_date: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BusinessInfo:
    """Why the package is sent (Bussiness): a new document, or one that updates, replaces or
    revokes earlier ones, whose edXML document ids are in ``replaced``."""

    document_type: DocumentKind = "new"
    reason: str = ""
    replaced: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffInfo:
    department: str = ""
    staff: str = ""
    email: str = ""
    mobile: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentMessage:
    """A document sent to other agencies. ``priority`` is one of the ``PRIORITY_*`` levels:
    0 normal, 1 urgent (khẩn), 2 very urgent (thượng khẩn), 3 express (hỏa tốc)."""

    document_id: str
    from_: Organization
    to: list[Organization]
    code: Code
    promulgation_date: date
    subject: str
    place: str = ""
    type_code: str = ""
    type_name: str = ""
    content: str = ""
    signer: Signer = field(default_factory=Signer)
    due_date: date | None = None
    to_places: list[str] = field(default_factory=list)
    priority: int = PRIORITY_NORMAL
    sphere: str = ""
    promulgation_amount: int = 0
    page_amount: int = 0
    appendixes: list[str] = field(default_factory=list)
    steering_type: int = 0
    response_for: ResponseFor | None = None
    trace: list[TraceHeader] = field(default_factory=list)
    business: BusinessInfo = field(default_factory=BusinessInfo)
    attachments: list[Attachment] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusMessage:
    """How a recipient's handling of a document stands; ``status_code`` is a ``STATUS_*``."""

    response_for: ResponseFor
    from_: Organization
    status_code: str
    timestamp: datetime
    description: str = ""
    staff: StaffInfo = field(default_factory=StaffInfo)


# --- building -------------------------------------------------------------------------------

_ORG_FIELDS = (
    ("OrganId", "organ_id"),
    ("OrganizationInCharge", "organization_in_charge"),
    ("OrganName", "organ_name"),
    ("OrganAdd", "organ_add"),
    ("Email", "email"),
    ("Telephone", "telephone"),
    ("Fax", "fax"),
    ("Website", "website"),
)
_STAFF_FIELDS = (
    ("Department", "department"),
    ("Staff", "staff"),
    ("Email", "email"),
    ("Mobile", "mobile"),
)


@functools.lru_cache(maxsize=512)
def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


@functools.lru_cache(maxsize=512)
def _either(name: str) -> tuple[str, str]:
    return (_q(name), name)


def _add(parent: etree._Element, name: str, text: str | int | None = None) -> etree._Element:
    element = etree.SubElement(parent, _q(name))
    if text is not None:
        element.text = str(text)
    return element


def _format_date(value: date | None) -> str:
    return value.strftime("%Y/%m/%d") if value else ""


def _format_timestamp(value: datetime) -> str:
    if value.tzinfo is None:
        raise EdxmlError(_("A time in the package has no time zone."))
    return value.astimezone(VIETNAM).strftime("%Y/%m/%d %H:%M:%S")


def _add_org(parent: etree._Element, name: str, org: Organization) -> None:
    element = _add(parent, name)
    for tag, attr in _ORG_FIELDS:
        _add(element, tag, getattr(org, attr))


def _add_response_for(parent: etree._Element, response: ResponseFor) -> None:
    element = _add(parent, "ResponseFor")
    _add(element, "OrganId", response.organ_id)
    _add(element, "Code", response.code)
    _add(element, "PromulgationDate", _format_date(response.promulgation_date))
    _add(element, "DocumentId", response.document_id)


def _envelope() -> tuple[etree._Element, etree._Element, etree._Element]:
    root = etree.Element(_q("edXML"), nsmap={None: NS})
    envelope = etree.SubElement(root, _q("edXMLEnvelope"), nsmap={PREFIX: NS})
    return root, envelope, _add(envelope, "edXMLHeader")


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def build_document(message: DocumentMessage) -> bytes:
    """The edXML package of a document with its attachments, as UTF-8 bytes."""
    _check_document(message, max_attachments=None)
    try:
        root, envelope, header = _envelope()
        head = _add(header, "MessageHeader")
        _add_org(head, "From", message.from_)
        for recipient in message.to:
            _add_org(head, "To", recipient)
        _add(head, "DocumentId", message.document_id)
        code = _add(head, "Code")
        _add(code, "CodeNumber", message.code.number)
        _add(code, "CodeNotation", message.code.notation)
        promulgation = _add(head, "PromulgationInfo")
        _add(promulgation, "Place", message.place)
        _add(promulgation, "PromulgationDate", _format_date(message.promulgation_date))
        kind = _add(head, "DocumentType")
        _add(kind, "Type", message.type_code)
        _add(kind, "TypeName", message.type_name)
        _add(head, "Subject", message.subject)
        _add(head, "Content", message.content)
        signer = _add(head, "SignerInfo")
        _add(signer, "Competence", message.signer.competence)
        _add(signer, "Position", message.signer.position)
        _add(signer, "FullName", message.signer.full_name)
        if message.due_date:
            _add(head, "DueDate", _format_date(message.due_date))
        places = _add(head, "ToPlaces")
        for place in message.to_places:
            _add(places, "Place", place)
        other = _add(head, "OtherInfo")
        _add(other, "Priority", message.priority)
        _add(other, "SphereOfPromulgation", message.sphere)
        _add(other, "PromulgationAmount", message.promulgation_amount)
        _add(other, "PageAmount", message.page_amount)
        appendixes = _add(other, "Appendixes")
        for appendix in message.appendixes:
            _add(appendixes, "Appendix", appendix)
        if message.response_for:
            _add_response_for(head, message.response_for)
        _add(head, "SteeringType", message.steering_type)

        traces = _add(header, "TraceHeaderList")
        for hop in message.trace:
            trace = _add(traces, "TraceHeader")
            _add(trace, "OrganId", hop.organ_id)
            _add(trace, "Timestamp", _format_timestamp(hop.timestamp))
        business = _add(traces, "Bussiness")
        _add(business, "BussinessDocType", _BUSINESS_CODES[message.business.document_type])
        _add(business, "BussinessDocReason", message.business.reason)
        if message.business.replaced:
            replacements = _add(business, "ReplacementInfoList")
            for document_id in message.business.replaced:
                _add(_add(replacements, "ReplacementInfo"), "DocumentId", document_id)

        manifest = _add(_add(envelope, "edXMLBody"), "edXMLManifest")
        if message.attachments:
            encoded = _add(root, "AttachmentEncoded")
        # The base64 goes into the serialized XML in place of a marker (it needs no escaping):
        # lxml would check, copy and serialize every character of it, as much work as the
        # rest of the message.
        markers: list[tuple[bytes, bytes]] = []
        for attachment in message.attachments:
            reference = _add(manifest, "Reference")
            _add(reference, "ContentId", attachment.content_id)
            _add(reference, "ContentType", attachment.content_type)
            _add(reference, "AttachmentName", attachment.name)
            item = _add(encoded, "Attachment")
            _add(item, "ContentId", attachment.content_id)
            _add(item, "AttachmentName", attachment.name)
            _add(item, "ContentType", attachment.content_type)
            placeholder = f"attachment-{secrets.token_hex(16)}"
            _add(item, "ContentTransferEncoded", placeholder)
            markers.append((placeholder.encode("ascii"), attachment.data))
    except ValueError as exc:  # lxml refuses control characters and other non-XML text
        raise EdxmlError(_("The document contains characters that XML cannot carry.")) from exc
    serialized = _serialize(root)
    if not markers:
        return serialized
    parts: list[bytes] = []
    rest = serialized
    for marker, data in markers:
        before, found, rest = rest.partition(marker)
        if not found:  # pragma: no cover (each marker is in the tree once)
            raise AssertionError("attachment marker missing")
        parts += [before, base64.b64encode(data)]
    parts.append(rest)
    return b"".join(parts)


def build_status(message: StatusMessage) -> bytes:
    """The edXML status message telling the sender how its document is being handled."""
    _check_status(message)
    try:
        root, _envelope_element, header = _envelope()
        status = _add(header, "Status")
        _add_response_for(status, message.response_for)
        _add_org(status, "From", message.from_)
        _add(status, "StatusCode", message.status_code)
        _add(status, "Description", message.description)
        staff = _add(status, "StaffInfo")
        for tag, attr in _STAFF_FIELDS:
            _add(staff, tag, getattr(message.staff, attr))
        _add(status, "Timestamp", _format_timestamp(message.timestamp))
    except ValueError as exc:
        raise EdxmlError(_("The status contains characters that XML cannot carry.")) from exc
    return _serialize(root)


# --- checks shared by building and parsing --------------------------------------------------


def _check_document(message: DocumentMessage, *, max_attachments: int | None) -> None:
    if not message.document_id.strip():
        raise EdxmlError(_("The package has no document identifier."))
    if not message.from_.organ_id.strip():
        raise EdxmlError(_("The sending organization has no organization code."))
    if not message.to:
        raise EdxmlError(_("The package has no recipient."))
    if any(not recipient.organ_id.strip() for recipient in message.to):
        raise EdxmlError(_("A recipient has no organization code."))
    if not message.subject.strip():
        raise EdxmlError(_("The document has no subject (trích yếu)."))
    if not message.code.number.strip():
        raise EdxmlError(_("The document has no number."))
    if message.priority not in (0, 1, 2, 3):
        raise EdxmlError(_("The urgency level must be 0, 1, 2 or 3."))
    if message.business.document_type not in _BUSINESS_CODES:
        raise EdxmlError(_("Unknown kind of business document."))
    if max_attachments is not None and len(message.attachments) > max_attachments:
        raise EdxmlError(
            _("The package has more than %(limit)d attachments.") % {"limit": max_attachments}
        )
    ids = [attachment.content_id for attachment in message.attachments]
    if any(not content_id.strip() for content_id in ids):
        raise EdxmlError(_("An attachment has no content identifier."))
    if len(set(ids)) != len(ids):
        raise EdxmlError(_("Two attachments have the same content identifier."))


def _check_status(message: StatusMessage) -> None:
    if not message.response_for.document_id.strip():
        raise EdxmlError(_("The status does not say which document it is about."))
    if not message.from_.organ_id.strip():
        raise EdxmlError(_("The status does not say which organization sends it."))
    if message.status_code not in STATUS_LABELS:
        raise EdxmlError(_("Unknown status code “%(code)s”.") % {"code": message.status_code[:20]})


# --- parsing --------------------------------------------------------------------------------

_WHITESPACE = b" \t\r\n"
_WHITESPACES = tuple(bytes([space]) for space in _WHITESPACE)
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_ISO_OR_SLASHED_DATE = re.compile(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})", re.ASCII)
_DAY_FIRST_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)
_NATIONAL_TIMESTAMP = re.compile(
    r"(\d{4})/(\d{1,2})/(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?", re.ASCII
)
_DAY_FIRST_TIMESTAMP = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?", re.ASCII
)


def _parser() -> etree.XMLParser:
    # huge_tree: a 10 MB attachment is one 13 MB text node, past libxml2's default limit.
    # It is safe because DTDs are refused before parsing, so no entity can expand.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=True,
        remove_comments=True,
        remove_pis=True,
        encoding="utf-8",
    )


def _named(element: etree._Element, name: str) -> bool:
    return element.tag in _either(name)


@functools.lru_cache(maxsize=512)
def _tags(name: str) -> tuple[str, str]:
    """lxml's tag filter for `name` in the edXML namespace or in none."""
    return (_q(name), "{}" + name)


def _children(parent: etree._Element | None, name: str) -> list[etree._Element]:
    return [] if parent is None else list(parent.iterchildren(*_tags(name)))


def _texts(parent: etree._Element | None, container: str, name: str) -> list[str]:
    """The non-empty texts of a list element such as ``ToPlaces > Place*``."""
    items = _children(_child(parent, container), name)
    return [text for item in items if (text := (item.text or "").strip())]


def _child(parent: etree._Element | None, name: str) -> etree._Element | None:
    found = _children(parent, name)
    if len(found) > 1:
        raise EdxmlError(_("The element %(name)s appears twice.") % {"name": name})
    return found[0] if found else None


def _require(parent: etree._Element | None, name: str) -> etree._Element:
    element = _child(parent, name)
    if element is None:
        raise EdxmlError(_("The package has no %(name)s element.") % {"name": name})
    return element


def _text(parent: etree._Element | None, name: str) -> str:
    element = _child(parent, name)
    return (element.text or "").strip() if element is not None else ""


def _int(parent: etree._Element | None, name: str) -> int:
    value = _text(parent, name)
    if not value:
        return 0
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise EdxmlError(_("%(name)s must be a whole number.") % {"name": name})
    return int(value)


def _date(parent: etree._Element | None, name: str) -> date | None:
    value = _text(parent, name)
    if not value:
        return None
    if match := _ISO_OR_SLASHED_DATE.fullmatch(value):
        year, month, day = match.groups()
    elif match := _DAY_FIRST_DATE.fullmatch(value):
        day, month, year = match.groups()
    else:
        raise EdxmlError(_("%(name)s is not a date: “%(value)s”.") % _bad(name, value))
    try:
        return date(int(year), int(month), int(day))
    except ValueError as exc:
        raise EdxmlError(_("%(name)s is not a date: “%(value)s”.") % _bad(name, value)) from exc


def _timestamp(parent: etree._Element | None, name: str) -> datetime:
    value = _text(parent, name)
    if not value:
        raise EdxmlError(_("The package has no %(name)s element.") % {"name": name})
    try:
        if match := _NATIONAL_TIMESTAMP.fullmatch(value):
            year, month, day, hour, minute, second = match.groups()
        elif match := _DAY_FIRST_TIMESTAMP.fullmatch(value):
            day, month, year, hour, minute, second = match.groups()
        else:
            parsed = datetime.fromisoformat(value)
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=VIETNAM)).astimezone(UTC)
        local = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            tzinfo=VIETNAM,
        )
    except ValueError as exc:
        raise EdxmlError(_("%(name)s is not a time: “%(value)s”.") % _bad(name, value)) from exc
    return local.astimezone(UTC)


def _bad(name: str, value: str) -> dict[str, str]:
    return {"name": name, "value": value[:40]}


def _org(element: etree._Element | None) -> Organization:
    return Organization(**{attr: _text(element, tag) for tag, attr in _ORG_FIELDS})


def _response_for(element: etree._Element) -> ResponseFor:
    return ResponseFor(
        organ_id=_text(element, "OrganId"),
        code=_text(element, "Code"),
        promulgation_date=_date(element, "PromulgationDate"),
        document_id=_text(element, "DocumentId"),
    )


def _content_id(value: str) -> str:
    return value[4:] if value.lower().startswith("cid:") else value


def _root(data: bytes) -> etree._Element:
    if not data or not data.strip():
        raise EdxmlError(_("The package is empty."))
    # A DOCTYPE is the only way to declare entities; edXML never needs one.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise EdxmlError(_("The package declares a DTD, which is not allowed."))
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise EdxmlError(_("The package is not well-formed XML.")) from exc
    if root.getroottree().docinfo.internalDTD is not None:
        raise EdxmlError(_("The package declares a DTD, which is not allowed."))
    if root.tag not in (_q("edXML"), _q("edXMLEnvelope")):
        raise EdxmlError(_("The package is not an edXML message (QCVN 102:2016 namespace)."))
    return root


def parse(
    data: bytes, *, max_attachments: int = 50, decode: bool = True
) -> DocumentMessage | StatusMessage:
    """Read an edXML package received from another agency, refusing anything unsafe or
    incomplete with an :class:`EdxmlError` whose message says what is wrong.

    `decode=False` checks each attachment's base64 as strictly without decoding it, and leaves
    its `data` empty: for a check of the whole package whose attachments are read later
    (the inbox keeps the package and imports it afterwards)."""
    root = _root(data)
    envelope = root if _named(root, "edXMLEnvelope") else _require(root, "edXMLEnvelope")
    header = _require(envelope, "edXMLHeader")
    message_header = _child(header, "MessageHeader")
    status = _child(header, "Status")
    if status is not None and message_header is None:
        return _parse_status(status)
    if message_header is None or status is not None:
        raise EdxmlError(_("The package must hold either a document or a status message."))
    attachments = _parse_attachments(root, envelope, max_attachments, decode)
    message = _parse_document(message_header, _child(header, "TraceHeaderList"), attachments)
    _check_document(message, max_attachments=max_attachments)
    return message


def _parse_document(
    head: etree._Element, traces: etree._Element | None, attachments: list[Attachment]
) -> DocumentMessage:
    code = _child(head, "Code")
    promulgation = _child(head, "PromulgationInfo")
    promulgation_date = _date(promulgation, "PromulgationDate")
    if promulgation_date is None:
        raise EdxmlError(_("The document has no promulgation date."))
    document_type = _child(head, "DocumentType")
    signer = _child(head, "SignerInfo")
    other = _child(head, "OtherInfo")
    responses = _children(head, "ResponseFor")
    business = _child(traces, "Bussiness")
    kind_code = _int(business, "BussinessDocType")
    if kind_code not in _BUSINESS_KINDS:
        raise EdxmlError(_("Unknown kind of business document: %(code)d.") % {"code": kind_code})
    return DocumentMessage(
        document_id=_text(head, "DocumentId"),
        from_=_org(_child(head, "From")),
        to=[_org(element) for element in _children(head, "To")],
        code=Code(number=_text(code, "CodeNumber"), notation=_text(code, "CodeNotation")),
        place=_text(promulgation, "Place"),
        promulgation_date=promulgation_date,
        type_code=_text(document_type, "Type"),
        type_name=_text(document_type, "TypeName"),
        subject=_text(head, "Subject"),
        content=_text(head, "Content"),
        signer=Signer(
            competence=_text(signer, "Competence"),
            position=_text(signer, "Position"),
            full_name=_text(signer, "FullName"),
        ),
        due_date=_date(head, "DueDate"),
        to_places=_texts(head, "ToPlaces", "Place"),
        priority=_int(other, "Priority"),
        sphere=_text(other, "SphereOfPromulgation"),
        promulgation_amount=_int(other, "PromulgationAmount"),
        page_amount=_int(other, "PageAmount"),
        appendixes=_texts(other, "Appendixes", "Appendix"),
        steering_type=_int(head, "SteeringType"),
        response_for=_response_for(responses[0]) if responses else None,
        trace=[
            TraceHeader(organ_id=_text(hop, "OrganId"), timestamp=_timestamp(hop, "Timestamp"))
            for hop in _children(traces, "TraceHeader")
        ],
        business=BusinessInfo(
            document_type=_BUSINESS_KINDS[kind_code],
            reason=_text(business, "BussinessDocReason"),
            replaced=[
                _text(info, "DocumentId")
                for info in _children(_child(business, "ReplacementInfoList"), "ReplacementInfo")
            ],
        ),
        attachments=attachments,
    )


def _parse_attachments(
    root: etree._Element, envelope: etree._Element, max_attachments: int, decode: bool
) -> list[Attachment]:
    manifest = _child(_child(envelope, "edXMLBody"), "edXMLManifest")
    references = _children(manifest, "Reference")
    encoded = _child(root, "AttachmentEncoded") if root is not envelope else None
    items = _children(
        encoded if encoded is not None else _child(envelope, "AttachmentEncoded"), "Attachment"
    )
    if max(len(references), len(items)) > max_attachments:
        raise EdxmlError(
            _("The package has more than %(limit)d attachments.") % {"limit": max_attachments}
        )
    listed: dict[str, etree._Element] = {}
    for reference in references:
        content_id = _content_id(_text(reference, "ContentId"))
        if not content_id:
            raise EdxmlError(_("An attachment has no content identifier."))
        if content_id in listed:
            raise EdxmlError(_("Two attachments have the same content identifier."))
        listed[content_id] = reference
    carried: dict[str, etree._Element] = {}
    for item in items:
        content_id = _content_id(_text(item, "ContentId"))
        if content_id in carried:
            raise EdxmlError(_("Two attachments have the same content identifier."))
        carried[content_id] = item
    missing = [content_id for content_id in listed if content_id not in carried]
    if missing:
        raise EdxmlError(
            _("The attachment “%(id)s” is listed but not included.") % {"id": missing[0][:60]}
        )
    unlisted = [content_id for content_id in carried if content_id not in listed]
    if unlisted:
        raise EdxmlError(
            _("The attachment “%(id)s” is not listed in the manifest.") % {"id": unlisted[0][:60]}
        )
    return [
        _attachment(content_id, ref, carried[content_id], decode)
        for content_id, ref in listed.items()
    ]


def _attachment(
    content_id: str, reference: etree._Element, item: etree._Element, decode: bool
) -> Attachment:
    name = _text(item, "AttachmentName") or _text(reference, "AttachmentName")
    payload = _require(item, "ContentTransferEncoded").text or ""
    try:
        encoded = _without_whitespace(payload.encode("ascii"))
        if decode:
            data = base64.b64decode(encoded, validate=True)
        else:
            _check_base64(encoded)
            data = b""
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise EdxmlError(
            _("The attachment “%(name)s” is not valid base64.") % {"name": name[:60]}
        ) from exc
    return Attachment(
        content_id=content_id,
        name=name,
        content_type=_text(item, "ContentType") or _text(reference, "ContentType"),
        data=data,
    )


def _without_whitespace(encoded: bytes) -> bytes:
    # Most senders write the base64 on one line: then there is nothing to copy.
    if any(space in encoded for space in _WHITESPACES):
        return encoded.translate(None, _WHITESPACE)
    return encoded


def _check_base64(encoded: bytes) -> None:
    """Accept what `b64decode(validate=True)` accepts, without decoding: letters of the
    alphabet, then "=" padding that completes the last group of four (after complete groups,
    that decoder lets any number of "=" through: so does this check)."""
    letters = encoded.rstrip(b"=")
    padding = len(encoded) - len(letters)
    if letters.translate(None, _BASE64_ALPHABET):
        raise binascii.Error("not base64")
    rest = len(letters) % 4
    if not (
        (rest == 0 and (letters or not padding))
        or (rest == 2 and padding == 2)
        or (rest == 3 and padding == 1)
    ):
        raise binascii.Error("incorrect padding")


def _parse_status(status: etree._Element) -> StatusMessage:
    code = _text(status, "StatusCode")
    staff = _child(status, "StaffInfo")
    message = StatusMessage(
        response_for=_response_for(_require(status, "ResponseFor")),
        from_=_org(_require(status, "From")),
        status_code=code.zfill(2) if len(code) == 1 else code,
        description=_text(status, "Description"),
        staff=StaffInfo(**{attr: _text(staff, tag) for tag, attr in _STAFF_FIELDS}),
        timestamp=_timestamp(status, "Timestamp"),
    )
    _check_status(message)
    return message
