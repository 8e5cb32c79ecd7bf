"""Section "archive": the daily "what is due" run, and packaging throughput.

    .venv/bin/python bench/bench_archive.py [--skip-sqlite] [--skip-postgres]
        [--dossiers 1000000] [--packages 20]

Run by ``bench/run.py`` as section ``archive`` (``BENCH_QUICK=1``: 20,000 dossiers and 5
packages; ``BENCH_DOSSIERS`` sets the size; ``BENCH_SKIP_SQLITE`` / ``BENCH_SKIP_POSTGRES``
leave a database out). Per database - PostgreSQL in a fresh database
``midoffice_bench_archive`` (dropped at the end), SQLite in a temporary folder - it
migrates, then a worker subprocess (this file with ``--worker``):

1. loads the demo town, then writes N closed dossiers in one set-based INSERT … SELECT
   (``generate_series`` on PostgreSQL, a recursive CTE on SQLite): ten dossier types with
   keep / destroy rules of 2 to 10 years, closed between 2000 and 2026, so about two
   thirds are due; one in a thousand under a legal hold, one in twenty already
   transferred; then ``ANALYZE`` (and ``VACUUM`` on PostgreSQL);
2. times the daily run itself, ``archive.services.archive_daily_run()`` (one GROUP BY
   over the due dossiers, and the row that keeps the counts), five times, and the first
   page of the archivist's list (``archive_due_page``); prints the count query's plan;
3. packaging throughput: K closed dossiers made through the services as the demo makes
   them (the citizen's mail with a photo and a plan, a PAdES-signed letter, an upload in
   the portal) are packaged one after the other by ``archive.transfer.package_build``
   (collect, build the E-ARK SIP, validate with eark-validator and the fixity check, zip):
   dossiers/s and MB/s.

Target (DESIGN §7): the daily "what is due" ≤ 2 s over 1,000,000 closed dossiers on
PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BIN, Target, log, run, table, targets

PG_DATABASE = "midoffice_bench_archive"
TARGET_S = 2.0
RUNS = 5

# code, action, years
RULES = [
    ("bench-keep-10", "keep", 10),
    ("bench-keep-5", "keep", 5),
    ("bench-destroy-2", "destroy", 2),
    ("bench-destroy-5", "destroy", 5),
    ("bench-destroy-10", "destroy", 10),
]


# --- orchestration (no Django in this process) ------------------------------------------


def measure(target: Target, args: argparse.Namespace) -> dict[str, Any]:
    env = target.env()
    run([str(BIN / "midoffice"), "migrate", "--no-input", "-v0"], env=env)
    log(f"archive {target.name}: migrated; loading {args.dossiers:,} closed dossiers")
    out = target.data_dir / "archive.json"
    run(
        [str(BIN / "python"), str(Path(__file__).resolve()), "--worker", str(out),
         "--dossiers", str(args.dossiers), "--packages", str(args.packages)],
        env=env,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.read_text())
    result["database"] = target.name
    return result


HEADERS = ["database", "dossiers", "due", "daily run p50 s", "max s", "first page ms", "target", ""]


def rows(res: dict[str, Any]) -> list[list[object]]:
    daily = res["daily_s"]
    p50 = statistics.median(daily)
    judged = res["database"] == "postgresql"
    return [
        [
            res["database"],
            f"{res['dossiers']:,}",
            f"{res['due']:,}",
            f"{p50:.3f}",
            f"{max(daily):.3f}",
            f"{res['page_ms']:.1f}",
            f"≤ {TARGET_S:.0f} s" if judged else "",
            ("PASS" if max(daily) <= TARGET_S else "FAIL") if judged else "-",
        ]
    ]


def report(res: dict[str, Any]) -> None:
    print(
        f"\n== Archive on {res['database']}: {res['dossiers']:,} closed dossiers loaded in "
        f"{res['load_s']:.0f} s; {res['due']:,} due"
    )
    print(table(HEADERS, rows(res)))
    print("daily runs (s): " + ", ".join(f"{v:.3f}" for v in res["daily_s"]))
    print("the count query's plan:\n" + "\n".join("    " + line for line in res["plan"]))
    pack = res["packaging"]
    print(
        f"packaging: {pack['packages']} dossiers ({pack['documents']} documents, "
        f"{pack['mb']:.1f} MB of packages) in {pack['seconds']:.2f} s: "
        f"{pack['per_second']:.2f} dossiers/s, {pack['mb'] / pack['seconds']:.1f} MB/s; "
        f"all valid: {pack['valid']}"
    )


def orchestrate(args: argparse.Namespace) -> int:
    print(
        f"Archive benchmark: the daily 'what is due' run over {args.dossiers:,} closed "
        f"dossiers; packaging {args.packages} dossiers"
    )
    found = targets(PG_DATABASE, skip_postgres=args.skip_postgres, skip_sqlite=args.skip_sqlite)
    results = []
    for make in found:
        with make() as target:
            res = measure(target, args)
            results.append(res)
            report(res)
    if len(results) > 1:
        print("\n== Archive: all databases")
        print(table(HEADERS, [r for res in results for r in rows(res)]))
    return 0


# --- the worker (Django, one database) ----------------------------------------------------


def _case(values: list[object], *, modulo: int) -> str:
    """``CASE i % modulo WHEN 0 THEN v0 …`` with the values inlined (ints or quoted text)."""
    whens = " ".join(
        f"WHEN {n} THEN {v if isinstance(v, int) else repr(str(v))}" for n, v in enumerate(values)
    )
    return f"(CASE (g.i % {modulo}) {whens} END)"


def load(count: int) -> dict[str, Any]:
    """N closed dossiers in one INSERT … SELECT; returns the catalog used."""
    from django.db import connection, transaction

    from midoffice.catalog.defaults import add_default_workflow
    from midoffice.catalog.models import DossierType, RetentionRule, StatusType
    from midoffice.dossiers.models import Dossier

    rules = {
        code: RetentionRule.objects.get_or_create(
            code=code, defaults={"name": code, "action": action, "period_years": years}
        )[0]
        for code, action, years in RULES
    }
    team_type = DossierType.objects.get(code="info-verbouwen")
    types = []
    for n in range(10):
        rule = rules[RULES[n % len(RULES)][0]]
        dossier_type, created = DossierType.objects.get_or_create(
            code=f"bench-archief-{n}",
            defaults={
                "name": f"Bench archief {n}",
                "team": team_type.team,
                "processing_days": 30,
                "retention_rule": rule,
                "archive_series_code": f"BENCH-{n}",
                "archive_series_name": f"Bench-serie {n}",
            },
        )
        if created:
            add_default_workflow(dossier_type)
        types.append(dossier_type)
    closed_status = [StatusType.objects.get(dossier_type=t, phase="closed").pk for t in types]
    postgres = connection.vendor == "postgresql"
    k = len(types)
    if postgres:
        reference = (
            "to_char(2000 + g.i / 1000000, 'FM0000') || '-' || to_char(g.i % 1000000, 'FM000000')"
        )
        closed = "(timestamptz '2000-01-01 10:00:00+00' + (g.i % 9600) * interval '1 day')"
        received = f"({closed} - interval '20 days')"
        archive_date = (
            f"(({closed})::date + {_case([t.retention_rule.period_years for t in types], modulo=k)}"
            " * interval '1 year')::date"
        )
        source = f"generate_series(1, {count}) AS g(i)"
        prefix, suffix = "", ""
    else:
        reference = "printf('%04d-%06d', 2000 + g.i / 1000000, g.i % 1000000)"
        closed = "datetime('2000-01-01 10:00:00', '+' || (g.i % 9600) || ' days')"
        received = f"datetime({closed}, '-20 days')"
        years = _case([t.retention_rule.period_years for t in types], modulo=k)
        archive_date = f"date({closed}, '+' || {years} || ' years')"
        source = "g"
        prefix = (
            f"WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {count}) "
        )
        suffix = ""
    known = {
        "reference": reference,
        "dossier_type_id": _case([t.pk for t in types], modulo=k),
        "subject": "'Archiefbench: een afgesloten vraag'",
        "status_id": _case(closed_status, modulo=k),
        "phase": "'closed'",
        "is_open": "false" if postgres else "0",
        "team_id": str(team_type.team_id),
        "received_at": received,
        "opened_at": received,
        "closed_at": closed,
        "archive_action": _case([t.retention_rule.action for t in types], modulo=k),
        "archive_date": archive_date,
        "legal_hold_reason": "(CASE WHEN g.i % 1000 = 0 THEN 'Onderzoek' ELSE '' END)",
        "archive_state": "(CASE WHEN g.i % 20 = 0 THEN 'transferred' ELSE '' END)",
    }
    columns, expressions, params = [], [], []
    for field in Dossier._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(f'"{field.column}"')
        if field.attname in known or field.name in known:
            # Parameters are passed, so a literal % (modulo, printf) is written %%.
            expression = known.get(field.attname, known.get(field.name, ""))
            expressions.append(expression.replace("%", "%%"))
        else:
            default = field.get_default() if field.has_default() else None
            expressions.append("%s")
            params.append(
                field.get_db_prep_save(default, connection) if default is not None else None
            )
    sql = (
        f"{prefix}INSERT INTO dossiers_dossier ({', '.join(columns)}) "
        if postgres
        else f"INSERT INTO dossiers_dossier ({', '.join(columns)}) {prefix}"
    ) + f"SELECT {', '.join(expressions)} FROM {source}{suffix}"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("VACUUM (ANALYZE) dossiers_dossier")
        else:
            cursor.execute("ANALYZE")
    return {"types": [t.pk for t in types]}


def _plan() -> list[str]:
    from django.db import connection
    from django.db.models import Count, Min

    from midoffice.archive.selectors import archive_due_dossiers

    query = (
        archive_due_dossiers()
        .values("archive_action", "dossier_type_id")
        .annotate(n=Count("id"), oldest=Min("archive_date"))
        .order_by("archive_action", "dossier_type_id")
    )
    sql, params = query.query.sql_with_params()
    explain = (
        "EXPLAIN (ANALYZE, BUFFERS) "
        if connection.vendor == "postgresql"
        else "EXPLAIN QUERY PLAN "
    )
    with connection.cursor() as cursor:
        cursor.execute(explain + sql, params)
        return [" ".join(str(c) for c in row) for row in cursor.fetchall()]


def _packaging(count: int) -> dict[str, Any]:
    import datetime as dt
    import shutil
    import tempfile
    import uuid

    from midoffice.accounts.models import User
    from midoffice.archive.transfer import package_build
    from midoffice.catalog.models import DossierType
    from midoffice.core import clock
    from midoffice.correspondence.models import LetterTemplate
    from midoffice.dossiers.services import dossier_open
    from midoffice.parties.models import Party
    from midoffice.web import demo_archive as demo

    dossier_type = DossierType.objects.get(code="info-verbouwen")
    party = Party.objects.get(given_name="Emma", family_name="De Smet")
    author, signer = User.objects.get(username="sofie"), User.objects.get(username="lotte")
    template = LetterTemplate.objects.filter(dossier_type=dossier_type).first()
    assert template is not None
    dossiers = []
    start = dt.datetime(2012, 1, 2, 9, tzinfo=dt.UTC)
    for n in range(count):
        received = start + dt.timedelta(days=n)
        with clock.frozen_at(received):
            dossier = dossier_open(
                actor=None,
                dossier_type=dossier_type,
                subject=f"Bench: vraag over verbouwen {n}",
                requester=party,
                received_at=received,
            )
        demo.mail_in(
            dossier,
            party=party,
            email="emma.desmet@voorbeeld.example",
            body="Beste,\n\nMag dit?\n\nEmma",
            when=received + dt.timedelta(minutes=5),
            attachments=[
                ("foto.jpg", "image/jpeg", demo.photo_jpeg(size=(1600, 1200))),
                ("plan.pdf", "application/pdf", demo.plan_pdf(f"Plan {n}") + os.urandom(200_000)),
            ],
        )
        demo.letter_out(
            dossier,
            author=author,
            signer=signer,
            template=template,
            when=received + dt.timedelta(days=10),
        )
        demo.upload_in(
            dossier,
            party=party,
            text="Nog een foto.",
            name="achterkant.jpg",
            data=demo.photo_jpeg(size=(800, 600)),
            media_type="image/jpeg",
            when=received + dt.timedelta(days=11),
        )
        dossiers.append(
            demo.close(dossier, result="beantwoord", when=received + dt.timedelta(days=12))
        )
    work = Path(tempfile.mkdtemp(prefix="bench-packages-"))
    total, documents, valid = 0, 0, True
    try:
        began = time.perf_counter()
        for dossier in dossiers:
            built = package_build(
                dossier=dossier, package_id=uuid.uuid4(), created=clock.now(), work=work
            )
            total += built.size
            valid = valid and built.validation.valid
            documents += len(list(dossier.inbound_messages.all())) * 3 + 2
            built.zip_path.unlink()
        seconds = time.perf_counter() - began
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "packages": count,
        "documents": documents,
        "mb": total / 1e6,
        "seconds": seconds,
        "per_second": count / seconds,
        "valid": valid,
    }


def worker(out: Path, args: argparse.Namespace) -> None:
    import django

    django.setup()
    from midoffice.archive import selectors, services
    from midoffice.web.demo import load_demo_data

    load_demo_data()
    began = time.perf_counter()
    load(args.dossiers)
    load_s = time.perf_counter() - began
    log(f"archive: {args.dossiers:,} dossiers in {load_s:.0f} s; timing the daily run")
    daily = []
    due = 0
    for _ in range(RUNS):
        t0 = time.perf_counter()
        due = services.archive_daily_run().due_total
        daily.append(time.perf_counter() - t0)
    pages = []
    for _ in range(20):
        t0 = time.perf_counter()
        selectors.archive_due_page(action="keep", limit=50)
        pages.append((time.perf_counter() - t0) * 1000)
    plan = _plan()
    log(f"archive: packaging {args.packages} dossiers")
    packaging = _packaging(args.packages)
    out.write_text(
        json.dumps(
            {
                "dossiers": args.dossiers,
                "due": due,
                "load_s": load_s,
                "daily_s": daily,
                "page_ms": statistics.median(pages),
                "plan": plan,
                "packaging": packaging,
            }
        )
    )


def main() -> int:
    quick = os.environ.get("BENCH_QUICK") == "1"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", type=Path)
    parser.add_argument(
        "--dossiers",
        type=int,
        default=20_000 if quick else int(os.environ.get("BENCH_DOSSIERS") or 1_000_000),
    )
    parser.add_argument("--packages", type=int, default=5 if quick else 20)
    parser.add_argument(
        "--skip-sqlite", action="store_true", default=os.environ.get("BENCH_SKIP_SQLITE") == "1"
    )
    parser.add_argument(
        "--skip-postgres", action="store_true", default=os.environ.get("BENCH_SKIP_POSTGRES") == "1"
    )
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args)
        return 0
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
