"""Permission-matrix entries of the public verification (see secretariat/api/tests/matrix.py)."""

from __future__ import annotations

from secretariat.api.tests.matrix import Case

CASES: list[Case] = []

EXEMPT = {
    # Public by design (the QR code of every stamp leads there): anyone, signed in or not,
    # checks a PDF they hold; nothing is read from or written to the database but the trust
    # store. Rate-limited per address; see test_verify_page.py.
    "signing:verify",
    # The same check as JSON for programs, public for the same reason (auth=None).
    "api:verify_pdf",
}
