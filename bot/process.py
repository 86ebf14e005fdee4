"""The copybot process's start and end: used by its entry points only (`copybot`, `python -m bot`), never by code
that runs inside another program (tests call bot.cli.main, which returns its exit status).

Start: the cyclic garbage collector is off. Start-up is imports (the anthropic SDK alone builds some 1,500
pydantic model classes), whose objects all live until exit; the collector's passes over them cost about a
tenth of start-up (README, "Startup") and free nothing. Reference counting still frees everything else at
once; a one-shot command exits within seconds (minutes with the local model). `copybot serve` runs for days:
once started it calls `settle()`, which freezes what start-up built (never scanned again) and turns the
collector back on.

End: once the command has returned, its output is written and its storage closed (bot/app.py closes every part
it built), so `exit_now` runs the atexit handlers (logging's flush among them), flushes stdout and stderr and
ends the process with os._exit: the interpreter's teardown of every imported module (a third of a second after
a run on Claude) is skipped.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
from typing import NoReturn

FLUSH_FAILED = 120  # what Python itself exits with when stdout cannot be flushed at exit (e.g. a closed pipe)


def start() -> None:
    gc.disable()


def settle() -> None:
    """For a long-running process, once started: start-up's objects are frozen and the collector is on again."""
    gc.freeze()
    gc.enable()


def exit_now(code: int) -> NoReturn:
    """End the process with `code` now that main() has returned. Under a profiler or tracer (`python -m cProfile
    -m bot`, coverage, a debugger) it exits the usual way instead, so the tool can write what it gathered."""
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # None when the process was started without it
                stream.flush()
        except (OSError, ValueError):  # a closed pipe (`copybot history | head -1`), or a stream closed already
            code = code or FLUSH_FAILED
    os._exit(code)
