"""A connection that could not be made at all (a setting to fix) told from a passing failure (worth retrying)."""

from __future__ import annotations

import socket

from bot.workflow.llm.connect import unreachable


def _wrapped(cause: BaseException) -> BaseException:
    """`cause` two levels down, as an SDK wraps a transport's error."""
    try:
        try:
            raise cause
        except BaseException as exc:
            raise OSError("All connection attempts failed") from exc
    except OSError as outer:
        try:
            raise RuntimeError("Connection error.") from outer
        except RuntimeError as top:
            return top


def test_a_refusal_or_an_unknown_host_among_the_causes_is_named() -> None:
    assert unreachable(_wrapped(ConnectionRefusedError(111, "refused"))) == "connection refused: nothing listens there"
    found = unreachable(_wrapped(socket.gaierror(-2, "Name or service not known")))
    assert found == "the host name does not resolve: Name or service not known"


def test_other_failures_are_not_a_setting() -> None:
    assert unreachable(_wrapped(ConnectionResetError(104, "reset by peer"))) is None
    assert unreachable(_wrapped(TimeoutError())) is None
