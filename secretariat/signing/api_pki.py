"""API of the signing app (pki)."""

from ninja import Router

router = Router(tags=["signing"])
