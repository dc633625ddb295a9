"""Huey jobs: directive escalations."""

from __future__ import annotations
