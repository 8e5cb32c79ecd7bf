"""Section "analytics": the dashboards' refresh and page latency at N dossiers.

    .venv/bin/python bench/bench_analytics.py [--dossiers N | --quick] [--skip-sqlite]
        [--skip-postgres] [--requests 40]

Run by ``bench/run.py`` as section ``analytics`` (flags then come from ``BENCH_QUICK``,
``BENCH_DOSSIERS``, ``BENCH_SKIP_SQLITE``, ``BENCH_SKIP_POSTGRES``). Per database -
PostgreSQL in a fresh database ``midoffice_bench_an`` (dropped at the end), SQLite in a
temporary folder - it migrates, runs the bulk loader (``loader.py load``: the demo town
plus N dossiers over three years, ~30 % open), then a worker subprocess (this file with
``--worker``) that:

1. adds a sent letter to 40 % of the closed dossiers (one ``INSERT … SELECT``; the loader
   writes none), so the letters' tables are not empty;
2. times ``analytics_refresh(full=True)`` (the nightly rebuild, and what the first run
   does), then an idle incremental run, then an incremental run after 200 changes made
   through the services (100 dossiers opened, 100 closed);
3. adds a year of daily workload snapshots (today's, copied back) so the trend per
   employee reads what a year of use leaves;
4. times the dashboard pages in-process with Django's test client, as the product renders
   them (view, selectors, SVG, template): the four dashboards of management (every team)
   for the default 13 weeks, the two heaviest for 52 weeks, a team lead of the busiest
   team, the list behind a number, and a CSV export; after warm-up requests,
   p50/p95/max against the target p95 ≤ 300 ms;
5. prints the SQL of one management page with its time per statement.

Nothing asserts on time; the section fails only when a step fails.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    BENCH,
    BIN,
    Target,
    log,
    run,
    table,
    targets,
)

PG_DATABASE = "midoffice_bench_an"
QUICK_DOSSIERS = 20_000
PAGE_TARGET_MS = 300.0
LETTER_SHARE = 0.4
SNAPSHOT_DAYS = 365
CHANGES = 100  # dossiers opened and dossiers closed before the timed incremental run


# --- orchestration (no Django in this process) ------------------------------------------


def measure_target(target: Target, args: argparse.Namespace) -> dict[str, Any]:
    env = target.env()
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    run([str(BIN / "midoffice"), "migrate", "--no-input", "-v0"], env=env)
    seconds["migrate"] = time.perf_counter() - t0
    log(f"analytics {target.name}: migrated; loading {args.dossiers:,} dossiers")
    load_out = target.data_dir / "load.json"
    t0 = time.perf_counter()
    run(
        [str(BIN / "python"), str(BENCH / "loader.py"), "load", "--dossiers",
         str(args.dossiers), "--out", str(load_out)],
        env=env,
    )  # fmt: skip
    seconds["load"] = time.perf_counter() - t0
    load = json.loads(load_out.read_text())
    load.pop("prepare", None)
    out = target.data_dir / "analytics.json"
    t0 = time.perf_counter()
    run(
        [str(BIN / "python"), str(Path(__file__).resolve()), "--worker", str(out),
         "--requests", str(args.requests)],
        env=env,
    )  # fmt: skip
    seconds["refresh + pages"] = time.perf_counter() - t0
    result: dict[str, Any] = json.loads(out.read_text())
    result["database"] = target.name
    result["load"] = load
    result["seconds"] = seconds
    return result


PAGE_HEADERS = ["database", "page", "requests", "p50 ms", "p95 ms", "max ms", "CPU ms",
                "queries", "SQL ms", "KB", "load", "p95 target", "verdict"]  # fmt: skip
REFRESH_HEADERS = ["database", "refresh", "seconds", "dossier facts", "letter facts",
                   "day rows", "snapshot rows"]  # fmt: skip


def page_rows(res: dict[str, Any]) -> list[list[object]]:
    rows: list[list[object]] = []
    for name, st in res["pages"].items():
        rows.append([res["database"], name, st["n"], f"{st['p50']:.0f}", f"{st['p95']:.0f}",
                     f"{st['max']:.0f}", f"{st['cpu']:.0f}", st["queries"],
                     f"{st['sql_ms']:.0f}", f"{st['kb']:.0f}", f"{st['load']:.1f}",
                     f"≤ {PAGE_TARGET_MS:.0f}",
                     "PASS" if st["p95"] <= PAGE_TARGET_MS else "FAIL"])  # fmt: skip
    return rows


def refresh_rows(res: dict[str, Any]) -> list[list[object]]:
    return [
        [res["database"], name, f"{r['seconds']:.2f}", f"{r['dossiers']:,}", f"{r['letters']:,}",
         f"{r['day_rows']:,}", f"{r['snapshot_rows']:,}"]
        for name, r in res["refresh"].items()
    ]  # fmt: skip


def print_report(res: dict[str, Any]) -> None:
    load = res["load"]
    print(f"\n== Analytics (dashboards) on {res['database']}")
    print(
        f"loaded {load['rows']['dossiers_dossier']:,} dossiers ({res['open']:,} open) in "
        f"{load['load_seconds']} s; {res['letters_added']:,} sent letters added; "
        f"{res['snapshot_rows_added']:,} snapshot rows for {SNAPSHOT_DAYS} days added"
    )
    print("time: " + ", ".join(f"{k} {v:.0f} s" for k, v in res["seconds"].items()))
    print("analytics tables: " + ", ".join(f"{k} {v:,}" for k, v in res["tables"].items()))
    print()
    print(table(REFRESH_HEADERS, refresh_rows(res)))
    print()
    print(table(PAGE_HEADERS, page_rows(res)))
    print(
        "In-process (Django test client): view, queries, charts and template, no network. "
        "CPU ms: this process's CPU per request (p50; the database server's is not in it); "
        "queries / SQL ms: one request of that page; load: the machine's 1-minute load "
        "average after the page's run (above 2 on 2 cores, others competed for the CPU)."
    )
    print(f"\n-- SQL of one management page on {res['database']} (ms, statement)")
    for ms, sql in res["statements"]:
        print(f"{ms:8.1f}  {sql}")


def orchestrate(args: argparse.Namespace) -> int:
    print(f"Analytics benchmark: {args.dossiers:,} dossiers, {args.requests} requests per page")
    results = []
    found = targets(PG_DATABASE, skip_postgres=args.skip_postgres, skip_sqlite=args.skip_sqlite)
    for make in found:
        with make() as target:
            started = time.perf_counter()
            res = measure_target(target, args)
            res["seconds"]["total"] = time.perf_counter() - started
            results.append(res)
            print_report(res)
    if len(results) > 1:
        print("\n== Analytics: all databases")
        print(table(REFRESH_HEADERS, [r for res in results for r in refresh_rows(res)]))
        print()
        print(table(PAGE_HEADERS, [r for res in results for r in page_rows(res)]))
    if args.dossiers < 1_000_000:
        print(f"\nNote: the target is stated for 1,000,000 dossiers; this run loaded "
              f"{args.dossiers:,}.")  # fmt: skip
    return 0


# --- the worker (Django, one database) ----------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


LETTER_COLUMNS = {
    "id", "dossier_id", "template_id", "recipient_id", "subject", "body", "state",
    "requires_signature", "channel", "channel_reason", "recipient_snapshot", "attachments",
    "pdf_name", "pdf_sha256", "signed_pdf_name", "signed_sha256", "signed_at", "signed_by_id",
    "signature_subject", "refusal_reason", "created_by_id", "correlation_id", "outbox_key",
    "external_id", "email_message_id", "delivery_status", "attestation_name",
    "attestation_sha256", "failure_reason", "created_at", "updated_at", "sent_at",
    "delivered_at",
}  # fmt: skip


def add_letters() -> int:
    """A sent letter for 40 % of the closed dossiers, sent when the dossier closed."""
    from django.db import connection

    from midoffice.correspondence.models import Letter
    from midoffice.dossiers.models import Dossier

    columns = {f.column for f in Letter._meta.concrete_fields}
    if columns != LETTER_COLUMNS:
        raise RuntimeError(f"Letter columns changed: {sorted(columns ^ LETTER_COLUMNS)}")
    pg = connection.vendor == "postgresql"
    uuid = "gen_random_uuid()" if pg else "lower(hex(randomblob(16)))"
    empty_object, empty_list = ("'{}'::jsonb", "'[]'::jsonb") if pg else ("'{}'", "'[]'")
    channel = "CASE d.id %% 3 WHEN 0 THEN 'email' WHEN 1 THEN 'ebox' ELSE 'paper' END"
    sql = (
        f"INSERT INTO {Letter._meta.db_table} (dossier_id, subject, body, state, "
        "requires_signature, channel, channel_reason, recipient_snapshot, attachments, "
        "pdf_name, pdf_sha256, signed_pdf_name, signed_sha256, signature_subject, "
        "refusal_reason, correlation_id, outbox_key, external_id, email_message_id, "
        "delivery_status, attestation_name, attestation_sha256, failure_reason, created_at, "
        "updated_at, sent_at) "
        f"SELECT d.id, 'Antwoord', '', 'sent', %s, {channel}, '', {empty_object}, "
        f"{empty_list}, '', '', '', '', '', '', {uuid}, '', '', '', '', '', '', '', "
        f"d.closed_at, d.closed_at, d.closed_at FROM {Dossier._meta.db_table} d "
        f"WHERE NOT d.is_open AND d.closed_at IS NOT NULL AND d.id %% 5 < %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [False, round(LETTER_SHARE * 5)])
        added = max(cursor.rowcount, 0)
        if pg:
            cursor.execute(f"ANALYZE {Letter._meta.db_table}")
    return added


def add_snapshot_history() -> int:
    """Today's workload snapshot, copied to each of the year's days before it."""
    import datetime as dt

    from midoffice.analytics.models import WorkloadSnapshot

    today = WorkloadSnapshot.objects.order_by("-day").values_list("day", flat=True).first()
    if today is None:
        return 0
    rows = list(WorkloadSnapshot.objects.filter(day=today))
    added = 0
    for back in range(1, SNAPSHOT_DAYS):
        day = today - dt.timedelta(days=back)
        copies = [
            WorkloadSnapshot(
                day=day, team_id=r.team_id, dossier_type_id=r.dossier_type_id,
                assignee_id=r.assignee_id, open=r.open, overdue=r.overdue, at_risk=r.at_risk,
            )
            for r in rows
        ]  # fmt: skip
        WorkloadSnapshot.objects.bulk_create(copies, batch_size=5000)
        added += len(copies)
    return added


def make_changes(count: int) -> None:
    """``count`` dossiers opened and ``count`` open ones closed, through the services."""
    from midoffice.catalog.models import DossierType
    from midoffice.dossiers import services
    from midoffice.dossiers.models import Dossier

    types = list(DossierType.objects.exclude(code="triage").order_by("id"))
    for i in range(count):
        services.dossier_open(
            actor=None, dossier_type=types[i % len(types)], subject=f"Bench-vraag {i}"
        )
    for dossier in Dossier.objects.filter(is_open=True).order_by("id")[:count]:
        result = dossier.dossier_type.result_types.first()
        services.dossier_change_status(
            actor=None,
            dossier=dossier,
            status_code=dossier.dossier_type.status_types.filter(phase="closed").first().code,
            result_code=result.code if result else None,
        )


def worker(args: argparse.Namespace) -> None:
    import datetime as dt

    import loader  # noqa: F401 - sets Django up for this database
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from midoffice.accounts.models import Role, Team, User
    from midoffice.analytics import models as analytics_models
    from midoffice.analytics.aggregates import analytics_refresh
    from midoffice.analytics.demo import DIRECTOR
    from midoffice.core import clock
    from midoffice.dossiers.models import Dossier

    result: dict[str, Any] = {"open": Dossier.objects.filter(is_open=True).count()}
    result["letters_added"] = add_letters()
    log(f"{result['letters_added']:,} letters added; full refresh")

    def timed(name: str, **kwargs: Any) -> None:
        t0 = time.perf_counter()
        res = analytics_refresh(**kwargs)
        seconds = time.perf_counter() - t0
        refresh[name] = {
            "seconds": seconds,
            "dossiers": res.dossiers,
            "letters": res.letters,
            "day_rows": res.day_rows,
            "snapshot_rows": res.snapshot_rows,
        }
        log(f"refresh {name}: {seconds:.2f} s ({res.reason})")

    refresh: dict[str, Any] = {}
    timed("full (nightly, first run)", full=True)
    analytics_refresh()  # looks once more at the full run's window (see refresh.py)
    timed("incremental, nothing new")
    make_changes(CHANGES)
    timed(f"incremental after {2 * CHANGES} changes")
    timed("incremental, the same window again")
    result["refresh"] = refresh
    result["snapshot_rows_added"] = add_snapshot_history()
    result["tables"] = {
        model.__name__: model.objects.count()
        for model in (
            analytics_models.DossierFact,
            analytics_models.LetterFact,
            analytics_models.IntakeDay,
            analytics_models.ClosureDay,
            analytics_models.ProcessingDay,
            analytics_models.LetterDay,
            analytics_models.WorkloadSnapshot,
        )
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (analytics_models.WorkloadSnapshot, analytics_models.ProcessingDay):
                cursor.execute(f"ANALYZE {model._meta.db_table}")

    director = User.objects.get(username=DIRECTOR[0])
    busiest = (
        Dossier.objects.filter(is_open=True)
        .values("team_id")
        .order_by()
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    team = Team.objects.get(pk=busiest["team_id"]) if busiest else Team.objects.first()
    lead, _ = User.objects.get_or_create(
        username="bench-lead", defaults={"role": Role.TEAM_LEAD, "first_name": "Bench"}
    )
    lead.teams.add(team)
    scenarios = [
        ("management: werklast, 13 weeks", director, "/analyse/"),
        ("management: termijnen, 13 weeks", director, "/analyse/termijnen/"),
        ("management: instroom, 13 weeks", director, "/analyse/instroom/"),
        ("management: uitgaand, 13 weeks", director, "/analyse/uitgaand/"),
        ("management: werklast, 52 weeks", director, "/analyse/?van={y}&tot={t}"),
        ("management: termijnen, 52 weeks", director, "/analyse/termijnen/?van={y}&tot={t}"),
        (f"team lead ({team.name}): werklast", lead, "/analyse/"),
        ("list behind a number", director, "/analyse/dossiers/?m=received&van={q}&tot={t}"),
        ("CSV export of a table", director, "/analyse/export/instroom-per-kanaal.csv"),
    ]
    today = clock.today()
    dates = {
        "t": today.isoformat(),
        "y": (today - dt.timedelta(days=364)).isoformat(),
        "q": (today - dt.timedelta(weeks=13)).isoformat(),
    }
    pages: dict[str, Any] = {}
    statements: list[tuple[float, str]] = []
    warmup = 3 if args.requests < 30 else 5
    for name, user, url in scenarios:
        url = url.format(**dates)
        client = Client()
        client.force_login(user)
        for _ in range(warmup):
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: {response.status_code}")
        times, cpu = [], []
        for _ in range(args.requests):
            t0, c0 = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        sql_ms = sum(float(q["time"]) for q in captured.captured_queries) * 1000
        pages[name] = {
            "n": len(times),
            "p50": percentile(times, 50),
            "p95": percentile(times, 95),
            "max": max(times),
            "queries": len(captured.captured_queries),
            "sql_ms": sql_ms,
            "kb": len(response.content) / 1024,
            "cpu": percentile(cpu, 50),
            "load": os.getloadavg()[0],
        }
        log(f"page {name}: p95 {pages[name]['p95']:.0f} ms")
        if name == "management: werklast, 13 weeks":
            statements = sorted(
                ((float(q["time"]) * 1000, " ".join(q["sql"].split())[:240])
                 for q in captured.captured_queries),
                reverse=True,
            )[:12]  # fmt: skip
    result["pages"] = pages
    result["statements"] = statements
    Path(args.worker).write_text(json.dumps(result, default=str))


def main() -> int:
    env_quick = os.environ.get("BENCH_QUICK") == "1"
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--dossiers", type=int, default=None, help="default 1,000,000")
    parser.add_argument("--quick", action="store_true", default=env_quick,
                        help=f"{QUICK_DOSSIERS:,} dossiers")  # fmt: skip
    parser.add_argument("--skip-sqlite", action="store_true",
                        default=os.environ.get("BENCH_SKIP_SQLITE") == "1")  # fmt: skip
    parser.add_argument("--skip-postgres", action="store_true",
                        default=os.environ.get("BENCH_SKIP_POSTGRES") == "1")  # fmt: skip
    parser.add_argument("--requests", type=int, default=None, help="timed requests per page")
    parser.add_argument("--worker", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.requests is None:
        args.requests = 20 if args.quick else 40
    if args.worker:
        worker(args)
        return 0
    env_n = os.environ.get("BENCH_DOSSIERS")
    if args.dossiers is None:
        args.dossiers = int(env_n) if env_n else (QUICK_DOSSIERS if args.quick else 1_000_000)
    return orchestrate(args)


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    sys.exit(main())
