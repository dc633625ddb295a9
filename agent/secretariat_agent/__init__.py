"""Secretariat's workstation signing agent: signs PDFs with the official's USB token (PKCS#11)
through the server's one-time URLs. A separate program: it does not import the server's code."""

__version__ = "0.1.0"
