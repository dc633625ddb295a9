"""Sending and receiving packages.

Sending: `send_document_nondurable` / `send_status_nondurable` build the edXML, seal it to the
recipient node (`envelope.seal`) and write it to the outbox inside the caller's transaction (the
office's dispatch, the import of a received package): sent and recorded, or neither. The worker
(`worker.py`) delivers the outbox.

Receiving: `receive` checks each frame — structure, sender in the directory, sender certificate,
signature, relay trace, age, addressee, decryption, edXML — then records it in the inbox with a
signed receipt, in one transaction. The inbox is unique on the package id: a second delivery
gets the stored receipt and changes nothing. A frame that fails a check goes to quarantine with
the reason, and the sender gets a signed rejection. Accepted documents are imported as incoming
documents of the addressed unit by a job (`import_package`), which answers "received" (01).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from secretariat.audit.services import record
from secretariat.core import clock, keys
from secretariat.core.errors import ValidationFailed
from secretariat.core.locks import for_update
from secretariat.documents import storage
from secretariat.documents.models import Document, DocumentVersion, StoredFile, Urgency
from secretariat.documents.services import (
    IncomingFile,
    capture_prepare,
    clean_metadata,
    documents_capture_prepared_nondurable,
)
from secretariat.office.services.outgoing import notify_clerks
from secretariat.orgs.models import Unit

from . import bulk, directory, edxml, envelope, identity
from .models import (
    InboxPackage,
    InboxState,
    NodeIdentity,
    OutboxFrame,
    OutboxPackage,
    OutboxState,
    PackageKind,
    Quarantine,
)

logger = logging.getLogger(__name__)

_CONTENT_CONTEXT = "exchange.inbox:"
PRIORITY: dict[str, int] = {
    Urgency.NORMAL: 0,
    Urgency.URGENT: 1,
    Urgency.VERY_URGENT: 2,
    Urgency.FLASH: 3,
}
URGENCY: dict[int, str] = {value: key for key, value in PRIORITY.items()}
# What is wrong with a node's certificate, in words (tls.check_certificate's codes).
CERTIFICATE_PROBLEMS = {
    "untrusted": gettext_lazy("its node's certificate is not issued by the federation"),
    "not_yet_valid": gettext_lazy("its node's certificate is not valid yet"),
    "expired": gettext_lazy("its node's certificate has expired"),
    "revoked": gettext_lazy("its node's certificate is revoked"),
    "wrong_usage": gettext_lazy("its node's certificate is not meant for the exchange"),
}
# Why a package was refused, in the operator's words.
REASONS = {
    "malformed": gettext_lazy("the package is not well formed"),
    "tampered": gettext_lazy("the content does not match its digest (altered in transit)"),
    "too_large": gettext_lazy("the package is larger than this node accepts"),
    "conflict": gettext_lazy("another package already came with this id"),
    "unknown_sender": gettext_lazy("the sending node is not in the directory"),
    "unknown_organization": gettext_lazy("the sending organization is not in the directory"),
    "unknown_relay": gettext_lazy("a relay is not in the directory"),
    "bad_signature": gettext_lazy("the signature does not verify (forged or altered)"),
    "wrong_peer": gettext_lazy("the connection came from another node than the one that signed"),
    "expired": gettext_lazy("the package is too old (replayed or expired)"),
    "from_the_future": gettext_lazy("the package is dated in the future"),
    "not_addressed": gettext_lazy("the package is not addressed to this node"),
    "unknown_recipient": gettext_lazy("the addressed organization is not served by this node"),
    "cannot_decrypt": gettext_lazy("the package does not open with this node's key"),
    "malformed_edxml": gettext_lazy("the edXML content is not valid"),
    "unknown_document": gettext_lazy("the status refers to a document this node did not send"),
    "too_many_hops": gettext_lazy("the package went through too many relays"),
    "sender_certificate_untrusted": gettext_lazy("the sending node's certificate is not trusted"),
    "sender_certificate_not_yet_valid": gettext_lazy(
        "the sending node's certificate is not valid yet"
    ),
    "sender_certificate_expired": gettext_lazy("the sending node's certificate has expired"),
    "sender_certificate_revoked": gettext_lazy("the sending node's certificate is revoked"),
    "sender_certificate_wrong_usage": gettext_lazy(
        "the sending node's certificate is not for exchange"
    ),
}


def max_package_bytes() -> int:
    return int(settings.EXCHANGE_MAX_PACKAGE_BYTES)


def max_age() -> dt.timedelta:
    return dt.timedelta(hours=int(settings.EXCHANGE_MAX_AGE_HOURS))


class Refused(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


# --- Sending -----------------------------------------------------------------------------------


def _require_in_transaction(name: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{name} runs inside the caller's transaction")


def check_recipients(
    codes: Sequence[str],
    *,
    me: NodeIdentity | None = None,
    snap: directory.Snapshot | None = None,
) -> dict[str, str]:
    """Why each code cannot be sent to now (empty when all can): not in the directory, or its
    node's certificate is not valid. Checked before anything is written."""
    snap = snap or directory.snapshot()
    me = me or identity.identity()
    problems: dict[str, str] = {}
    for code in codes:
        if snap is None or me is None:
            problems[code] = _("this installation is not connected to the exchange yet")
            continue
        peer = snap.node_of(code)
        if peer is None:
            problems[code] = _("%(code)s is not in the exchange directory") % {"code": code}
        elif peer.node_id == me.node_id:
            problems[code] = _("%(code)s is served by this node: send it internally") % {
                "code": code
            }
        else:
            problem = snap.certificate_problem(peer)
            if problem is not None:
                problems[code] = _("%(code)s cannot be reached: %(problem)s") % {
                    "code": code,
                    "problem": CERTIFICATE_PROBLEMS.get(problem, problem),
                }
    return problems


