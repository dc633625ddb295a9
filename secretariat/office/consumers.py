"""WebSocket consumers of the office app (the directive acknowledgement matrix)."""
