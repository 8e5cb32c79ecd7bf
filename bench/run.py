"""``make bench``: Midoffice's benchmark harness. Prints figures measured in this run.

    .venv/bin/python bench/run.py                    # every section, 1,000,000 dossiers
    .venv/bin/python bench/run.py --quick            # 20,000 dossiers, to try it
    .venv/bin/python bench/run.py --only dossiers --dossiers 200000 --skip-sqlite

Sections run in order; each prints its own table. Adding one: write a function taking
:class:`Options` and register it in :data:`SECTIONS` - or drop a standalone script
``bench/bench_<name>.py`` next to this file: it is found and run as section ``<name>`` in a
subprocess, with ``BENCH_QUICK`` (``1``/``0``), ``BENCH_DOSSIERS``, ``BENCH_SKIP_SQLITE``
and ``BENCH_SKIP_POSTGRES`` in its environment.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from _common import BENCH, BIN, ROOT, log

QUICK_DOSSIERS = 20_000


@dataclass(frozen=True)
class Options:
    dossiers: int
    quick: bool
    postgres: bool
    sqlite: bool


@dataclass(frozen=True)
class Section:
    name: str
    description: str
    run: Callable[[Options], None]


def section_dossiers(opts: Options) -> None:
    from dossier_reads import ReadOptions, run_dossier_reads

    run_dossier_reads(
        ReadOptions(dossiers=opts.dossiers, postgres=opts.postgres, sqlite=opts.sqlite)
    )


def script_section(name: str, script: Path) -> Section:
    """A standalone ``bench/bench_<name>.py`` run in a subprocess."""

    def run_script(opts: Options) -> None:
        env = dict(os.environ)
        env.update(
            BENCH_QUICK="1" if opts.quick else "0",
            BENCH_DOSSIERS=str(opts.dossiers),
            BENCH_SKIP_SQLITE="0" if opts.sqlite else "1",
            BENCH_SKIP_POSTGRES="0" if opts.postgres else "1",
        )
        env.setdefault("MIDOFFICE_SECRET_KEY", "bench")
        with subprocess.Popen([str(BIN / "python"), str(script)], cwd=ROOT, env=env) as proc:
            try:
                returncode = proc.wait()
            except KeyboardInterrupt:
                # Ctrl-C reached the script too (same process group): let it stop the
                # servers it started and drop its databases; subprocess.run would kill it
                # after 0.25 s and leave them behind.
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                raise
        if returncode != 0:
            raise RuntimeError(f"{script.name} exited with {returncode}")

    return Section(name, f"{script.name} (standalone script)", run_script)


# Built-in sections, in the order they run. Standalone scripts follow (see sections()).
SECTIONS: list[Section] = [
    Section(
        "dossiers",
        "bulk-load N dossiers; team queue, deep page, detail, lookup, search and home page "
        "latency under gunicorn on PostgreSQL and SQLite",
        section_dossiers,
    ),
]


def sections() -> list[Section]:
    found = list(SECTIONS)
    known = {s.name for s in found}
    for script in sorted(BENCH.glob("bench_*.py")):
        name = script.stem.removeprefix("bench_")
        if name not in known:
            found.append(script_section(name, script))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    available = sections()
    parser = argparse.ArgumentParser(
        description="Midoffice benchmarks",
        epilog="sections: " + "; ".join(f"{s.name}: {s.description}" for s in available),
    )
    parser.add_argument("--dossiers", type=int, default=None, help="default 1,000,000")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_DOSSIERS:,} dossiers")
    parser.add_argument(
        "--only",
        action="append",
        choices=[s.name for s in available],
        help="run only this section (repeatable)",
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args(argv)
    dossiers = args.dossiers or (QUICK_DOSSIERS if args.quick else 1_000_000)
    opts = Options(
        dossiers=dossiers,
        quick=args.quick,
        postgres=not args.skip_postgres,
        sqlite=not args.skip_sqlite,
    )
    chosen = [s for s in available if not args.only or s.name in args.only]
    print(
        f"Midoffice benchmark: {dossiers:,} dossiers; sections "
        f"{', '.join(s.name for s in chosen)}; {os.cpu_count()} CPUs; "
        f"{time.strftime('%Y-%m-%d %H:%M')}"
    )
    started = time.perf_counter()
    failed: list[str] = []
    for section in chosen:
        log(f"section {section.name} starts")
        t0 = time.perf_counter()
        try:
            section.run(opts)
        except Exception as exc:  # noqa: BLE001 - one broken section must not hide the others
            failed.append(section.name)
            log(f"section {section.name} failed: {type(exc).__name__}: {exc}")
        print(f"\n[section {section.name}: {time.perf_counter() - t0:.0f} s]", flush=True)
    print(f"\nbench finished in {time.perf_counter() - started:.0f} s", flush=True)
    if failed:
        print(f"sections that failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    sys.exit(main())