def _queue(
    *,
    actor: Any | None,
    me: NodeIdentity,
    snap: directory.Snapshot,
    plaintext: bytes,
    kind: str,
    from_org: str,
    to_org: str,
    edxml_document_id: str,
    business: str = "",
    status_code: str = "",
    document: Document | None = None,
    dispatch_id: Any = None,
) -> OutboxPackage:
    peer = snap.node_of(to_org)
    if peer is None:
        raise ValidationFailed(_("%(code)s is not in the exchange directory.") % {"code": to_org})
    now = clock.now()
    package = envelope.seal(
        plaintext=plaintext,
        kind=kind,
        from_node=me.node_id,
        from_org=from_org,
        to_node=peer.node_id,
        to_org=to_org,
        signing_key=keys.node_signing_key(),
        recipient_key=peer.encryption_key,
        created_at=now,
    )
    row = OutboxPackage(
        package_id=uuid.UUID(package.header.id),
        kind=kind,
        from_org=from_org,
        to_org=to_org,
        to_node=peer.node_id,
        next_hop=snap.next_hop(peer).node_id,
        digest=package.digest,
        size=len(package.frame),
        next_attempt_at=now,
        edxml_document_id=edxml_document_id,
        business=business,
        status_code=status_code,
        document=document,
        dispatch_id=dispatch_id,
    )
    bulk.insert([row])
    bulk.insert([OutboxFrame(package=row, frame=package.frame)])
    record(
        actor=actor,
        action="exchange.package_queued",
        obj=row,
        data={
            "package": package.header.id,
            "kind": kind,
            "from": from_org,
            "to": to_org,
            "node": peer.node_id,
            "digest": package.digest,
            "business": business,
            "status": status_code,
        },
    )
    transaction.on_commit(_kick_worker)
    return row


def _kick_worker() -> None:
    """Without the listener's worker (which polls every second), a Huey task delivers now."""
    if settings.EXCHANGE_WORKER:
        return
    from . import tasks

    tasks.deliver_outbox()


def edxml_document_id(unit: Unit, document: Document) -> str:
    """The edXML DocumentId of a document this node sends: the sender's code and the
    document's id, unique and stable across resends."""
    return f"{unit.code},{document.pk}"


def _organization(unit: Unit) -> edxml.Organization:
    return edxml.Organization(organ_id=unit.code, organ_name=unit.name)


def _content(document: Document) -> tuple[StoredFile, str] | None:
    """The file a document is sent as (the PDF of its latest version, else the original) and
    the name it travels under, or None when the document has no version.

    One statement written out: through the ORM (select_related, ordering, deferred text and
    reports) this lookup cost twenty times as much, and it runs in the dispatch's
    transaction, for every document sent."""
    connection = connections[DocumentVersion.objects.db]
    quote = connection.ops.quote_name
    versions = quote(DocumentVersion._meta.db_table)
    files = quote(StoredFile._meta.db_table)
    document_id = DocumentVersion._meta.get_field("document").get_db_prep_value(
        document.pk, connection
    )
    columns = (
        "v.original_name, v.pdf_id IS NOT NULL AND v.pdf_id <> v.original_id,"
        " f.sha256, f.wrapped_key, f.master_key_id"
    )
    join = f"{versions} v JOIN {files} f ON f.sha256 = COALESCE(v.pdf_id, v.original_id)"
    sql = f"SELECT {columns} FROM {join} WHERE v.document_id = %s ORDER BY v.number DESC LIMIT 1"  # noqa: S608 (names from the models)
    with connection.cursor() as cursor:
        cursor.execute(sql, [document_id])
        found = cursor.fetchone()
    if found is None:
        return None
    original_name, is_pdf, *values = found
    stored = StoredFile.from_db(
        connection.alias, ["sha256", "wrapped_key", "master_key_id"], values
    )
    return stored, f"{_stem(original_name)}.pdf" if is_pdf else original_name


