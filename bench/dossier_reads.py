"""Section "dossiers": bulk-load N dossiers, then measure the API under gunicorn.

Per database (PostgreSQL in a fresh ``midoffice_bench`` database, SQLite in a temporary
folder): ``midoffice migrate``, the bulk loader, gunicorn as production runs it
(``midoffice.core.gunicorn_conf``), then per endpoint a warm-up and a fixed number of
timed requests with 1 and with 16 concurrent clients, and the query plans of the queue
queries for the record.

The deep page: keyset cursors cannot jump, so the harness follows the ``next`` links of
each list (200 rows a page) until it is 10,000 rows deep, and then measures
the default 50-row page at that cursor repeatedly: the same request a user paging that far
(or an integration walking the queue) sends.
"""

from __future__ import annotations

import json
import os
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

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

TARGET_P95_MS = {1: 50.0, 16: 150.0}
#: The API's other lists (ADR 30): (letter, label, first page).
LISTS = [
    ("g", "all dossiers (newest first)", "/api/v1/dossiers/"),
    ("h", "closed dossiers (open=false)", "/api/v1/dossiers/?open=false"),
    ("i", "changed since", "/api/v1/dossiers/?changed_since=2000-01-01T00:00:00Z"),
]
TARGET_SIZE = 1_000_000
DEEP_ROWS = 10_000


@dataclass
class ReadOptions:
    dossiers: int
    postgres: bool = True
    sqlite: bool = True
    single_requests: int = 300
    single_warmup: int = 30
    clients: int = 16
    per_client: int = 100
    client_warmup: int = 5
    max_seconds: float = 60.0  # per measurement; a slower endpoint reports fewer requests


@dataclass
class Row:
    database: str
    endpoint: str
    clients: int
    result: http_load.Result
    cpu_ms: float  # gunicorn CPU per request, warm-up included
    load: float  # the machine's 1-minute load average after the measurement

    def cells(self) -> list[object]:
        r = self.result
        target = TARGET_P95_MS.get(self.clients)
        p95 = r.percentile(95)
        verdict = "-"
        if target is not None:
            verdict = "PASS" if p95 <= target and r.failed == 0 else "FAIL"
        if r.failed:
            verdict += f" ({r.failed} failed: {dict(r.statuses)} {r.errors[:1]})"
        return [
            self.database,
            self.endpoint,
            self.clients,
            r.count,
            f"{r.percentile(50):.1f}",
            f"{p95:.1f}",
            f"{r.percentile(99):.1f}",
            f"{r.throughput:.0f}",
            f"{self.cpu_ms:.1f}",
            f"{self.load:.1f}",
            f"≤ {target:.0f}" if target else "",
            verdict,
        ]


HEADERS = ["database", "endpoint", "clients", "requests", "p50 ms", "p95 ms", "p99 ms",
           "req/s", "cpu ms/req", "load1", "p95 target", "verdict"]  # fmt: skip
LEGEND = (
    "cpu ms/req: CPU time of the gunicorn workers per request (database server not "
    "included); load1: the machine's 1-minute load average right after the measurement "
    "(2 cores: above 2 means other processes competed for the CPU)."
)


@dataclass
class DatabaseReport:
    name: str
    load: dict[str, Any] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    plans: str = ""


def _walk_deep(port: int, first: str, headers: dict[str, str]) -> tuple[str | None, int, str]:
    """Follow ``next`` links from ``first`` until DEEP_ROWS deep; (path, depth, note)."""
    sep = "&" if "?" in first else "?"
    path: str | None = f"{first}{sep}page_size=200"
    depth = 0
    last_full: str | None = None
    started = time.perf_counter()
    pages = 0
    seen: set[str] = set()
    while path is not None and depth < DEEP_ROWS:
        status, body = http_load.get_json(port, path, headers)
        pages += 1
        if status != 200 or not isinstance(body, dict):
            return None, depth, f"cursor walk failed at depth {depth}: HTTP {status} {body!r:.200}"
        refs = {r["reference"] for r in body["results"]}
        if refs <= seen:
            return (
                None,
                depth,
                f"deep page: NOT MEASURED - the walk stopped making progress at {depth:,} rows",
            )
        depth += len(refs - seen)
        seen |= refs
        nxt = body.get("next")
        path = http_load.path_of(nxt) if nxt else None
        if path is not None:
            last_full = path
    seconds = time.perf_counter() - started
    if last_full is None:
        return None, depth, "the queue has a single page"
    note = (
        f"deep page: followed {pages} cursor pages of 200 rows ({seconds:.1f} s) to depth "
        f"{depth:,}; measured the 50-row page at that cursor"
    )
    if depth < DEEP_ROWS:
        note += f" (queue shorter than {DEEP_ROWS:,} rows)"
    return http_load.without_param(last_full, "page_size"), depth, note


