"""Bulk loader and Django-side helpers of the benchmark (run in a subprocess per database).

    python bench/loader.py load --dossiers 1000000 --out result.json
    python bench/loader.py explain --token KEY --url '/api/v1/dossiers/?team=x&open=true'

The environment chooses the database (``DATABASE_URL`` empty: SQLite in
``MIDOFFICE_DATA_DIR``), exactly as for the product. ``load`` expects a migrated, empty
database: it loads the demo town's catalog and staff (``load_demo_data``), adds five
handlers per team, then writes contacts, dossiers, requesters, events and suspensions
straight into the Django tables - PostgreSQL through ``COPY``, SQLite through
``executemany`` in large transactions with ``synchronous=OFF`` - resets the id sequences
and the reference counters, updates planner statistics, and prepares what the HTTP
measurement needs (a system account with an API token, a staff session, sample
references and e-mail addresses). It writes a JSON summary to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

import django

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "midoffice.settings")
django.setup()

import datagen  # noqa: E402
from django.apps import apps  # noqa: E402 - Django must be set up first
from django.db import connection  # noqa: E402

SYSTEM_USERNAME = "bench-system"
HANDLERS_PER_TEAM = 5


def log(message: str) -> None:
    print(f"[loader {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the catalog snapshot -------------------------------------------------------------


def _next_id(model: Any) -> int:
    last = model.objects.order_by("-id").values_list("id", flat=True).first()
    return int(last or 0) + 1


def _model_for_table(table: str) -> Any:
    for model in apps.get_models():
        if model._meta.db_table == table:
            return model
    raise LookupError(table)


def bench_handlers_create() -> None:
    """Five handlers per team, so open dossiers have realistic assignees."""
    from midoffice.accounts.models import Role, Team, User

    through = User.teams.through
    for team in Team.objects.all():
        users = []
        for k in range(1, HANDLERS_PER_TEAM + 1):
            user = User(
                username=f"bench-{team.code}-{k}",
                first_name=f"Behandelaar {k}",
                last_name=team.name,
                role=Role.HANDLER,
            )
            user.set_unusable_password()
            users.append(user)
        User.objects.bulk_create(users)
        created = User.objects.filter(username__startswith=f"bench-{team.code}-")
        through.objects.bulk_create([through(user_id=u.pk, team_id=team.pk) for u in created])


def catalog_snapshot() -> datagen.Catalog:
    from midoffice.accounts.models import User
    from midoffice.catalog.models import ClosingDay, DossierType
    from midoffice.core import clock
    from midoffice.dossiers.models import ReferenceCounter

    types = []
    for t in DossierType.objects.select_related("team").prefetch_related(
        "status_types", "result_types"
    ):
        statuses: dict[str, int] = {}
        for s in sorted(t.status_types.all(), key=lambda s: s.order):
            statuses.setdefault(s.phase, s.pk)
        types.append(
            datagen.TypeInfo(
                id=t.pk,
                code=t.code,
                name=t.name,
                team_id=t.team_id,
                team_code=t.team.code,
                days=t.processing_days,
                unit=t.day_unit,
                confidential=t.confidential,
                statuses=statuses,
                results=tuple(r.pk for r in t.result_types.all()),
                warn_fraction=float(t.warn_fraction),
                warn_days_left=t.warn_days_left,
            )
        )
    handlers: dict[int, list[tuple[int, str]]] = {}
    for u in User.objects.filter(username__startswith="bench-").prefetch_related("teams"):
        for team in u.teams.all():
            handlers.setdefault(team.pk, []).append((u.pk, u.get_full_name()))
    first_id = {table: _next_id(_model_for_table(table)) for table in datagen.COLUMNS}
    return datagen.Catalog(
        types=types,
        handlers=handlers,
        closing_days=frozenset(ClosingDay.objects.values_list("date", flat=True)),
        now=clock.now(),
        first_id=first_id,
        reference_last=dict(ReferenceCounter.objects.values_list("year", "last")),
    )


def column_plan(table: str) -> tuple[tuple[str, ...], tuple[object, ...]]:
    """All columns of ``table``: the generated ones, then defaults for any others.

    Other engineers may add fields to these models; a new column with a default or NULL
    is filled with that, and one the generator cannot fill stops the load with its name.
    """
    model = _model_for_table(table)
    generated = datagen.COLUMNS[table]
    extra_columns: list[str] = []
    extra_values: list[object] = []
    for f in model._meta.concrete_fields:
        if f.column in generated:
            continue
        if f.has_default():
            value = f.get_default()
            extra_values.append(
                json.dumps(value) if f.get_internal_type() == "JSONField" else value
            )
        elif f.null:
            extra_values.append(None)
        else:
            raise RuntimeError(f"bench loader: no value for {table}.{f.column}; update datagen")
        extra_columns.append(f.column)
    unknown = set(generated) - {f.column for f in model._meta.concrete_fields}
    if unknown:
        raise RuntimeError(f"bench loader: {table} has no column(s) {sorted(unknown)}")
    return (*generated, *extra_columns), tuple(extra_values)


# --- writers --------------------------------------------------------------------------


class Writer(Protocol):
    def write(
        self, table: str, columns: Sequence[str], rows: Iterable[tuple[object, ...]]
    ) -> None: ...

    def commit(self) -> None: ...

    def close(self) -> None: ...


def _quoted(columns: Sequence[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


class PostgresWriter:
    """``COPY ... FROM STDIN`` through psycopg 3, foreign-key triggers off during the load.

    ``session_replication_role = replica`` skips the (deferred) foreign-key checks that
    would otherwise queue millions of trigger events; the generator only writes ids that
    exist. Indexes stay in place and are maintained by the COPY.
    """

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url)
        self.conn.execute("SET session_replication_role = replica")
        self.conn.execute("SET synchronous_commit = off")

    def write(self, table: str, columns: Sequence[str], rows: Iterable[tuple[object, ...]]) -> None:
        with (
            self.conn.cursor() as cur,
            cur.copy(f"COPY {table} ({_quoted(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def commit(self) -> None:
        self.conn.commit()

    def close(self) -> None:
        self.conn.execute("SET session_replication_role = origin")
        self.conn.commit()
        self.conn.close()


def _sqlite_datetime(value: datetime) -> str:
    # Django keeps aware datetimes in SQLite as naive UTC text.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


class SqliteWriter:
    """``executemany`` in one transaction per chunk, ``synchronous=OFF`` while loading."""

    def __init__(self, path: str) -> None:
        sqlite3.register_adapter(datetime, _sqlite_datetime)
        sqlite3.register_adapter(date, date.isoformat)
        self.conn = sqlite3.connect(path, isolation_level=None)
        for pragma in (
            "journal_mode=WAL",
            "synchronous=OFF",
            "foreign_keys=OFF",
            "cache_size=-524288",
            "temp_store=MEMORY",
        ):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.execute("BEGIN")

    def write(self, table: str, columns: Sequence[str], rows: Iterable[tuple[object, ...]]) -> None:
        marks = ", ".join("?" * len(columns))
        self.conn.executemany(f"INSERT INTO {table} ({_quoted(columns)}) VALUES ({marks})", rows)

    def commit(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.execute("BEGIN")

    def close(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.close()


def writer_open() -> Writer:
    settings = connection.settings_dict
    connection.close()
    if connection.vendor == "postgresql":
        return PostgresWriter(os.environ["DATABASE_URL"])
    if connection.vendor == "sqlite":
        return SqliteWriter(str(settings["NAME"]))
    raise RuntimeError(f"no bulk writer for {connection.vendor}")


# --- the load -------------------------------------------------------------------------


def bulk_load(
    *, dossiers: int, parties: int, seed: int, open_share: float | None = None
) -> dict[str, Any]:
    from django.core.management.color import no_style

    from midoffice.dossiers.models import ReferenceCounter

    catalog = catalog_snapshot()
    plans = {table: column_plan(table) for table in datagen.COLUMNS}
    counts = dict.fromkeys(datagen.COLUMNS, 0)
    writer = writer_open()
    started = time.perf_counter()

    def write(table: str, rows: list[tuple[object, ...]]) -> None:
        columns, extra = plans[table]
        writer.write(table, columns, (r + extra for r in rows) if extra else rows)
        counts[table] += len(rows)

    batch_p: list[tuple[object, ...]] = []
    batch_c: list[tuple[object, ...]] = []
    for party, point in datagen.party_rows(catalog, parties, seed):
        batch_p.append(party)
        batch_c.append(point)
        if len(batch_p) >= 50_000:
            write("parties_party", batch_p)
            write("parties_contactpoint", batch_c)
            writer.commit()
            batch_p, batch_c = [], []
    write("parties_party", batch_p)
    write("parties_contactpoint", batch_c)
    writer.commit()
    first_party = catalog.first_id["parties_party"]
    party_range = (first_party, first_party + parties - 1)
    chunks = datagen.dossier_chunks(catalog, dossiers, party_range, seed + 1, open_share=open_share)
    for chunk in chunks:
        for table, rows in chunk.rows.items():
            write(table, rows)
        writer.commit()
        done = counts["dossiers_dossier"]
        if done % 200_000 == 0 or done == dossiers:
            rate = sum(counts.values()) / (time.perf_counter() - started)
            log(f"{done:,} dossiers written ({rate:,.0f} rows/s)")
    writer.close()
    load_seconds = time.perf_counter() - started

    finish_started = time.perf_counter()
    for year, last in catalog.reference_last.items():
        ReferenceCounter.objects.update_or_create(year=year, defaults={"last": last})
    models = [_model_for_table(t) for t in datagen.COLUMNS]
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            for table in datagen.COLUMNS:
                cursor.execute(f"VACUUM (ANALYZE) {table}")
        else:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finish_seconds = time.perf_counter() - finish_started
    total_rows = sum(counts.values())
    return {
        "vendor": connection.vendor,
        "rows": counts,
        "total_rows": total_rows,
        "load_seconds": round(load_seconds, 2),
        "rows_per_second": round(total_rows / load_seconds),
        "dossiers_per_second": round(dossiers / load_seconds),
        "analyze_seconds": round(finish_seconds, 2),
        "reference_last": catalog.reference_last,
    }


def prepare(seed: int) -> dict[str, Any]:
    """A system account with a token, a staff session, and samples to request."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db.models import Count
    from rest_framework.authtoken.models import Token

    from midoffice.accounts.models import Role, Team, User
    from midoffice.dossiers.models import Dossier
    from midoffice.parties.models import ContactPoint

    rng = random.Random(seed)
    system, _ = User.objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"role": Role.SYSTEM, "first_name": "Benchmark"}
    )
    token, _ = Token.objects.get_or_create(user=system)
    busiest = (
        Dossier.objects.filter(is_open=True)
        .values("team")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    assert busiest is not None, "no open dossiers loaded"
    team = Team.objects.get(pk=busiest["team"])
    handler = User.objects.filter(teams=team, username__startswith="bench-").order_by("id").first()
    assert handler is not None
    session = SessionStore()
    session[SESSION_KEY] = str(handler.pk)
    session[BACKEND_SESSION_KEY] = "midoffice.accounts.backends.StaffBackend"
    session[HASH_SESSION_KEY] = handler.get_session_auth_hash()
    session.create()
    queue_refs = list(
        Dossier.objects.filter(team=team, is_open=True)
        .order_by("deadline", "id")
        .values_list("reference", flat=True)[:1000]
    )
    lo = Dossier.objects.order_by("id").values_list("id", flat=True).first() or 0
    hi = Dossier.objects.order_by("-id").values_list("id", flat=True).first() or 0
    ids = [rng.randint(lo, hi) for _ in range(2000)]
    random_refs = list(Dossier.objects.filter(id__in=ids).values_list("reference", flat=True))
    rng.shuffle(random_refs)
    point_ids = [rng.randint(1, ContactPoint.objects.count()) for _ in range(500)]
    emails = list(
        ContactPoint.objects.filter(id__in=point_ids, kind="email").values_list("value", flat=True)
    )
    return {
        "token": token.key,
        "session": session.session_key,
        "handler": handler.username,
        "team": team.code,
        "team_open": busiest["n"],
        "open_total": Dossier.objects.filter(is_open=True).count(),
        "queue_refs": queue_refs,
        "random_refs": random_refs,
        "emails": emails,
    }


def cmd_load(args: argparse.Namespace) -> None:
    from midoffice.web.demo import load_demo_data

    started = time.perf_counter()
    load_demo_data()
    bench_handlers_create()
    log(f"demo catalog and staff loaded in {time.perf_counter() - started:.1f} s")
    parties = args.parties if args.parties is not None else max(1000, int(args.dossiers * 0.3))
    result = bulk_load(
        dossiers=args.dossiers, parties=parties, seed=args.seed, open_share=args.open_share
    )
    # PostgreSQL's COPY ran with triggers off (replica): give every queue a fresh stamp.
    from midoffice.dossiers import stamps

    stamps.renew_all()
    result["prepare"] = prepare(args.seed)
    Path(args.out).write_text(json.dumps(result, default=str))


def cmd_explain(args: argparse.Namespace) -> None:
    """Run API requests in-process, capture their SQL, and print the plans of the queries."""
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {args.token}")
    staff = APIClient()  # the HTML pages: a staff session instead of the API token
    if args.session:
        staff.cookies["sessionid"] = args.session
    for url in args.url:
        with CaptureQueriesContext(connection) as captured:
            who = client if url.startswith("/api/") else staff
            response = who.get(url, SERVER_NAME="127.0.0.1")
        print(f"### GET {url} -> {response.status_code}")
        for query in captured.captured_queries:
            sql = query["sql"]
            tables = ("dossiers_dossier", "parties_party")
            if not any(t in sql for t in tables) or not sql.lstrip().upper().startswith("SELECT"):
                continue
            print(f"-- {sql}")
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                    print("\n".join(row[0] for row in cursor.fetchall()))
                else:
                    cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
                    print("\n".join(f"  {row[-1]}" for row in cursor.fetchall()))
            print()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    load = sub.add_parser("load", help="load the demo catalog plus N synthetic dossiers")
    load.add_argument("--dossiers", type=int, default=1_000_000)
    load.add_argument("--parties", type=int, default=None, help="default: 30 %% of dossiers")
    load.add_argument("--seed", type=int, default=20260101)
    load.add_argument(
        "--open-share", type=float, default=None, help="share of open dossiers (default ~0.3)"
    )
    load.add_argument("--out", required=True)
    load.set_defaults(func=cmd_load)
    explain = sub.add_parser("explain", help="print query plans of API requests")
    explain.add_argument("--token", required=True)
    explain.add_argument("--url", action="append", required=True)
    explain.add_argument("--session", default="", help="session key for non-API pages")
    explain.set_defaults(func=cmd_explain)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
