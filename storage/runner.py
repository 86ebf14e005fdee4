"""Which process executes a run, and whether that process is known to be gone.

Every run stores its runner, "<hostname>:<pid>:<boot>", where <boot> is a
random token drawn once per process: a later process that reuses the pid of
this one (a restarted container is pid 1 again) has another token. Recovery
(Repository.mark_interrupted) may fail a run as soon as its runner is known
dead: on this host, its pid no longer exists, or the pid is this very
process's but the token is not. A runner on another host, or a live pid that
another process took over, is only judged by the run's heartbeat.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class Runner:
    host: str
    pid: int
    boot: str

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.boot}"

    @classmethod
    def parse(cls, text: str) -> Runner | None:
        """The runner stored as `text`, or None when it is empty or malformed (a run from before runners)."""
        parts = text.rsplit(":", 2)
        if len(parts) != 3:
            return None
        host, pid, boot = parts
        if not (host and pid.isascii() and pid.isdigit() and int(pid) > 0 and boot):
            return None
        return cls(host, int(pid), boot)

    def is_dead(self) -> bool:
        """True when this runner is certainly gone; False when it is alive or cannot be checked from here."""
        me = current()
        if self.host != me.host:
            return False
        if self.pid == me.pid:
            return self.boot != me.boot
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # a process of another user holds the pid
            return False
        return False


_this: list[Runner] = []


def current() -> Runner:
    """This process's runner (drawn again in a forked child, whose pid differs)."""
    if not _this or _this[0].pid != os.getpid():
        _this[:] = [Runner(socket.gethostname(), os.getpid(), secrets.token_hex(8))]
    return _this[0]
