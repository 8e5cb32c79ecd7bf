"""Section "backup": ``midoffice backup`` and ``midoffice restore`` time and archive size.

    .venv/bin/python bench/bench_backup.py [--skip-sqlite] [--skip-postgres]
        [--dossiers 1000000] [--files 50000]

Run by ``bench/run.py`` as section ``backup`` (``BENCH_QUICK=1``: 20,000 dossiers and
1,000 files; ``BENCH_DOSSIERS`` sets the size; ``BENCH_SKIP_SQLITE`` /
``BENCH_SKIP_POSTGRES`` leave a database out). Per database - PostgreSQL in a fresh
database ``midoffice_bench_backup`` restored into ``midoffice_bench_backup_restored`` (both
dropped at the end), SQLite in temporary folders - it migrates, bulk-loads the dossiers
with ``bench/loader.py`` (contacts, dossiers, events), writes F stored files of 20 KB of
mail-like text (one per twenty dossiers by default: the raw mails and attachments of a
town; written straight into the storage folder, which is what the backup reads), then
times ``midoffice backup --out …`` and ``midoffice restore …`` into the empty database
and an empty storage folder, each as the operator runs it (a subprocess).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    BENCH,
    BIN,
    PG_ADMIN_URL,
    Target,
    log,
    psql,
    run,
    table,
    targets,
)

PG_DATABASE = "midoffice_bench_backup"
WORDS = [
    "beste", "dossier", "aanvraag", "verbouwing", "garage", "keuken", "vergunning",
    "gemeente", "bijlage", "plan", "parkeerkaart", "afval", "premie", "adres", "groeten",
    "vriendelijke", "vraag", "antwoord", "termijn",
]  # fmt: skip


@dataclass
class Result:
    database: str
    dossiers: int
    files: int
    rows: int = 0
    files_mb: float = 0.0
    archive_mb: float = 0.0
    backup_s: float = 0.0
    restore_s: float = 0.0
    notes: list[str] = field(default_factory=list)


def _write_files(folder: Path, count: int, seed: int = 7) -> float:
    """``count`` files of about 20 KB of mail-like text, content-addressed like intake's."""
    rng = random.Random(seed)
    total = 0
    for n in range(count):
        text = " ".join(rng.choice(WORDS) for _ in range(2_800)) + f"\n{n}\n"
        data = text.encode()
        digest = hashlib.sha256(data).hexdigest()
        path = folder / "sha256" / digest[:2] / digest[2:4] / digest
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        total += len(data)
    return total / 1e6


@contextlib.contextmanager
def _restore_target(source: Target) -> Iterator[Target]:
    """An empty database and data folder next to ``source``."""
    folder = source.data_dir / "restored"
    folder.mkdir()
    if source.name == "sqlite":
        yield Target("sqlite", folder)
        return
    name = f"{PG_DATABASE}_restored"
    drop = f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    psql(drop)
    psql(f"CREATE DATABASE {name}")
    try:
        yield replace(source, data_dir=folder, database_url=f"{PG_ADMIN_URL}/{name}")
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            psql(drop)


def _timed(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    out = run(args, env=env)
    return time.perf_counter() - started, out


def measure(target: Target, args: argparse.Namespace) -> Result:
    result = Result(target.name, args.dossiers, args.files)
    env = target.env()
    run([str(BIN / "midoffice"), "migrate", "--no-input", "-v0"], env=env)
    log(f"backup {target.name}: migrated; loading {args.dossiers:,} dossiers")
    run(
        [str(BIN / "python"), str(BENCH / "loader.py"), "load", "--dossiers",
         str(args.dossiers), "--out", str(target.data_dir / "load.json")],
        env=env,
    )  # fmt: skip
    result.files_mb = _write_files(target.data_dir / "files", args.files)
    archive = target.data_dir / "backup.tar.gz"
    log(f"backup {target.name}: {args.files:,} files ({result.files_mb:.0f} MB); backing up")
    result.backup_s, out = _timed(
        [str(BIN / "midoffice"), "backup", "--out", str(archive)], env=env
    )
    log(f"backup {target.name}: {out.strip()}")
    result.archive_mb = archive.stat().st_size / 1e6
    with _restore_target(target) as restored:
        log(f"backup {target.name}: restoring into an empty database and storage")
        result.restore_s, out = _timed(
            [str(BIN / "midoffice"), "restore", str(archive)], env=restored.env()
        )
    for line in out.splitlines():
        if line.startswith("archive checked:"):  # "archive checked: F files, R rows"
            files, rows = line.removeprefix("archive checked:").split(",")
            result.files, result.rows = int(files.split()[0]), int(rows.split()[0])
    return result


HEADERS = [
    "database", "dossiers", "rows", "files", "files MB", "archive MB", "backup s", "restore s",
]  # fmt: skip


def row(res: Result) -> list[object]:
    return [
        res.database,
        f"{res.dossiers:,}",
        f"{res.rows:,}",
        f"{res.files:,}",
        f"{res.files_mb:.0f}",
        f"{res.archive_mb:.1f}",
        f"{res.backup_s:.1f}",
        f"{res.restore_s:.1f}",
    ]


def main() -> int:
    quick = os.environ.get("BENCH_QUICK") == "1"
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--dossiers",
        type=int,
        default=20_000 if quick else int(os.environ.get("BENCH_DOSSIERS") or 1_000_000),
    )
    parser.add_argument("--files", type=int, default=None, help="default: dossiers / 20")
    parser.add_argument(
        "--skip-sqlite", action="store_true", default=os.environ.get("BENCH_SKIP_SQLITE") == "1"
    )
    parser.add_argument(
        "--skip-postgres", action="store_true", default=os.environ.get("BENCH_SKIP_POSTGRES") == "1"
    )
    args = parser.parse_args()
    if args.files is None:
        args.files = args.dossiers // 20
    print(
        f"Backup benchmark: {args.dossiers:,} dossiers and {args.files:,} stored files, "
        "backed up while idle and restored into an empty database and storage"
    )
    found = targets(PG_DATABASE, skip_postgres=args.skip_postgres, skip_sqlite=args.skip_sqlite)
    results = []
    for make in found:
        with make() as target:
            results.append(measure(target, args))
    print(table(HEADERS, [row(r) for r in results]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
