"""The database part of a backup: one consistent snapshot per vendor, and its restore.

PostgreSQL: a ``REPEATABLE READ`` transaction exports its snapshot; ``pg_dump --snapshot``
dumps exactly that snapshot, and the row counts and the stored-file names are read in the
same transaction, so the manifest describes the very rows in the dump. SQLite: the online
backup API copies the database in one step (one read transaction); counts and names are
read from the copy.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.db import DEFAULT_DB_ALIAS, connection, connections

from midoffice.core.backup.manifest import BackupError, Readable
from midoffice.core.backup.references import referenced_names

PG_MEMBER = "database.dump"
SQLITE_MEMBER = "database.sqlite3"
CHUNK = 1024 * 1024


@dataclass
class Snapshot:
    path: Path
    member: str
    migrations: list[str]
    tables: dict[str, int]
    references: set[str]


def vendor() -> str:
    return str(connection.vendor)


def _quote(name: str) -> str:
    return str(connection.ops.quote_name(name))


def table_counts(cursor: Any, tables: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 - introspected names
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _facts(cursor: Any, tables: list[str], path: Path, member: str) -> Snapshot:
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    migrations = [f"{app}.{name}" for app, name in cursor.fetchall()]
    return Snapshot(
        path=path,
        member=member,
        migrations=migrations,
        tables=table_counts(cursor, tables),
        references=referenced_names(cursor, _quote),
    )


def snapshot_take(work: Path) -> Snapshot:
    """Dump the database into ``work``; return the dump and what the snapshot holds."""
    if vendor() == "postgresql":
        return _pg_snapshot(work)
    if vendor() == "sqlite":
        return _sqlite_snapshot(work)
    raise BackupError(f"backup does not support the {vendor()} database")


def _pg_environment() -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump/pg_restore from the settings; the password only in
    the environment (a command line is visible to every user of the machine)."""
    params = connection.settings_dict
    args: list[str] = []
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if params.get(key):
            args += [flag, str(params[key])]
    env = dict(os.environ)
    if params.get("PASSWORD"):
        env["PGPASSWORD"] = str(params["PASSWORD"])
    for option, variable in (
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
    ):
        if params.get("OPTIONS", {}).get(option):
            env[variable] = str(params["OPTIONS"][option])
    return args, env


def _run(command: list[str], *, env: dict[str, str]) -> None:
    program = command[0]
    if shutil.which(program) is None:
        raise BackupError(f"{program} is not installed (Debian: apt install postgresql-client)")
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(
            f"{program} failed ({result.returncode}): {result.stderr.strip()[-2000:]}"
        )


def _pg_snapshot(work: Path) -> Snapshot:
    path = work / PG_MEMBER
    args, env = _pg_environment()
    # A connection of its own: its transaction must stay open while pg_dump runs.
    own = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with own.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot_id = str(cursor.fetchone()[0])
            facts = _facts(cursor, own.introspection.table_names(cursor), path, PG_MEMBER)
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    f"--snapshot={snapshot_id}",
                    "--file",
                    str(path),
                    *args,
                    "--dbname",
                    str(connection.settings_dict["NAME"]),
                ],
                env=env,
            )
            cursor.execute("ROLLBACK")
    finally:
        own.close()
    return facts


def _sqlite_snapshot(work: Path) -> Snapshot:
    path = work / SQLITE_MEMBER
    source = sqlite3.connect(str(connection.settings_dict["NAME"]), timeout=30)
    copy = sqlite3.connect(str(path))
    try:
        source.backup(copy)  # all pages in one step: one read transaction, one snapshot
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file in the archive
        cursor = copy.cursor()
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        tables = [row[0] for row in cursor.fetchall()]
        return _facts(cursor, tables, path, SQLITE_MEMBER)
    finally:
        copy.close()
        source.close()


# --- restore -------------------------------------------------------------------------


def database_describe() -> str:
    params = connection.settings_dict
    if vendor() == "sqlite":
        return str(params["NAME"])
    return f"{params.get('NAME')} on {params.get('HOST') or 'localhost'}"


def database_tables() -> list[str]:
    with connection.cursor() as cursor:
        return list(connection.introspection.table_names(cursor))


def database_counts(tables: list[str]) -> dict[str, int]:
    with connection.cursor() as cursor:
        return table_counts(cursor, tables)


def database_restore(
    member: str, stream: Readable, *, copy: Callable[[Readable, IO[bytes]], None], work: Path
) -> None:
    """Load the dump read from ``stream`` into the (checked empty) database.

    ``copy`` moves the bytes and checks their hash on the way.
    """
    if member == PG_MEMBER and vendor() == "postgresql":
        path = work / PG_MEMBER
        with path.open("wb") as out:
            copy(stream, out)
        args, env = _pg_environment()
        connection.close()
        # One transaction: a failing restore leaves the database as empty as it was.
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                *args,
                "--dbname",
                str(connection.settings_dict["NAME"]),
                str(path),
            ],
            env=env,
        )
        return
    if member == SQLITE_MEMBER and vendor() == "sqlite":
        target = Path(str(connection.settings_dict["NAME"]))
        partial = target.with_name(target.name + ".restore-partial")
        try:
            with partial.open("wb") as out:
                copy(stream, out)
                out.flush()
                os.fsync(out.fileno())
            connection.close()
            for suffix in ("-wal", "-shm"):  # of the empty database checked before
                target.with_name(target.name + suffix).unlink(missing_ok=True)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return
    raise BackupError(f"this archive holds {member}, which cannot go into a {vendor()} database")
