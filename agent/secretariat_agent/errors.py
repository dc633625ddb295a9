"""What can go wrong, with a stable code (the web page translates known codes), a message for the
terminal, and the exit status of the command line."""

from __future__ import annotations

from typing import Any

# Exit statuses of `secretariat-agent sign` / `sign-digest`.
EXIT_OK = 0
EXIT_REFUSED = 1  # the server answered with a nonzero Status
EXIT_USAGE = 2  # wrong arguments or configuration
EXIT_TOKEN = 3  # the token, its PIN, its key or certificate
EXIT_NETWORK = 4  # the server could not be reached or answered something unexpected

_EXITS = {
    "refused": EXIT_REFUSED,
    "usage": EXIT_USAGE,
    "bad_request": EXIT_USAGE,
    "pin_incorrect": EXIT_TOKEN,
    "pin_locked": EXIT_TOKEN,
    "pin_missing": EXIT_USAGE,
    "module": EXIT_TOKEN,
    "token_not_found": EXIT_TOKEN,
    "key_not_found": EXIT_TOKEN,
    "certificate_mismatch": EXIT_TOKEN,
    "token": EXIT_TOKEN,
    "network": EXIT_NETWORK,
    "protocol": EXIT_NETWORK,
    "not_pdf": EXIT_NETWORK,
}


class AgentError(Exception):
    """A failure the official must be told about. `answer` is the server's JSON answer when the
    server refused (code "refused")."""

    def __init__(self, code: str, message: str, *, answer: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.answer = answer

    @property
    def exit_status(self) -> int:
        return _EXITS.get(self.code, EXIT_NETWORK)
