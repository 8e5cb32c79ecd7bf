"""One active scheduler per database, whatever is started by mistake (ADR 21b).

Every ``midoffice scheduler`` takes this lock before it enqueues anything; one that does
not get it stands by, says so in its log, and tries again every few seconds, so it takes
over when the active one stops or its host dies.

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held on a
  connection of the scheduler's own. The database releases it the moment that session
  ends (the process stopped, crashed, or its host is gone), so no expiry to wait for
  and no clock to trust.
- SQLite: the database is a file on one host, so every process that can use it runs on
  that host; an exclusive ``flock`` on a file beside the database file, which the kernel
  releases when the process ends, is the same promise.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from typing import IO, Protocol

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

logger = logging.getLogger(__name__)

# Any fixed 64-bit number; advisory locks are per database, so it only has to differ
# from other advisory locks Midoffice might take in the same database (none today).
ADVISORY_KEY = 0x4D49_444F_5343_4844  # "MIDOSCHD"


class SchedulerLock(Protocol):
    def acquire(self) -> bool:
        """Take the lock if it is free; never waits."""

    def held(self) -> bool:
        """Whether this process still holds it (False after losing its connection)."""

    def release(self) -> None:
        """Give it up (also when it was already lost)."""


class PostgresAdvisoryLock:
    """``pg_try_advisory_lock`` on a dedicated connection, kept open while active.

    Not Django's per-thread connection: that one is closed and reopened as Django sees
    fit (``CONN_MAX_AGE``), and closing it would silently drop the lock.
    """

    def __init__(self, alias: str = DEFAULT_DB_ALIAS, key: int = ADVISORY_KEY) -> None:
        self.alias = alias
        self.key = key
        self._connection: BaseDatabaseWrapper | None = None

    def _cursor_value(self, sql: str) -> object:
        if self._connection is None:
            self._connection = connections.create_connection(self.alias)
        with self._connection.cursor() as cursor:
            cursor.execute(sql, [self.key])
            row = cursor.fetchone()
        return row[0] if row else None

    def acquire(self) -> bool:
        try:
            return bool(self._cursor_value("SELECT pg_try_advisory_lock(%s)"))
        except DatabaseError:
            logger.warning("scheduler lock: database unreachable")
            self._close()
            return False

    def held(self) -> bool:
        if self._connection is None:
            return False
        try:
            # Asked of the server, not assumed: after a server restart the lock is gone.
            return bool(
                self._cursor_value(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND pid = pg_backend_pid() AND "
                    "((classid::bigint << 32) | objid::bigint) = %s"
                )
            )
        except DatabaseError:
            self._close()
            return False

    def release(self) -> None:
        if self._connection is not None:
            # A failure means the session is gone, and the lock with it.
            with contextlib.suppress(DatabaseError):
                self._cursor_value("SELECT pg_advisory_unlock(%s)")
        self._close()

    def _close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(DatabaseError):
                self._connection.close()
            self._connection = None


class FileLock:
    """An exclusive ``flock`` on ``path``; the kernel drops it when the process ends."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        handle = open(self.path, "ab")  # noqa: SIM115 - kept open while the lock is held
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def held(self) -> bool:
        return self._file is not None

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def scheduler_lock(alias: str = DEFAULT_DB_ALIAS) -> SchedulerLock:
    """The lock that fits the database: advisory on PostgreSQL, a file lock on SQLite."""
    connection = connections[alias]
    if connection.vendor == "postgresql":
        return PostgresAdvisoryLock(alias)
    if connection.vendor == "sqlite":
        return FileLock(os.fspath(connection.settings_dict["NAME"]) + ".scheduler-lock")
    raise NotImplementedError(f"no scheduler lock for {connection.vendor}")