def _document_message(
    *,
    document: Document,
    unit: Unit,
    to_codes: Sequence[str],
    snap: directory.Snapshot,
    business: str,
    reason: str,
    replaces: Sequence[str],
) -> edxml.DocumentMessage:
    content = _content(document)
    if content is None:
        raise ValidationFailed(_("The document has no content to send."))
    stored, name = content
    data = storage.open_plaintext(stored)
    to = [
        edxml.Organization(organ_id=code, organ_name=snap.organization_names.get(code, ""))
        for code in to_codes
    ]
    doc_type = document.doc_type
    return edxml.DocumentMessage(
        document_id=edxml_document_id(unit, document),
        from_=_organization(unit),
        to=to,
        code=edxml.Code(number=document.number, notation=document.notation),
        place=document.place,
        promulgation_date=document.issued_on or timezone.localdate(),
        type_code=getattr(doc_type, "abbreviation", "") or "",
        type_name=getattr(doc_type, "name", "") or "",
        subject=document.subject,
        content="",
        signer=edxml.Signer(
            competence="", position=document.signer_title, full_name=document.signer_name
        ),
        due_date=document.due_on,
        to_places=[line.strip() for line in document.recipients.splitlines() if line.strip()],
        priority=PRIORITY.get(document.urgency, 0),
        page_amount=document.page_count or 0,
        business=edxml.BusinessInfo(
            document_type=_business(business), reason=reason, replaced=list(replaces)
        ),
        attachments=[
            edxml.Attachment(content_id="1", name=name, content_type="application/pdf", data=data)
        ],
    )


def _business(value: str) -> edxml.DocumentKind:
    if value == "update":
        return "update"
    if value == "replace":
        return "replace"
    if value == "revoke":
        return "revoke"
    return "new"


