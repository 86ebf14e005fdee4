"""What users see when the database fails, and the SQLite file watched for deletion.

A driver error carries SQL, parameters (the copy itself), the database's name and the driver's own words: it is
logged for the team's admin and never shown. Users get `UNUSABLE`, a StorageError that says what to do.

SQLite writes into the file it opened: a file deleted (or replaced) while copybot runs would take every later
write into an unlinked inode, lost at the next start. `DatabaseFile` remembers the file's device and inode and
fails every later check, loudly, once they change or the file is gone.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.errors import StorageError

# Driver errors come wrapped in DBAPIError; a connection refused is an OSError (TimeoutError included).
DATABASE_ERRORS = (SQLAlchemyError, OSError)
log = logging.getLogger("storage")
USER_MESSAGE = "copybot could not use its database just now."
HINT = "The team's admin can see why in the logs."


def unusable(error: BaseException, doing: str) -> StorageError:
    """Log `error` (what failed while `doing`) with its detail; return the StorageError users may see."""
    log.error("%s failed", doing, exc_info=error)
    return StorageError(USER_MESSAGE, hint=HINT)


class FileLost(StorageError):
    """The SQLite database file was deleted or replaced while copybot had it open."""


class DatabaseFile:
    """A SQLite database file's identity (device, inode), taken at the first check."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._identity: tuple[int, int] | None = None
        self._reported = False

    def check(self) -> None:
        """Raise FileLost (logging an ERROR the first time) when the file is gone or another file took its name."""
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            identity = None
        else:
            identity = (found.st_dev, found.st_ino)
        if self._identity is None and identity is not None:
            self._identity = identity
        if identity is None or identity != self._identity:
            if not self._reported:
                self._reported = True
                log.error(
                    "The SQLite database file %s was deleted or replaced while copybot was running: nothing more is "
                    "written, or it would be lost. Restore the file (or point DATABASE_URL at the right one) and "
                    "restart copybot.",
                    self.path,
                )
            raise FileLost("copybot's database file is gone.", hint=HINT)
