"""Front-desk search: one box for dossiers and contacts.

Exact matches come first (a dossier reference, an e-mail address, a phone number), then
full-text matches on the searchable text of dossiers and contacts: SQLite FTS5 (prefix
queries, diacritics folded) or PostgreSQL full text with the ``dutch`` configuration
(stemming, stop words; a GIN index on the tsvector expression).

The searchable text lives in :class:`SearchDocument`; the services that change what is
searchable call :func:`search_index_dossier` / :func:`search_index_party` in their own
transaction. No signals.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from django.db import connection

from midoffice.accounts.models import User
from midoffice.catalog.models import DossierType
from midoffice.core.errors import UserError
from midoffice.dossiers.models import Dossier, DossierParty, Event, EventKind, SearchDocument
from midoffice.dossiers.selectors import dossier_visible_q
from midoffice.parties.identifiers import email_match_key, normalise_phone
from midoffice.parties.models import ContactPoint, Party

MAX_QUERY = 200
# SQLite ranks (bm25) only the newest this many matching dossiers and the newest this many
# matching contacts of a query. A word in a hundred thousand documents (a family name, a
# street, a word of a dossier type's name) was otherwise scored in full at every search -
# 200-350 ms at a million dossiers, for twenty hits that were the oldest ones (equal
# scores fell back to the oldest row). Bounded it costs 5-35 ms, and a query with fewer
# matches of each kind is ranked exactly as before. Keys grow with time (dossier_key,
# party_key), so "newest" is the highest rowid.
FULLTEXT_NEWEST = 2000
REFERENCE_RE = re.compile(r"^(\d{4})-(\d{1,6})$")
_TOKEN_RE = re.compile(r"\w+", re.UNICODE)
_SEARCHABLE_EVENTS = (
    EventKind.NOTE_ADDED,
    EventKind.INTERACTION,
    EventKind.MESSAGE_RECEIVED,
    EventKind.MESSAGE_SENT,
)


# The reads that build a document, in plain SQL (ADR 8): they run for every mail at
# intake, and through the ORM these five reads cost about 2 ms more per mail on
# PostgreSQL (3.3 against 1.2 ms), some 10 % of a mail's intake. Table and column names
# are the models' own (a test compares with an independent rebuild); every value is a
# parameter.
# ruff: noqa: S608


def _marks(count: int) -> str:
    """``%s, %s, …``: one placeholder per value of an ``IN (…)`` list."""
    return ", ".join(["%s"] * count)


_SQL_DOSSIER = (
    "SELECT d.reference, d.subject, d.description, t.name, d.location_street,"
    " d.location_number, d.location_postcode, d.location_municipality, d.requester_id"
    f" FROM {Dossier._meta.db_table} d"
    f" JOIN {DossierType._meta.db_table} t ON t.id = d.dossier_type_id WHERE d.id = %s"
)
_SQL_DOSSIER_PARTIES = (
    f"SELECT party_id FROM {DossierParty._meta.db_table} WHERE dossier_id = %s ORDER BY id"
)
_SQL_DOSSIER_EVENTS = (
    f"SELECT summary, data FROM {Event._meta.db_table} WHERE dossier_id = %s"
    f" AND kind IN ({_marks(len(_SEARCHABLE_EVENTS))}) ORDER BY at, id"
)
_SQL_PARTY_NAMES = f"SELECT id, display_name FROM {Party._meta.db_table} WHERE id IN ({{marks}})"
_SQL_PARTY_POINTS = (
    f"SELECT party_id, kind, value FROM {ContactPoint._meta.db_table}"
    " WHERE party_id IN ({marks}) ORDER BY id"
)


def dossier_key(dossier_id: int) -> int:
    return 2 * dossier_id


def party_key(party_id: int) -> int:
    return 2 * party_id + 1


def _phone_variants(value: str) -> list[str]:
    """E.164 plus the national form, so "0470 12 34 56" and "+32470123456" both match."""
    try:
        number = phonenumbers.parse(value, "BE")
    except phonenumbers.NumberParseException:
        return [value]
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return [value, national.replace(" ", ""), value.lstrip("+")]


def _party_lines(
    party_ids: list[int], cache: dict[int, list[str]] | None = None
) -> dict[int, list[str]]:
    """The searchable lines of each party; ``cache`` (one deferred flush) is read first
    and filled."""
    if cache is not None:
        missing = [pid for pid in party_ids if pid not in cache]
        if missing:
            cache.update(_party_lines(missing))
        return {pid: cache[pid] for pid in party_ids}
    lines: dict[int, list[str]] = {pid: [] for pid in party_ids}
    if not party_ids:
        return lines
    marks = _marks(len(party_ids))
    with connection.cursor() as cursor:
        cursor.execute(_SQL_PARTY_NAMES.format(marks=marks), party_ids)
        for pid, name in cursor.fetchall():
            lines[pid].append(name)
        cursor.execute(_SQL_PARTY_POINTS.format(marks=marks), party_ids)
        for pid, kind, value in cursor.fetchall():
            if kind == ContactPoint.Kind.PHONE:
                lines[pid].extend(_phone_variants(value))
            else:
                lines[pid].append(value)
    return lines


def _write(documents: list[SearchDocument]) -> None:
    """Write the documents: one upsert (INSERT … ON CONFLICT DO UPDATE on both
    databases — safe when another transaction inserts the same key first, e.g. two
    dossiers of one new contact), and on SQLite one statement for the FTS5 index."""
    if not documents:
        return
    SearchDocument.objects.bulk_create(
        documents,
        update_conflicts=True,
        unique_fields=["id"],
        update_fields=["body", "dossier_id", "party_id"],
    )
    if connection.vendor == "sqlite":
        # The FTS5 table has no model. It replaces a row and its index entries in one
        # statement.
        rows = ", ".join(["(%s, %s)"] * len(documents))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT OR REPLACE INTO dossiers_search_fts (rowid, body) VALUES {rows}",
                [value for doc in documents for value in (doc.pk, doc.body)],
            )


# (kind, id) → None: an ordered set of the documents to write when the block ends.
_deferred: ContextVar[dict[tuple[str, int], None] | None] = ContextVar(
    "search_deferred", default=None
)


@contextmanager
def search_index_deferred() -> Iterator[None]:
    """Inside the caller's transaction, index each dossier and contact once, when the
    block ends, instead of at every :func:`search_index_dossier` /
    :func:`search_index_party` call in it.

    A pipeline that opens a dossier and then logs on it (the e-mail intake) would
    otherwise rebuild the same document twice. The document is written from the data
    as it is at the end of the block, still inside the transaction; when the block
    raises, nothing is indexed (the transaction is rolled back anyway). Nested blocks
    leave the indexing to the outermost one.
    """
    if _deferred.get() is not None:
        yield
        return
    pending: dict[tuple[str, int], None] = {}
    token = _deferred.set(pending)
    try:
        yield
    finally:
        _deferred.reset(token)
    party_lines: dict[int, list[str]] = {}  # read once for a contact and its dossier
    _write(
        [
            _dossier_document(pk, party_lines)
            if kind == "dossier"
            else _party_document(pk, party_lines)
            for kind, pk in pending
        ]
    )


def search_index_dossier(*, dossier_id: int) -> None:
    """(Re)write the searchable text of one dossier: reference, subject, type, location,
    parties with their contact points, notes, contact moments and message summaries.
    Inside :func:`search_index_deferred`, done once at the end of that block."""
    pending = _deferred.get()
    if pending is not None:
        pending["dossier", dossier_id] = None
        return
    _write([_dossier_document(dossier_id)])


def _dossier_document(
    dossier_id: int, party_lines: dict[int, list[str]] | None = None
) -> SearchDocument:
    with connection.cursor() as cursor:
        cursor.execute(_SQL_DOSSIER, [dossier_id])
        row = cursor.fetchone()
        if row is None:
            raise Dossier.DoesNotExist(f"dossier {dossier_id}")
        (
            reference,
            subject,
            description,
            type_name,
            street,
            number,
            postcode,
            municipality,
            requester_id,
        ) = row
        cursor.execute(_SQL_DOSSIER_PARTIES, [dossier_id])
        party_ids = [pid for (pid,) in cursor.fetchall()]
        cursor.execute(_SQL_DOSSIER_EVENTS, [dossier_id, *_SEARCHABLE_EVENTS])
        events = cursor.fetchall()
    if requester_id and requester_id not in party_ids:
        party_ids.append(requester_id)
    parts = [
        reference,
        subject,
        description,
        type_name,
        f"{street} {number}",
        f"{postcode} {municipality}",
    ]
    for lines in _party_lines(party_ids, party_lines).values():
        parts.extend(lines)
    for summary, data in events:
        if isinstance(data, str):  # SQLite (and PostgreSQL through Django) give the text
            data = json.loads(data)
        parts.append(str((data or {}).get("text") or summary))
    body = "\n".join(p.strip() for p in parts if p and p.strip())
    return SearchDocument(id=dossier_key(dossier_id), body=body, dossier_id=dossier_id)


def search_index_party(*, party_id: int) -> None:
    """(Re)write the searchable text of one contact: name and contact points.
    Inside :func:`search_index_deferred`, done once at the end of that block."""
    pending = _deferred.get()
    if pending is not None:
        pending["party", party_id] = None
        return
    _write([_party_document(party_id)])


def _party_document(
    party_id: int, party_lines: dict[int, list[str]] | None = None
) -> SearchDocument:
    lines = _party_lines([party_id], party_lines).get(party_id, [])
    return SearchDocument(id=party_key(party_id), body="\n".join(lines), party_id=party_id)


def search_rebuild() -> int:
    """Rebuild every search document (after an import or a restore); returns the count."""
    count = 0
    for pid in Party.objects.values_list("pk", flat=True).iterator():
        search_index_party(party_id=pid)
        count += 1
    for did in Dossier.objects.values_list("pk", flat=True).iterator():
        search_index_dossier(dossier_id=did)
        count += 1
    return count


@dataclass(frozen=True)
class SearchHit:
    kind: Literal["dossier", "party"]
    dossier: Dossier | None = None
    party: Party | None = None
    exact: bool = False


def _fulltext_keys(query: str, limit: int) -> list[int]:
    tokens = [t for t in _TOKEN_RE.findall(query.lower()) if t][:12]
    if not tokens:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            match = " ".join(f'"{t}"*' for t in tokens)
            # Each inner query walks the index newest first, keeps one kind (dossier keys
            # are even, contact keys odd: a contact is not crowded out by a hundred
            # thousand newer dossiers) and stops after FULLTEXT_NEWEST rows, without a
            # sort; only those rows are ranked, together, in a small temporary B-tree.
            # Equal scores: the newest first.
            cursor.execute(
                "SELECT rowid FROM ("
                " SELECT * FROM (SELECT rowid, rank FROM dossiers_search_fts"
                "  WHERE dossiers_search_fts MATCH %s AND rowid %% 2 = 0"
                "  ORDER BY rowid DESC LIMIT %s)"
                " UNION ALL"
                " SELECT * FROM (SELECT rowid, rank FROM dossiers_search_fts"
                "  WHERE dossiers_search_fts MATCH %s AND rowid %% 2 = 1"
                "  ORDER BY rowid DESC LIMIT %s)"
                ") ORDER BY rank, rowid DESC LIMIT %s",
                [match, FULLTEXT_NEWEST, match, FULLTEXT_NEWEST, limit],
            )
        else:
            tsquery = " & ".join(f"{t}:*" for t in tokens)
            # Newest first rather than ts_rank: ranking would recompute the tsvector of
            # every matching row (the index holds no weights), which does not scale to a
            # million dossiers; exact matches are already on top.
            cursor.execute(
                "SELECT id FROM dossiers_searchdocument "
                "WHERE to_tsvector('dutch'::regconfig, body) @@ to_tsquery('dutch', %s) "
                "ORDER BY id DESC LIMIT %s",
                [tsquery, limit],
            )
        return [int(row[0]) for row in cursor.fetchall()]


def _exact_party_ids(query: str) -> list[int]:
    q = query.strip()
    if "@" in q:
        return list(
            ContactPoint.objects.filter(kind=ContactPoint.Kind.EMAIL, match_key=email_match_key(q))
            .values_list("party_id", flat=True)
            .distinct()[:10]
        )
    digits = sum(ch.isdigit() for ch in q)
    if digits >= 8 and re.fullmatch(r"[\d\s+/.()-]+", q):
        try:
            phone = normalise_phone(q)
        except UserError:
            return []
        return list(
            ContactPoint.objects.filter(kind=ContactPoint.Kind.PHONE, value=phone)
            .values_list("party_id", flat=True)
            .distinct()[:10]
        )
    return []


def search(*, user: User, query: str, limit: int = 20) -> list[SearchHit]:
    """Dossiers (that ``user`` may see) and contacts matching ``query``, best first.

    Raises:
        UserError: the query is too long.
    """
    q = " ".join(query.split())
    if not q:
        return []
    if len(q) > MAX_QUERY:
        raise UserError(f"Zoek met hoogstens {MAX_QUERY} tekens.", field="q")
    visible = Dossier.objects.filter(dossier_visible_q(user))
    hits: list[SearchHit] = []
    seen_dossiers: set[int] = set()
    seen_parties: set[int] = set()

    ref = REFERENCE_RE.match(q)
    if ref:
        reference = f"{ref.group(1)}-{int(ref.group(2)):06d}"
        for d in visible.filter(reference=reference).select_related(
            "dossier_type", "status", "team", "requester"
        ):
            hits.append(SearchHit(kind="dossier", dossier=d, exact=True))
            seen_dossiers.add(d.pk)
    exact_parties = _exact_party_ids(q)
    if exact_parties:
        for p in Party.objects.filter(pk__in=exact_parties).order_by("display_name"):
            hits.append(SearchHit(kind="party", party=p, exact=True))
            seen_parties.add(p.pk)
        # Two index lookups instead of an OR over a join (which scans every dossier).
        ids = set(
            Dossier.objects.filter(requester_id__in=exact_parties).values_list("pk", flat=True)[
                :200
            ]
        )
        ids |= set(
            DossierParty.objects.filter(party_id__in=exact_parties).values_list(
                "dossier_id", flat=True
            )[:200]
        )
        for d in (
            visible.filter(pk__in=ids)
            .select_related("dossier_type", "status", "team", "requester")
            .order_by("-received_at")[:limit]
        ):
            hits.append(SearchHit(kind="dossier", dossier=d, exact=True))
            seen_dossiers.add(d.pk)

    if hits:
        # A reference, e-mail address or phone number that matched exactly is the answer;
        # its tokens ("0470", "example") would only add noise and cost.
        return hits[:limit]
    keys = _fulltext_keys(q, limit * 3)
    dossier_ids = [k // 2 for k in keys if k % 2 == 0 and k // 2 not in seen_dossiers]
    party_ids = [k // 2 for k in keys if k % 2 == 1 and k // 2 not in seen_parties]
    dossiers = {
        d.pk: d
        for d in visible.filter(pk__in=dossier_ids).select_related(
            "dossier_type", "status", "team", "requester"
        )
    }
    parties = {p.pk: p for p in Party.objects.filter(pk__in=party_ids)}
    for key in keys:
        obj_id = key // 2
        if key % 2 == 0 and obj_id in dossiers:
            hits.append(SearchHit(kind="dossier", dossier=dossiers[obj_id]))
        elif key % 2 == 1 and obj_id in parties:
            hits.append(SearchHit(kind="party", party=parties[obj_id]))
    return hits[:limit]
