"""The node-to-node endpoints, served only on the exchange listener (mutual TLS,
`exchange_serve`): packages in, receipts out; the directory for refreshes."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from . import directory, envelope, services

MTLS_SCOPE_KEY = "secretariat.exchange_mtls"
PEER_SCOPE_KEY = "secretariat.peer_certificate"


def _through_mtls(request: HttpRequest) -> bool:
    scope = getattr(request, "scope", None)
    return bool(scope and scope.get(MTLS_SCOPE_KEY))


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)


@csrf_exempt
@require_POST
def packages(request: HttpRequest) -> HttpResponse:
    """A batch of frames (`envelope.pack_batch`); answers one signed receipt per frame, in
    order, each saying accepted or refused with the reason."""
    if not _through_mtls(request):
        return _error(403, "mtls_required", "Packages are accepted on the exchange listener only.")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _error(400, "bad_length", "Content-Length is not a number.")
    if length <= 0:
        return _error(400, "empty", "The request carries no package.")
    if length > int(settings.EXCHANGE_BATCH_BYTES) + int(settings.EXCHANGE_MAX_PACKAGE_BYTES):
        return _error(413, "too_large", "The request is larger than this node accepts.")
    body = request.read(length)
    try:
        frames = envelope.unpack_batch(body, max_frames=int(settings.EXCHANGE_BATCH_FRAMES))
    except envelope.EnvelopeError as exc:
        return _error(400, "malformed", exc.detail or exc.reason)
    scope = getattr(request, "scope", {})
    peer = scope.get(PEER_SCOPE_KEY)
    answers = services.receive(frames, peer_certificate=peer)
    payload = b'{"receipts":[' + b",".join(answer.receipt for answer in answers) + b"]}"
    return HttpResponse(payload, content_type="application/json")


@csrf_exempt
@require_POST
def ping(request: HttpRequest) -> HttpResponse:
    """A node checks that it reaches this one over the channel (and measures it: the
    benchmark's baseline is plain POSTs here). The body is read and discarded."""
    if not _through_mtls(request):
        return _error(403, "mtls_required", "The exchange listener only.")
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > int(settings.EXCHANGE_BATCH_BYTES):
        return _error(413, "too_large", "The request is larger than this node accepts.")
    received = len(request.read(length)) if length > 0 else 0
    return JsonResponse({"received": received})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def directory_document(request: HttpRequest) -> HttpResponse:
    """The directory in force on this node (the authority's is the one nodes refresh from).
    POST with an empty body is the same: the nodes' client speaks POST only."""
    if not _through_mtls(request):
        return _error(
            403, "mtls_required", "The directory is served on the exchange listener only."
        )
    document = directory.latest_document()
    if document is None:
        return _error(404, "no_directory", "No directory is in force here.")
    return HttpResponse(document, content_type="application/json")