def _stem(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name else name


def send_document_nondurable(
    *,
    actor: Any | None,
    document: Document,
    unit: Unit,
    to_codes: Sequence[str],
    business: str = "new",
    reason: str = "",
    replaces: Sequence[str] = (),
    dispatch_ids: dict[str, Any] | None = None,
) -> list[OutboxPackage]:
    """Queue the document for each external organization, one package per organization (each
    recipient registers and answers for itself)."""
    _require_in_transaction("send_document_nondurable")
    me = identity.identity()
    snap = directory.snapshot()
    problems = check_recipients(to_codes, me=me, snap=snap)
    if problems or me is None or snap is None:
        first = next(iter(problems.values()), _("The exchange is not set up."))
        raise ValidationFailed(first, field_errors={"external_codes": list(problems.values())})
    message = _document_message(
        document=document,
        unit=unit,
        to_codes=to_codes,
        snap=snap,
        business=business,
        reason=reason,
        replaces=replaces,
    )
    plaintext = edxml.build_document(message)
    return [
        _queue(
            actor=actor,
            me=me,
            snap=snap,
            plaintext=plaintext,
            kind=PackageKind.DOCUMENT,
            from_org=unit.code,
            to_org=code,
            edxml_document_id=message.document_id,
            business=business,
            document=document,
            dispatch_id=(dispatch_ids or {}).get(code),
        )
        for code in to_codes
    ]


@transaction.atomic(durable=True)
def send_document(
    *, actor: Any | None, document: Document, unit: Unit, to_codes: Sequence[str]
) -> list[OutboxPackage]:
    """Send a document outside the office's dispatch (the `exchange_send` command)."""
    return send_document_nondurable(actor=actor, document=document, unit=unit, to_codes=to_codes)


def send_status_nondurable(
    *, actor: Any | None, inbox: InboxPackage, code: str, description: str = "", staff: str = ""
) -> OutboxPackage | None:
    """Answer the sender of a received document with a status message (01 received … 06
    done). Nothing is sent for packages that are not documents."""
    _require_in_transaction("send_status_nondurable")
    if inbox.kind != PackageKind.DOCUMENT or not inbox.edxml_document_id:
        return None
    me = identity.require_identity()
    snap = directory.require_snapshot()
    unit = Unit.objects.filter(code=inbox.to_org).first()
    message = edxml.StatusMessage(
        response_for=edxml.ResponseFor(
            organ_id=inbox.from_org,
            code="",
            promulgation_date=None,
            document_id=inbox.edxml_document_id,
        ),
        from_=edxml.Organization(organ_id=inbox.to_org, organ_name=unit.name if unit else ""),
        status_code=code,
        description=description[:1000],
        staff=edxml.StaffInfo(department="", staff=staff[:150], email="", mobile=""),
        timestamp=clock.now(),
    )
    return _queue(
        actor=actor,
        me=me,
        snap=snap,
        plaintext=edxml.build_status(message),
        kind=PackageKind.STATUS,
        from_org=inbox.to_org,
        to_org=inbox.from_org,
        edxml_document_id=inbox.edxml_document_id,
        status_code=code,
    )


# --- Receiving ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What the inbox answers for one frame: the signed receipt, and whether it accepted."""

    receipt: bytes
    accepted: bool


def receive(frames: Sequence[bytes], *, peer_certificate: bytes | None = None) -> list[Answer]:
    """Take delivered frames: each is checked on its own (one bad package does not spoil the
    others of a batch), and the row and signed receipt of each accepted one are made, before
    anything is written; then all are recorded in one transaction, with one audit event that
    lists every package accepted with its digest. The receipts leave only once it committed."""
    me = identity.require_identity()
    snap = directory.require_snapshot()
    known = {
        str(row.package_id): row
        for row in InboxPackage.objects.filter(
            package_id__in=[pid for pid in map(envelope.package_id_of, frames) if pid]
        ).only("package_id", "digest", "receipt")
    }
    local = _served_here(me, snap)
    outcomes = [_evaluate(me, snap, frame, peer_certificate, known, local) for frame in frames]
    with transaction.atomic(durable=True):
        answers = _record_batch(me, frames, outcomes)
    if any(isinstance(outcome, _Ready) and not outcome.relay for outcome in outcomes):
        _schedule_imports()
    return answers


def _receipt(
    me: NodeIdentity, *, package_id: str, accepted: bool, reason: str, detail: str, digest: str
) -> bytes:
    return envelope.sign_receipt(
        package_id=package_id,
        node=me.node_id,
        accepted=accepted,
        reason=reason,
        detail=detail,
        digest=digest,
        at=clock.now(),
        key=keys.node_signing_key(),
    ).to_bytes()


def receive_one(frame: bytes, *, peer_certificate: bytes | None = None) -> Answer:
    return receive([frame], peer_certificate=peer_certificate)[0]


@dataclass(frozen=True)
class _Ready:
    """A frame that passed every check, with its inbox row (not saved yet) and its signed
    receipt, waiting to be recorded."""

    package: envelope.Package
    message: edxml.DocumentMessage | edxml.StatusMessage | None
    relay: bool
    row: InboxPackage

    @property
    def answer(self) -> Answer:
        return Answer(receipt=bytes(self.row.receipt), accepted=True)

    @property
    def plain_document(self) -> bool:
        """Stored as it is: neither forwarded nor applied to a sent document."""
        return not self.relay and isinstance(self.message, edxml.DocumentMessage)


_Outcome = Answer | _Ready | tuple[envelope.Package | None, "Refused"]


def _served_here(me: NodeIdentity, snap: directory.Snapshot) -> set[str]:
    """The organizations the directory says this node serves that are active units here."""
    codes = {code for code, node_id in snap.organizations.items() if node_id == me.node_id}
    return set(Unit.objects.filter(code__in=codes, active=True).values_list("code", flat=True))


def _evaluate(
    me: NodeIdentity,
    snap: directory.Snapshot,
    frame: bytes,
    peer_certificate: bytes | None,
    known: dict[str, InboxPackage],
    local: set[str],
) -> _Outcome:
    """Every check of one frame, without writing anything."""
    try:
        package = _check_frame(frame)
    except Refused as refusal:
        return None, refusal
    existing = known.get(package.header.id)
    if existing is not None:
        return _again(package, existing)
    try:
        message, plaintext, relay = _check(me, snap, package, peer_certificate, local)
    except Refused as refusal:
        return package, refusal
    return _ready(me, package, message, plaintext, relay)


def _ready(
    me: NodeIdentity,
    package: envelope.Package,
    message: edxml.DocumentMessage | edxml.StatusMessage | None,
    plaintext: bytes,
    relay: bool,
) -> _Ready:
    """The inbox row and the receipt of a package that passed its checks (the content sealed
    for storage, the receipt signed), made before the write transaction."""
    header = package.header
    row = InboxPackage(
        package_id=uuid.UUID(header.id),
        kind=header.kind,
        from_node=header.from_node,
        from_org=header.from_org,
        to_org=header.to_org,
        digest=package.digest,
        size=len(package.frame),
        trace=[hop.as_json() for hop in package.trace],
        receipt=_receipt(
            me,
            package_id=header.id,
            accepted=True,
            reason="relayed" if relay else "",
            detail="",
            digest=package.digest,
        ),
        state=InboxState.ACCEPTED,
    )
    if relay:
        row.state = InboxState.RELAYED
    elif isinstance(message, edxml.DocumentMessage):
        row.content_sealed = keys.seal(plaintext, context=_CONTENT_CONTEXT + header.id)
        row.edxml_document_id = message.document_id[:200]
        row.business = message.business.document_type
    else:
        assert isinstance(message, edxml.StatusMessage)
        row.edxml_document_id = message.response_for.document_id[:200]
        row.status_code = message.status_code
        row.state = InboxState.APPLIED
    return _Ready(package=package, message=message, relay=relay, row=row)


def _record_batch(
    me: NodeIdentity, frames: Sequence[bytes], outcomes: Sequence[_Outcome]
) -> list[Answer]:
    """Write what the checks decided, inside the batch's transaction: the documents with one
    statement; relays, status messages (which may still be refused) and refusals one by one;
    then one audit event for the packages accepted."""
    plain = [item for item in outcomes if isinstance(item, _Ready) and item.plain_document]
    together = False
    if plain:
        try:
            with transaction.atomic():
                bulk.insert([item.row for item in plain])
            together = True
        except IntegrityError:
            pass  # one came meanwhile, or twice in this batch: one by one, each on its own
    answers: list[Answer] = []
    accepted: list[_Ready] = []
    for frame, outcome in zip(frames, outcomes, strict=True):
        if together and isinstance(outcome, _Ready) and outcome.plain_document:
            answers.append(outcome.answer)
            accepted.append(outcome)
            continue
        answer, stored = _record(me, frame, outcome)
        answers.append(answer)
        if stored is not None:
            accepted.append(stored)
    _record_received(accepted)
    return answers


def _record(me: NodeIdentity, frame: bytes, outcome: _Outcome) -> tuple[Answer, _Ready | None]:
    """Write what the checks decided for one frame, inside the batch's transaction. Returns
    the answer, and the package when it was accepted now."""
    if isinstance(outcome, Answer):
        return outcome, None
    if isinstance(outcome, _Ready):
        try:
            with transaction.atomic():
                _accept(me, outcome)
            return outcome.answer, outcome
        except IntegrityError:
            # The same package arrived twice at once (a retry racing the first try): the
            # other transaction won; answer with its receipt.
            existing = InboxPackage.objects.filter(package_id=outcome.package.header.id).first()
            if existing is None:
                raise
            again = _again(outcome.package, existing)
            if isinstance(again, Answer):
                return again, None
            return _quarantine(me, frame, again[0], again[1]), None
        except Refused as refused:
            return _quarantine(me, frame, outcome.package, refused), None
    package, refusal = outcome
    return _quarantine(me, frame, package, refusal), None


def _again(
    package: envelope.Package, existing: InboxPackage
) -> Answer | tuple[envelope.Package, Refused]:
    if existing.digest != package.digest:
        return package, Refused("conflict")
    return Answer(receipt=bytes(existing.receipt), accepted=True)


def _check_frame(frame: bytes) -> envelope.Package:
    if len(frame) > max_package_bytes():
        raise Refused("too_large", f"{len(frame)} bytes")
    try:
        return envelope.parse(frame)
    except envelope.EnvelopeError as exc:
        raise Refused(exc.reason, exc.detail) from exc


def _check(
    me: NodeIdentity,
    snap: directory.Snapshot,
    package: envelope.Package,
    peer_certificate: bytes | None,
    local: set[str],
) -> tuple[edxml.DocumentMessage | edxml.StatusMessage | None, bytes, bool]:
    header = package.header
    now = clock.now()
    sender = snap.nodes.get(header.from_node)
    if sender is None:
        raise Refused("unknown_sender", header.from_node)
    if snap.organizations.get(header.from_org) != header.from_node:
        raise Refused("unknown_organization", header.from_org)
    problem = snap.certificate_problem(sender, now)
    if problem is not None:
        raise Refused(f"sender_certificate_{problem}", header.from_node)
    try:
        envelope.verify(package, sender.signing_key)
        envelope.verify_trace(
            package, {node_id: peer.signing_key for node_id, peer in snap.nodes.items()}
        )
    except envelope.EnvelopeError as exc:
        raise Refused(exc.reason, exc.detail) from exc
    if peer_certificate is not None:
        last = package.trace[-1].node if package.trace else header.from_node
        expected = snap.nodes.get(last)
        if expected is None or expected.certificate_der != peer_certificate:
            raise Refused("wrong_peer", last)
    if header.created_at < now - max_age():
        raise Refused("expired", header.created_at.isoformat())
    if header.created_at > now + dt.timedelta(minutes=10):
        raise Refused("from_the_future", header.created_at.isoformat())
    if header.to_node != me.node_id:
        target = snap.nodes.get(header.to_node)
        if target is not None and target.via == me.node_id:
            return None, b"", True
        raise Refused("not_addressed", header.to_node)
    if header.to_org not in local:  # served here by the directory, and an active unit
        raise Refused("unknown_recipient", header.to_org)
    try:
        plaintext = envelope.open_(package, identity.encryption_key(me))
    except envelope.EnvelopeError as exc:
        raise Refused(exc.reason, exc.detail) from exc
    try:
        # Every check, the attachments' base64 included; the import decodes them.
        message = edxml.parse(plaintext, decode=False)
    except edxml.EdxmlError as exc:
        raise Refused("malformed_edxml", str(exc)) from exc
    _check_consistency(header, message)
    return message, plaintext, False


def _check_consistency(
    header: envelope.Header, message: edxml.DocumentMessage | edxml.StatusMessage
) -> None:
    if isinstance(message, edxml.DocumentMessage):
        if header.kind != PackageKind.DOCUMENT:
            raise Refused("malformed_edxml", "a document in a status envelope")
        if message.from_.organ_id != header.from_org:
            raise Refused("malformed_edxml", "edXML From differs from the envelope")
        if header.to_org not in {org.organ_id for org in message.to}:
            raise Refused("malformed_edxml", "edXML To does not name the addressee")
    else:
        if header.kind != PackageKind.STATUS:
            raise Refused("malformed_edxml", "a status in a document envelope")
        if message.from_.organ_id != header.from_org:
            raise Refused("malformed_edxml", "edXML From differs from the envelope")


def _accept(me: NodeIdentity, ready: _Ready) -> None:
    bulk.insert([ready.row])
    if ready.relay:
        _forward(me, ready.package)
    elif isinstance(ready.message, edxml.StatusMessage):
        _apply_status(ready.row, ready.message)


def _record_received(accepted: Sequence[_Ready]) -> None:
    """One audit event for the packages accepted together: each with its id and digest."""
    if not accepted:
        return
    record(
        actor=None,
        action="exchange.packages_received",
        object_type=InboxPackage._meta.label_lower,
        object_id=str(accepted[0].row.pk) if len(accepted) == 1 else "",
        data={
            "count": len(accepted),
            "packages": [
                {
                    "package": item.package.header.id,
                    "kind": item.package.header.kind,
                    "from": item.package.header.from_org,
                    "node": item.package.header.from_node,
                    "to": item.package.header.to_org,
                    "digest": item.package.digest,
                    "relayed": item.relay,
                    "trace": [hop.node for hop in item.package.trace],
                }
                for item in accepted
            ],
        },
    )


def _forward(me: NodeIdentity, package: envelope.Package) -> None:
    """A relay stores the package in its own outbox, with its trace entry, for the next hop."""
    snap = directory.require_snapshot()  # cached per directory version
    target = snap.nodes[package.header.to_node]
    forwarded = envelope.add_hop(
        package, node=me.node_id, key=keys.node_signing_key(), at=clock.now()
    )
    row = OutboxPackage.objects.create(
        package_id=uuid.UUID(package.header.id),
        kind=package.header.kind,
        from_org=package.header.from_org,
        to_org=package.header.to_org,
        to_node=target.node_id,
        next_hop=snap.next_hop(target).node_id if target.via != me.node_id else target.node_id,
        digest=package.digest,
        size=len(forwarded.frame),
        next_attempt_at=clock.now(),
        relayed=True,
    )
    OutboxFrame.objects.create(package=row, frame=forwarded.frame)
    transaction.on_commit(_kick_worker)


def _apply_status(row: InboxPackage, message: edxml.StatusMessage) -> None:
    from . import timeline

    sent = (
        OutboxPackage.objects.filter(
            kind=PackageKind.DOCUMENT,
            edxml_document_id=message.response_for.document_id,
            to_org=row.from_org,
            relayed=False,
        )
        .order_by("-created_at")
        .first()
    )
    if sent is None:
        raise Refused("unknown_document", message.response_for.document_id[:100])
    timeline.status_received(
        sent=sent,
        code=message.status_code,
        description=message.description,
        staff=message.staff.staff if message.staff else "",
        at=message.timestamp,
    )


def _quarantine(
    me: NodeIdentity, frame: bytes, package: envelope.Package | None, refusal: Refused
) -> Answer:
    header = package.header if package is not None else None
    package_id = header.id if header is not None else (envelope.package_id_of(frame) or "")
    digest = hashlib.sha256(frame).hexdigest()
    receipt = _receipt(
        me,
        package_id=package_id or "-",
        accepted=False,
        reason=refusal.reason,
        detail=refusal.detail,
        digest=package.digest if package is not None else digest,
    )
    oversized = refusal.reason == "too_large"
    with transaction.atomic():
        row = Quarantine.objects.create(
            package_id=package_id[:64],
            from_node=(header.from_node if header else "")[:64],
            from_org=(header.from_org if header else "")[:32],
            reason=refusal.reason[:32],
            detail=refusal.detail[:500],
            # An oversized frame is not kept: its size is the reason.
            frame=b"" if oversized else frame,
            digest=digest,
        )
        record(
            actor=None,
            action="exchange.package_quarantined",
            obj=row,
            data={
                "package": package_id,
                "reason": refusal.reason,
                "from": row.from_org,
                "node": row.from_node,
                "digest": digest,
            },
        )
    logger.warning(
        "exchange: package %s refused: %s %s", package_id, refusal.reason, refusal.detail
    )
    return Answer(receipt=receipt, accepted=False)


# --- Import into the office ------------------------------------------------------------------


def _schedule_imports() -> None:
    """Without the listener's worker (which imports what waits every second), one Huey task
    per received batch imports what waits."""
    if settings.EXCHANGE_WORKER:
        return
    from . import tasks

    tasks.import_received()


def import_package(*, package_id: str) -> InboxPackage | None:
    """Make a received document an incoming document of the addressed unit, waiting for
    registration, with its signature report; answer "received" to the sender. Idempotent."""
    row = InboxPackage.objects.filter(package_id=package_id, state=InboxState.ACCEPTED).first()
    if row is None:
        return None
    message = edxml.parse(
        keys.unseal(
            bytes(row.content_sealed or b""), context=_CONTENT_CONTEXT + str(row.package_id)
        )
    )
    assert isinstance(message, edxml.DocumentMessage)
    if message.business.document_type == "revoke":
        return _import_revocation(row, message)
    unit = Unit.objects.filter(code=row.to_org).first()
    files = [
        IncomingFile(
            name=attachment.name or f"{attachment.content_id}.pdf",
            data=attachment.data,
            content_type=attachment.content_type,
        )
        for attachment in message.attachments
    ]
    try:
        if unit is None:
            raise ValidationFailed(
                _("The addressed unit %(code)s no longer exists.") % {"code": row.to_org}
            )
        if not files:
            raise ValidationFailed(_("The package carries no file."))
        prepared = capture_prepare(files)
        metadata = clean_metadata(_metadata(message))
    except ValidationFailed as exc:
        with transaction.atomic(durable=True):
            locked = for_update(InboxPackage.objects).get(pk=row.pk)
            if locked.state != InboxState.ACCEPTED:
                return locked
            locked.import_error = str(exc.message)[:500]
            locked.save(update_fields=["import_error", "updated_at"])
            send_status_nondurable(
                actor=None, inbox=locked, code=edxml.STATUS_REJECTED, description=str(exc.message)
            )
            locked.state = InboxState.IMPORTED
            locked.save(update_fields=["state", "updated_at"])
            record(
                actor=None,
                action="exchange.package_import_failed",
                obj=locked,
                data={"package": package_id, "error": str(exc.message)[:300]},
            )
        return locked
    with transaction.atomic(durable=True):
        locked = for_update(InboxPackage.objects).get(pk=row.pk)
        if locked.state != InboxState.ACCEPTED:
            return locked
        assert unit is not None
        documents = documents_capture_prepared_nondurable(
            actor=None, unit=unit, prepared=prepared[:1], metadata=metadata
        )
        for extra, attachment in zip(prepared[1:], message.attachments[1:], strict=True):
            documents_capture_prepared_nondurable(
                actor=None,
                unit=unit,
                prepared=[extra],
                metadata={
                    **metadata,
                    "subject": f"{metadata.get('subject', '')} — {attachment.name}"[:1000],
                },
            )
        locked.document = documents[0]
        locked.state = InboxState.IMPORTED
        locked.save(update_fields=["document", "state", "updated_at"])
        record(
            actor=None,
            action="exchange.package_imported",
            unit=unit,
            obj=locked,
            data={"package": package_id, "document": str(documents[0].pk), "from": locked.from_org},
        )
        send_status_nondurable(actor=None, inbox=locked, code=edxml.STATUS_RECEIVED)
        _apply_business(locked, message, documents[0])
        notify_clerks(
            unit,
            gettext_lazy("%(org)s sent “%(subject)s” through the exchange: register it.")
            % {
                "org": metadata.get("issuing_body") or locked.from_org,
                "subject": documents[0].subject[:120],
            },
            reverse("documents:detail", args=[documents[0].pk]),
        )
    return locked


def _import_revocation(row: InboxPackage, message: edxml.DocumentMessage) -> InboxPackage:
    """A revocation brings no new document: it marks the earlier one and is acknowledged."""
    from . import timeline

    with transaction.atomic(durable=True):
        locked = for_update(InboxPackage.objects).get(pk=row.pk)
        if locked.state != InboxState.ACCEPTED:
            return locked
        locked.state = InboxState.IMPORTED
        locked.save(update_fields=["state", "updated_at"])
        for replaced in message.business.replaced:
            timeline.earlier_superseded(
                inbox=locked, replaced_document_id=replaced, document=None, revoked=True
            )
        record(
            actor=None,
            action="exchange.package_imported",
            obj=locked,
            data={"package": str(locked.package_id), "revokes": message.business.replaced},
        )
        send_status_nondurable(actor=None, inbox=locked, code=edxml.STATUS_RECEIVED)
    return locked


def _metadata(message: edxml.DocumentMessage) -> dict[str, Any]:
    return {
        "subject": message.subject,
        "issuing_body": message.from_.organ_name or message.from_.organ_id,
        "number": message.code.number,
        "notation": message.code.notation,
        "place": message.place,
        "issued_on": message.promulgation_date.isoformat() if message.promulgation_date else "",
        "signer_name": message.signer.full_name if message.signer else "",
        "signer_title": message.signer.position if message.signer else "",
        "urgency": URGENCY.get(message.priority, Urgency.NORMAL),
        "due_on": message.due_date.isoformat() if message.due_date else "",
        "recipients": "\n".join(message.to_places),
    }


def _apply_business(
    inbox: InboxPackage, message: edxml.DocumentMessage, document: Document
) -> None:
    """Replacement and revocation: the earlier document from the same sender is marked."""
    from . import timeline

    if message.business.document_type == "replace":
        for replaced in message.business.replaced:
            timeline.earlier_superseded(
                inbox=inbox,
                replaced_document_id=replaced,
                document=document,
                revoked=False,
            )


def import_pending(*, limit: int = 200) -> int:
    """Import the received documents still waiting (the node's worker loop and a periodic task
    call this; `import_package` is idempotent)."""
    ids = list(
        InboxPackage.objects.filter(state=InboxState.ACCEPTED)
        .order_by("created_at")
        .values_list("package_id", flat=True)[:limit]
    )
    for package_id in ids:
        try:
            import_package(package_id=str(package_id))
        except Exception:  # one broken package must not block the others
            logger.exception("exchange: import of %s failed", package_id)
    return len(ids)


# --- Operator actions ------------------------------------------------------------------------


@transaction.atomic(durable=True)
def outbox_retry(*, actor: Any, package: OutboxPackage) -> OutboxPackage:
    """Send again now: a refused or expired package (after the cause was mended, e.g. a new
    directory), or a queued one without waiting for its backoff. Same package id: the
    recipient's inbox still takes it once."""
    from secretariat.signing import pki

    pki.require_node_wide(actor)
    locked = for_update(OutboxPackage.objects).get(pk=package.pk)
    if locked.state == OutboxState.DELIVERED:
        raise ValidationFailed(_("This package was delivered; there is nothing to retry."))
    before = {"state": locked.state, "attempts": locked.attempts}
    locked.state = OutboxState.QUEUED
    locked.next_attempt_at = clock.now()
    locked.lease_until = None
    locked.save(update_fields=["state", "next_attempt_at", "lease_until", "updated_at"])
    record(
        actor=actor,
        action="exchange.package_retried",
        obj=locked,
        before=before,
        after={"state": locked.state},
        data={"package": str(locked.package_id), "to": locked.to_org},
    )
    transaction.on_commit(_kick_worker)
    return locked


def quarantine_release(*, actor: Any, item: Quarantine) -> Answer:
    """Check a quarantined package again (after the cause was mended, e.g. a directory that
    now lists its sender) and accept it if it passes; it stays in quarantine otherwise."""
    from secretariat.signing import pki

    pki.require_node_wide(actor)
    me = identity.require_identity()
    if item.released_at is not None:
        raise ValidationFailed(_("This package was already released."))
    if not item.frame:
        raise ValidationFailed(
            _("This package was not kept (too large); ask the sender to resend it.")
        )
    snap = directory.require_snapshot()
    frame = bytes(item.frame)
    known = {
        str(row.package_id): row
        for row in InboxPackage.objects.filter(
            package_id=envelope.package_id_of(frame) or "00000000-0000-0000-0000-000000000000"
        )
    }
    outcome = _evaluate(me, snap, frame, None, known, _served_here(me, snap))
    if not isinstance(outcome, Answer | _Ready):
        _package, refusal = outcome
        raise ValidationFailed(
            _("The package still fails: %(reason)s.")
            % {"reason": REASONS.get(refusal.reason, refusal.reason)}
        )
    with transaction.atomic(durable=True):
        locked = for_update(Quarantine.objects).get(pk=item.pk)
        if locked.released_at is not None:
            raise ValidationFailed(_("This package was already released."))
        answer, stored = _record(me, frame, outcome)
        if not answer.accepted:
            raise ValidationFailed(_("The package still fails its checks."))
        _record_received([stored] if stored is not None else [])
        locked.released_at = clock.now()
        locked.released_by = actor
        locked.save(update_fields=["released_at", "released_by", "updated_at"])
        record(
            actor=actor,
            action="exchange.package_released",
            obj=locked,
            data={"package": locked.package_id, "reason": locked.reason, "digest": locked.digest},
        )
    _schedule_imports()
    return answer
