"""DATABASE_URL, parsed once into the value storage's public API takes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.errors import ConfigError, StorageError

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


@dataclass(frozen=True)
class DatabaseConfig:
    """Where runs are stored: an async driver URL (aiosqlite or asyncpg)."""

    url: URL

    @classmethod
    def parse(cls, database_url: str) -> DatabaseConfig:
        """DATABASE_URL -> a config; `sqlite://` and `postgres(ql)://` get aiosqlite / asyncpg.

        Raises ConfigError naming DATABASE_URL, never showing its value (it may hold a password).
        """
        try:
            url = make_url(database_url)
        except (ArgumentError, ValueError) as exc:
            raise ConfigError(
                f"DATABASE_URL is not a valid database URL ({exc}).",
                hint="Use e.g. sqlite+aiosqlite:///copybot.db or postgresql+asyncpg://user:pass@host:5432/db.",
            ) from None
        driver = _DRIVERS.get(url.drivername)
        if driver is None:
            raise ConfigError(
                f"DATABASE_URL uses {url.drivername!r}; copybot supports SQLite (aiosqlite) and PostgreSQL (asyncpg).",
                hint="Use sqlite+aiosqlite:///copybot.db or postgresql+asyncpg://user:pass@host/db.",
            )
        url = url.set(drivername=driver)
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            raise ConfigError(
                "DATABASE_URL points at an in-memory SQLite database, which would lose every run.",
                hint="Use a file, e.g. sqlite+aiosqlite:///copybot.db.",
            )
        return cls(url)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def path(self) -> Path | None:
        """The SQLite database file (None for PostgreSQL)."""
        return Path(self.url.database or "") if self.is_sqlite else None

    @property
    def where(self) -> str:
        """The database for messages: the SQLite file, or host:port/name (never the password)."""
        if self.path is not None:
            return f"the SQLite database {self.path}"
        url = self.url
        return f"PostgreSQL at {url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"

    def check_exists(self) -> None:
        """For commands that only read: a SQLite file that does not exist is a StorageError saying so (they create
        nothing). PostgreSQL's database is the server's to create."""
        self.check_directory()
        if self.path is not None and not self.path.exists():
            raise StorageError(
                f"There is no database at {self.path.resolve()}: nothing has been stored there yet.",
                hint="`copybot run`, `copybot serve` and `copybot db upgrade` create it. If your runs are elsewhere, "
                "point DATABASE_URL at them (a relative path starts from the working directory).",
            )

    def check_directory(self) -> None:
        """A SQLite file's directory must exist (SQLite would say only "unable to open database file")."""
        if self.path is not None and not self.path.parent.is_dir():
            raise self.unreachable(f"the directory {self.path.parent} does not exist")

    def unreachable(self, reason: object) -> StorageError:
        """The error for a database that cannot be connected to: where it is and what to check."""
        if self.path is not None:
            hint = "Check DATABASE_URL and that the file's directory exists and is writable."
        else:
            hint = "Check DATABASE_URL (host, port, database, user) and that the PostgreSQL server is running."
        return StorageError(f"Cannot reach {self.where}: {reason}.", hint=hint)

    def __str__(self) -> str:
        return self.url.render_as_string(hide_password=True)