def _measure_target(target: Target, opts: ReadOptions) -> DatabaseReport:
    report = DatabaseReport(target.name)
    env = target.env(**signing_env(target.data_dir))
    t0 = time.perf_counter()
    run([str(BIN / "midoffice"), "migrate", "--no-input", "-v0"], env=env)
    report.seconds["migrate"] = time.perf_counter() - t0
    log(f"{target.name}: migrated in {report.seconds['migrate']:.1f} s; loading "
        f"{opts.dossiers:,} dossiers")  # fmt: skip
    out = target.data_dir / "load.json"
    t0 = time.perf_counter()
    run(
        [str(BIN / "python"), str(BENCH / "loader.py"), "load", "--dossiers",
         str(opts.dossiers), "--out", str(out)],
        # The demo town's letters are signed without timestamp or revocation look-ups.
        env={**env, "MIDOFFICE_SIGNING_LEVEL": "B-B"},
    )  # fmt: skip
    report.seconds["load"] = time.perf_counter() - t0
    report.load = json.loads(out.read_text())
    prep = report.load.pop("prepare")
    log(
        f"{target.name}: {report.load['total_rows']:,} rows in {report.load['load_seconds']} s "
        f"= {report.load['rows_per_second']:,} rows/s "
        f"({report.load['dossiers_per_second']:,} dossiers/s); "
        f"analyze {report.load['analyze_seconds']} s"
    )
    api = {"Authorization": f"Token {prep['token']}", "Accept": "application/json"}
    html = {"Cookie": f"sessionid={prep['session']}", "Accept": "text/html"}
    team = prep["team"]
    queue = f"/api/v1/dossiers/?team={team}&open=true"
    report.notes.append(
        f"team queue: team {team!r} ({prep['team_open']:,} open of "
        f"{prep['open_total']:,} open dossiers); HTML home as {prep['handler']}"
    )
    t0 = time.perf_counter()
    explain_extra: list[str] = []
    with http_load.gunicorn(env, log_path=target.data_dir / "gunicorn.log") as server:
        port = server.port
        deep, depth, note = _walk_deep(port, queue, api)
        report.notes.append(note)
        endpoints: list[tuple[str, list[str], dict[str, str]]] = [
            ("(a) team queue, first page", [queue], api),
        ]
        if deep is not None:
            endpoints.append((f"(b) team queue, {depth:,} rows deep", [deep], api))
        endpoints += [
            ("(c) dossier detail (from queue)",
             [f"/api/v1/dossiers/{r}/" for r in prep["queue_refs"]], api),
            ("(d) lookup by reference (random)",
             [f"/api/v1/dossiers/{r}/" for r in prep["random_refs"]], api),
            ("(e) contact search by e-mail",
             [f"/api/v1/parties/?q={urllib.parse.quote(e)}" for e in prep["emails"]], api),
            ("(f) staff home page (HTML)", ["/"], html),
        ]  # fmt: skip
        # Every other list of the API (ADR 30), first page and 10,000 rows deep.
        for letter, label, first in LISTS:
            endpoints.append((f"({letter}) {label}, first page", [first], api))
            deep_path, deep_depth, deep_note = _walk_deep(port, first, api)
            report.notes.append(f"{label}: {deep_note}")
            if deep_path is not None:
                endpoints.append(
                    (f"({letter}) {label}, {deep_depth:,} rows deep", [deep_path], api)
                )
                explain_extra.append(deep_path)
            explain_extra.append(first)
        # The workbench's own pages, beside the API.
        queue_refs = prep["queue_refs"][:200]
        endpoints += [
            ("(k) team queue page (HTML)", [f"/wachtrij/{team}/"], html),
            ("(l) dossier page (HTML)", [f"/dossiers/{r}/" for r in queue_refs], html),
            ("(m) front-desk search page, by e-mail (HTML)",
             [f"/zoeken/?q={urllib.parse.quote(e)}" for e in prep["emails"]], html),
            ("(n) closed-dossier search, by reference (HTML)",
             [f"/zoeken/?q={r}" for r in prep["random_refs"]], html),
        ]  # fmt: skip
        for name, paths, headers in endpoints:
            # The optional extras (search, HTML page) get half the requests to save time.
            share = 1 if name.startswith(("(a)", "(b)", "(c)", "(d)")) else 2
            for clients, per_client, warmup in (
                (1, opts.single_requests // share, opts.single_warmup),
                (opts.clients, opts.per_client // share, opts.client_warmup),
            ):
                cpu0 = server.cpu_seconds()
                result = http_load.measure(
                    port=port,
                    paths=paths,
                    headers=headers,
                    clients=clients,
                    per_client=per_client,
                    warmup=warmup,
                    max_seconds=opts.max_seconds,
                )
                cpu = server.cpu_seconds() - cpu0
                sent = result.count + clients * warmup
                row = Row(target.name, name, clients, result, cpu * 1000 / sent, os.getloadavg()[0])
                report.rows.append(row)
                log(f"{target.name}: {name} x{clients}: p95 {result.percentile(95):.1f} ms, "
                    f"{result.throughput:.0f} req/s")  # fmt: skip
    report.seconds["http"] = time.perf_counter() - t0
    explain_urls = [queue]
    if deep is not None:
        explain_urls.append(deep)
    explain_urls += [
        f"/api/v1/dossiers/{prep['random_refs'][0]}/",
        f"/api/v1/parties/?q={urllib.parse.quote(prep['emails'][0])}",
    ]
    explain_urls.append("/")
    explain_urls += explain_extra
    args = [str(BIN / "python"), str(BENCH / "loader.py"), "explain", "--token", prep["token"]]
    args += ["--session", prep["session"]]
    for url in explain_urls:
        args += ["--url", url]
    report.plans = run(args, env=env)
    return report


def _targets(opts: ReadOptions) -> Iterator[Callable[[], AbstractContextManager[Target]]]:
    if opts.postgres:
        if postgres_available():
            yield postgres_target
        else:
            log("PostgreSQL is not reachable: skipped (set BENCH_PG_URL)")
    if opts.sqlite:
        yield sqlite_target


def run_dossier_reads(opts: ReadOptions) -> list[DatabaseReport]:
    reports = []
    for make_target in _targets(opts):
        with make_target() as target:
            started = time.perf_counter()
            report = _measure_target(target, opts)
            report.seconds["total"] = time.perf_counter() - started
            reports.append(report)
            print_report(report)
    if len(reports) > 1:
        print("\n== Dossier reads: all databases")
        print(table(HEADERS, [r.cells() for rep in reports for r in rep.rows]))
        print(LEGEND)
    if opts.dossiers < TARGET_SIZE:
        print(f"\nNote: the targets are stated for {TARGET_SIZE:,} dossiers; this run loaded "
              f"{opts.dossiers:,}.")  # fmt: skip
    return reports


def print_report(report: DatabaseReport) -> None:
    load = report.load
    print(f"\n== Dossier reads on {report.name}")
    print(
        f"loaded {load['rows']['dossiers_dossier']:,} dossiers, {load['total_rows']:,} rows "
        f"({', '.join(f'{t} {n:,}' for t, n in load['rows'].items())}) in "
        f"{load['load_seconds']} s: {load['rows_per_second']:,} rows/s, "
        f"{load['dossiers_per_second']:,} dossiers/s; statistics {load['analyze_seconds']} s"
    )
    print("time: " + ", ".join(f"{k} {v:.0f} s" for k, v in report.seconds.items()))
    for note in report.notes:
        print(note)
    print()
    print(table(HEADERS, [r.cells() for r in report.rows]))
    print(LEGEND)
    print(f"\n-- query plans on {report.name} (the API's own SQL, captured in-process)")
    print(report.plans.rstrip())
