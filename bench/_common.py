"""Helpers shared by the benchmark sections: paths, environments, databases, tables.

Nothing here imports Django: the harness process stays free of settings, and every
step that needs Django runs in a subprocess with its own environment (one database each).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DATABASE = "midoffice_bench"


def log(message: str) -> None:
    """Progress goes to stderr with a timestamp; results go to stdout."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Target:
    """One database the harness runs against, with the environment that points at it."""

    name: str  # "postgresql" or "sqlite"
    data_dir: Path
    database_url: str = ""  # empty: embedded SQLite in data_dir
    notes: list[str] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("MIDOFFICE_") and k != "DATABASE_URL"
        }
        env.update(
            MIDOFFICE_DATA_DIR=str(self.data_dir),
            MIDOFFICE_SECRET_KEY="bench",  # noqa: S106 - a throwaway benchmark server
            MIDOFFICE_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
            MIDOFFICE_LOG_LEVEL="WARNING",
            # Load runs send far more than a client may (ADR 11): no API rate limits here.
            MIDOFFICE_API_RATE_USER="",
            MIDOFFICE_API_RATE_ANON="",
            DJANGO_SETTINGS_MODULE="midoffice.settings",
            PYTHONUNBUFFERED="1",
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        env.update(extra)
        return env


def run(args: Sequence[str], *, env: dict[str, str], timeout: float | None = None) -> str:
    """Run a command, stream its stderr through, return its stdout; fail loudly."""
    result = subprocess.run(
        list(args),
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=None,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout)
        raise RuntimeError(f"command failed ({result.returncode}): {' '.join(args)}")
    return result.stdout


def psql(sql: str, *, database: str = "postgres") -> str:
    return subprocess.run(
        ["psql", f"{PG_ADMIN_URL}/{database}", "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    ).stdout


def postgres_available() -> bool:
    try:
        psql("SELECT 1")
    except (OSError, subprocess.CalledProcessError):
        return False
    return True


@contextlib.contextmanager
def postgres_target(database: str = PG_DATABASE) -> Iterator[Target]:
    """A fresh database (default ``midoffice_bench``) for this run, dropped at the end."""
    drop = f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"
    psql(drop)
    psql(f"CREATE DATABASE {database}")
    data_dir = Path(tempfile.mkdtemp(prefix=f"{database}-pg-"))
    try:
        yield Target("postgresql", data_dir, f"{PG_ADMIN_URL}/{database}")
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            psql(drop)
        shutil.rmtree(data_dir, ignore_errors=True)


@contextlib.contextmanager
def sqlite_target() -> Iterator[Target]:
    """A SQLite file in a temporary folder, removed at the end."""
    data_dir = Path(tempfile.mkdtemp(prefix="midoffice-bench-sqlite-"))
    try:
        yield Target("sqlite", data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def targets(
    pg_database: str, *, skip_postgres: bool, skip_sqlite: bool
) -> list[Callable[[], contextlib.AbstractContextManager[Target]]]:
    """The databases a section measures, in order (PostgreSQL first, in its own fresh
    database ``pg_database``; left out with a note when it cannot be reached)."""
    found: list[Callable[[], contextlib.AbstractContextManager[Target]]] = []
    if not skip_postgres:
        if postgres_available():
            found.append(lambda: postgres_target(pg_database))
        else:
            log("PostgreSQL is not reachable: skipped (set BENCH_PG_URL)")
    if not skip_sqlite:
        found.append(sqlite_target)
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table, right-aligned numbers."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        parts = []
        for i, cell in enumerate(row):
            numeric = n > 0 and cell.replace(".", "", 1).replace(",", "").isdigit()
            parts.append(cell.rjust(widths[i]) if numeric else cell.ljust(widths[i]))
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def signing_env(data_dir: Path) -> dict[str, str]:
    """A demo signing certificate and its root in ``data_dir``, and a timestamp authority
    that is configured but not reached: production start-up (``midoffice check``, run by
    ``migrate`` and by gunicorn's master) requires both (ADR 22a); no page measured signs."""
    from midoffice.integrations.signing.democert import generate_demo_p12, root_path_for

    p12 = generate_demo_p12(path=data_dir / "bench-signing.p12")
    return {
        "MIDOFFICE_SIGNING_P12": str(p12),
        "MIDOFFICE_SIGNING_TRUST_ROOT": str(root_path_for(p12)),
        "MIDOFFICE_SIGNING_TSA_URL": "http://127.0.0.1:9/tsa",  # discard port: never asked
    }
