"""Huey jobs: task reminders and escalations."""

from __future__ import annotations
