"""API of the signing app (verify)."""

from ninja import Router

router = Router(tags=["signing"])
