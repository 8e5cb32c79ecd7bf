"""Section "odata": a full OData read of the dossiers, in rows/s, with the server's memory.

Standalone (``bench/run.py`` finds it; ``BENCH_QUICK``, ``BENCH_DOSSIERS``,
``BENCH_SKIP_SQLITE`` and ``BENCH_SKIP_POSTGRES`` come from the harness):

    .venv/bin/python bench/bench_odata.py                 # 1,000,000 dossiers
    BENCH_QUICK=1 .venv/bin/python bench/bench_odata.py   # 20,000, to try it

Per database (a fresh PostgreSQL database ``midoffice_bench_odata``, dropped at the end;
SQLite in a temporary folder): ``midoffice migrate``, the bulk loader (``loader.py``), a
token (``midoffice analytics token create``), then the product under gunicorn with **one**
sync worker, so "the server" is one process whose memory can be read. A client in this
process reads ``/odata/Dossiers`` from the first page to the last by following
``@odata.nextLink`` (Basic authentication, as Power BI sends it), parses every page and
counts the rows; it must get exactly as many as the database holds.

Reported per read: rows, pages, seconds, rows/s, MB/s of JSON, the worker's CPU per
1,000 rows, and its memory: RSS after the first page, the highest RSS sampled during the
read (every 0.1 s, from /proc) and the kernel's high-water mark (VmHWM) at the end. Flat
memory means the peak does not grow with the number of rows read: the first-page RSS
and the peak are the same order of size, whether 20,000 or 1,000,000 rows are read.

Reads: (a) every property, the default page size (5,000); (b) a few properties
(``$select``), as a report that needs only those would ask; (c) every property with
``$expand=Team`` and pages of 1,000 (``Prefer: odata.maxpagesize``). Nothing asserts on
time; the section fails only when a read returns the wrong number of rows or an error.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import http_load
from _common import (
    BENCH,
    BIN,
    Target,
    log,
    postgres_available,
    postgres_target,
    run,
    signing_env,
    sqlite_target,
    table,
)

QUICK_DOSSIERS = 20_000
PG_DATABASE = "midoffice_bench_odata"


@dataclass
class Read:
    database: str
    name: str
    rows: int
    expected: int
    pages: int
    seconds: float
    megabytes: float
    cpu_seconds: float
    rss_first_mb: float
    rss_peak_mb: float
    hwm_mb: float

    def cells(self) -> list[object]:
        return [
            self.database,
            self.name,
            f"{self.rows:,}",
            self.pages,
            f"{self.seconds:.1f}",
            f"{self.rows / self.seconds:,.0f}" if self.seconds else "-",
            f"{self.megabytes / self.seconds:.1f}" if self.seconds else "-",
            f"{self.cpu_seconds * 1000 / max(1, self.rows) * 1000:.0f}",
            f"{self.rss_first_mb:.0f}",
            f"{self.rss_peak_mb:.0f}",
            f"{self.hwm_mb:.0f}",
            "ok" if self.rows == self.expected else f"WRONG: expected {self.expected:,}",
        ]


HEADERS = ["database", "read", "rows", "pages", "seconds", "rows/s", "MB/s",
           "cpu ms/1000 rows", "RSS 1st page MB", "RSS peak MB", "VmHWM MB", "rows"]  # fmt: skip


def _status_kb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1])
    return 0.0


class Sampler:
    """Samples one process's RSS every 0.1 s in a thread; ``peak`` is the highest seen."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, _status_kb(self.pid, "VmRSS") / 1024)
            except OSError:
                return
            self._stop.wait(0.1)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _get(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _read_all(
    port: int, first: str, headers: dict[str, str], on_first: Callable[[], None]
) -> tuple[int, int, int]:
    """Follow the next links from ``first``; (rows, pages, bytes)."""
    path: str | None = first
    rows = pages = size = 0
    while path is not None:
        status, body = _get(port, path, headers)
        if status != 200:
            raise RuntimeError(f"HTTP {status} on page {pages + 1}: {body[:300]!r}")
        page = json.loads(body)
        rows += len(page["value"])
        size += len(body)
        pages += 1
        if pages == 1:
            on_first()
        link = page.get("@odata.nextLink")
        path = http_load.path_of(link) if link else None
    return rows, pages, size


def _measure(target: Target, dossiers: int) -> list[Read]:
    env = target.env(MIDOFFICE_ODATA_RATE="", **signing_env(target.data_dir))
    run([str(BIN / "midoffice"), "migrate", "--no-input", "-v0"], env=env)
    log(f"{target.name}: migrated; loading {dossiers:,} dossiers")
    out = target.data_dir / "load.json"
    run(
        [str(BIN / "python"), str(BENCH / "loader.py"), "load", "--dossiers", str(dossiers),
         "--out", str(out)],
        # The demo town's letters are signed without timestamp or revocation look-ups.
        env={**env, "MIDOFFICE_SIGNING_LEVEL": "B-B"},
    )  # fmt: skip
    loaded = json.loads(out.read_text())
    log(f"{target.name}: loaded {loaded['total_rows']:,} rows in {loaded['load_seconds']} s")
    key = run([str(BIN / "midoffice"), "analytics", "token", "create", "bench"], env=env).strip()
    expected = int(
        run(
            [str(BIN / "midoffice"), "shell", "--no-imports", "-c",
             "from midoffice.dossiers.models import Dossier; print(Dossier.objects.count())"],
            env=env,
        ).split()[-1]
    )  # fmt: skip
    auth = base64.b64encode(f"powerbi:{key}".encode()).decode()
    headers = {"Authorization": f"Basic {auth}", "Accept": "application/json"}
    reads: list[Read] = []
    with http_load.gunicorn(env, workers=1, log_path=target.data_dir / "gunicorn.log") as server:
        workers = server.workers()
        if len(workers) != 1:
            raise RuntimeError(f"expected one gunicorn worker, found {workers}")
        worker = workers[0]
        # Warm up: imports, the first queries, the metadata.
        for path in ("/odata/", "/odata/$metadata", "/odata/Dossiers?$top=10"):
            status, _ = _get(server.port, path, headers)
            if status != 200:
                raise RuntimeError(f"warm-up {path}: HTTP {status}")
        variants = [
            ("(a) all properties, pages of 5,000", "/odata/Dossiers", {}),
            (
                "(b) $select=Id,TeamId,ReceivedOn,ClosedOn,OnTime",
                "/odata/Dossiers?$select=Id,TeamId,ReceivedOn,ClosedOn,OnTime",
                {},
            ),
            (
                "(c) $expand=Team, pages of 1,000",
                "/odata/Dossiers?$expand=Team",
                {"Prefer": "odata.maxpagesize=1000"},
            ),
        ]
        for name, first, extra in variants:
            rss_first = 0.0

            def note_first() -> None:
                nonlocal rss_first
                rss_first = _status_kb(worker, "VmRSS") / 1024

            cpu0 = server.cpu_seconds()
            started = time.perf_counter()
            with Sampler(worker) as sampler:
                rows, pages, size = _read_all(server.port, first, {**headers, **extra}, note_first)
            seconds = time.perf_counter() - started
            read = Read(
                database=target.name,
                name=name,
                rows=rows,
                expected=expected,
                pages=pages,
                seconds=seconds,
                megabytes=size / 1e6,
                cpu_seconds=server.cpu_seconds() - cpu0,
                rss_first_mb=rss_first,
                rss_peak_mb=sampler.peak,
                hwm_mb=_status_kb(worker, "VmHWM") / 1024,
            )
            reads.append(read)
            log(
                f"{target.name}: {name}: {rows:,} rows in {seconds:.1f} s "
                f"({rows / seconds:,.0f} rows/s), RSS peak {sampler.peak:.0f} MB"
            )
    return reads


def _targets() -> Iterator[Callable[[], AbstractContextManager[Target]]]:
    if os.environ.get("BENCH_SKIP_POSTGRES") != "1":
        if postgres_available():
            yield lambda: postgres_target(PG_DATABASE)
        else:
            log("PostgreSQL is not reachable: skipped (set BENCH_PG_URL)")
    if os.environ.get("BENCH_SKIP_SQLITE") != "1":
        yield sqlite_target


def main() -> int:
    quick = os.environ.get("BENCH_QUICK") == "1"
    dossiers = int(os.environ.get("BENCH_DOSSIERS") or 0) or (
        QUICK_DOSSIERS if quick else 1_000_000
    )
    if quick:
        dossiers = min(dossiers, QUICK_DOSSIERS)
    print(f"\n== odata: full read of {dossiers:,} dossiers through /odata/Dossiers")
    reads: list[Read] = []
    for make_target in _targets():
        with make_target() as target:
            reads += _measure(target, dossiers)
    print(table(HEADERS, [r.cells() for r in reads]))
    print(
        "rows/s and MB/s: the client (this process, same 2 cores) parses every page too; "
        "cpu ms/1000 rows: the gunicorn worker's CPU only (database server not included). "
        "RSS: the one worker's resident memory after the first page, the highest sampled "
        "during the read, and the kernel's high-water mark at the end."
    )
    return 0 if all(r.rows == r.expected for r in reads) else 1


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    sys.exit(main())
