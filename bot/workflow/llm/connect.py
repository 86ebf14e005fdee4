"""Telling a setting that points nowhere from a passing outage, for the providers' error messages.

A connection that was refused, or a host name that does not resolve, will fail the same way a minute later: the
URL (or the network) needs fixing. A timeout, a dropped connection or a 5xx may pass: those are worth retrying.
"""

from __future__ import annotations

import socket


def unreachable(error: BaseException) -> str | None:
    """Why no connection could be made at all (walking `error`'s causes), or None when the failure is another."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return "connection refused: nothing listens there"
        if isinstance(current, socket.gaierror):
            return f"the host name does not resolve: {current.strerror or current}"
        current = current.__cause__ or current.__context__
    return None
