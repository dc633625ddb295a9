"""API of the signing app (agent)."""

from ninja import Router

router = Router(tags=["signing"])
