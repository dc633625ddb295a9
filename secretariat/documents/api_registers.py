"""Documents API (api_registers)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["documents"])
