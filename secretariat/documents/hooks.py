"""Interfaces the documents app needs from higher layers, and their registry.

Registering a document is the records office's act (Decree 30 Art. 22: an incoming document
creates duties only once it is registered); what follows — the office's incoming processing
(Art. 20–24) — belongs to a higher layer that documents must not import. That layer declares
interest here: a `RegistrationHook` registered in its `AppConfig.ready()` is called at the end of
`registers.register_document`, inside the registration's transaction, so whatever it writes
commits or rolls back with the register entry (and its lock order is document → register →
audit chain, the registration's own).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .models import Document, RegisterEntry


class RegistrationHook(Protocol):
    """Told of every registration made by `registers.register_document` (any kind: incoming,
    outgoing, internal); ignores the kinds it does not handle. Raising rolls the registration
    back."""

    def on_registered(
        self, *, actor: Any | None, document: Document, entry: RegisterEntry, kind: str
    ) -> None: ...


_registration_hooks: list[RegistrationHook] = []


def register_registration_hook(hook: RegistrationHook) -> None:
    # ready() may run more than once (tests, reloads): registering twice must not act twice.
    if hook not in _registration_hooks:
        _registration_hooks.append(hook)


def unregister_registration_hook(hook: RegistrationHook) -> None:
    if hook in _registration_hooks:
        _registration_hooks.remove(hook)


def registration_hooks() -> list[RegistrationHook]:
    return list(_registration_hooks)
