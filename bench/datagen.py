"""Deterministic synthetic rows for the bulk loader: parties, dossiers, events.

Pure Python (no Django, no database): :func:`party_rows` and :func:`dossier_chunks` turn a
snapshot of the catalog (:class:`Catalog`) into tuples in the column order of
:data:`COLUMNS`. The loader formats and writes them; values are datetimes, dates, bools,
ints, strings and ``None`` so each backend can convert them its own way.

Realism, roughly: dossiers arrive evenly over the last three years (references numbered
per year in arrival order); dossier types are weighted (reports about public space and
waste are common, tax objections rare); about 70 % are closed, and recent dossiers are far
more often still open than old ones; open dossiers are spread over the phases (new,
in progress, waiting for the citizen - deadline suspended, so no deadline - and answered);
handlers are drawn from the dossier's team; one requester per dossier from a pool of
contacts that each have one e-mail address; one to three timeline events per dossier.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from midoffice.dossiers.deadlines import DayUnit, TownCalendar, add_days

BRUSSELS = ZoneInfo("Europe/Brussels")

# Column order of the tuples below; the loader checks them against the models.
COLUMNS: dict[str, tuple[str, ...]] = {
    "parties_party": (
        "id", "kind", "given_name", "family_name", "organisation_name", "display_name",
        "insz", "kbo", "preferred_channel", "email_consent", "ebox_consent",
        "created_at", "updated_at",
    ),
    "parties_contactpoint": (
        "id", "party_id", "kind", "value", "match_key", "street", "house_number", "box",
        "postcode", "municipality", "country", "is_primary",
    ),
    "dossiers_dossier": (
        "id", "reference", "dossier_type_id", "subject", "description", "status_id", "phase",
        "is_open", "team_id", "assignee_id", "confidential", "channel", "requester_id",
        "location_street", "location_number", "location_postcode", "location_municipality",
        "capakey", "received_at", "opened_at", "closed_at", "deadline", "deadline_base",
        "suspended_since", "extended", "warning_level", "result_id", "warn_on",
    ),
    "dossiers_dossierparty": ("id", "dossier_id", "party_id", "role"),
    "dossiers_event": (
        "id", "dossier_id", "kind", "at", "actor_id", "actor_label", "public", "summary", "data",
    ),
    "dossiers_suspension": ("id", "dossier_id", "start", "end", "reason"),
}  # fmt: skip

TYPE_WEIGHTS = {
    "info-verbouwen": 6,
    "omgevingsvergunning-vooroverleg": 3,
    "stedenbouwkundige-inlichtingen": 5,
    "attest-burgerzaken": 12,
    "adreswijziging": 8,
    "melding-openbaar-domein": 16,
    "vraag-afval": 14,
    "premie-milieu": 3,
    "parkeerverbod": 7,
    "bezwaar-belasting": 3,
    "sociale-hulpvraag": 4,
    "zaalverhuur": 6,
    "evenementenvergunning": 3,
    "klacht": 4,
    "triage": 2,
}
DEFAULT_TYPE_WEIGHT = 3
CHANNELS = (("email", 55), ("portal", 20), ("phone", 10), ("counter", 10), ("letter", 5))
OPEN_PHASES = (("new", 25), ("in_progress", 50), ("waiting", 10), ("answered", 15))
LOCATED_TEAMS = {"omgeving", "openbaar_domein", "mobiliteit", "evenementen"}

GIVEN = [
    "Emma",
    "Lucas",
    "Noor",
    "Louis",
    "Olivia",
    "Arthur",
    "Mila",
    "Jules",
    "Louise",
    "Adam",
    "Marie",
    "Liam",
    "Elena",
    "Finn",
    "Lina",
    "Noah",
    "Ella",
    "Victor",
    "Julie",
    "Mats",
    "Fien",
    "Vic",
    "Nina",
    "Lars",
    "Amélie",
    "Wout",
    "Hanne",
    "Senne",
    "Lore",
    "Ruben",
    "Sara",
    "Thomas",
    "Yasmina",
    "Mohamed",
    "Fatima",
    "Youssef",
    "Inès",
    "Ayoub",
    "Zoë",
    "Stan",
]
FAMILY = [
    "Peeters",
    "Janssens",
    "Maes",
    "Jacobs",
    "Mertens",
    "Willems",
    "Claes",
    "Goossens",
    "Wouters",
    "De_Smet",
    "Dubois",
    "Lambert",
    "Dumont",
    "Hermans",
    "Smets",
    "Martens",
    "Vermeulen",
    "Van_den_Broeck",
    "Aerts",
    "Pauwels",
    "Verbeke",
    "Michiels",
    "Van_Damme",
    "Cools",
    "De_Backer",
    "Segers",
    "Bogaert",
    "Desmet",
    "El_Amrani",
    "Yilmaz",
    "Vandenberghe",
    "Coppens",
    "Lemmens",
    "Van_Dyck",
    "Geerts",
    "Verhoeven",
    "De_Wilde",
    "Thys",
    "Leys",
    "Heylen",
]
STREETS = [
    "Kastanjedreef",
    "Molenveldstraat",
    "Heibloemdreef",
    "Kerkstraat",
    "Stationsstraat",
    "Dorpsplein",
    "Beukenlaan",
    "Lindelei",
    "Schoolstraat",
    "Kapelstraat",
    "Veldstraat",
    "Nieuwstraat",
    "Meidoornlaan",
    "Ringlaan",
    "Vijverstraat",
    "Broekstraat",
    "Hoogstraat",
    "Kloosterstraat",
    "Eikenlaan",
    "Akkerstraat",
]


@dataclass(frozen=True)
class TypeInfo:
    """The parts of a dossier type the generator needs."""

    id: int
    code: str
    name: str
    team_id: int
    team_code: str
    days: int
    unit: str  # "working" or "calendar"
    confidential: bool
    statuses: dict[str, int]  # phase -> status id (first status of that phase)
    results: tuple[int, ...]
    warn_fraction: float = 0.8  # at risk from this share of the processing time on
    warn_days_left: int | None = None  # ... or when this many counting days are left

    @property
    def weight(self) -> int:
        return TYPE_WEIGHTS.get(self.code, DEFAULT_TYPE_WEIGHT)


@dataclass
class Catalog:
    """A snapshot of what exists before the load, and where the new ids start."""

    types: list[TypeInfo]
    handlers: dict[int, list[tuple[int, str]]]  # team id -> [(user id, full name)]
    closing_days: frozenset[date]
    now: datetime
    first_id: dict[str, int]  # table -> first free id
    reference_last: dict[int, int] = field(default_factory=dict)  # year -> last number used


def party_rows(catalog: Catalog, count: int, seed: int) -> Iterator[tuple[tuple[object, ...], ...]]:
    """Yield ``(party row, contact point row)`` pairs: persons, each with one e-mail."""
    rng = random.Random(seed)
    pid = catalog.first_id["parties_party"]
    cid = catalog.first_id["parties_contactpoint"]
    created = catalog.now - timedelta(days=3 * 365 + 30)
    for i in range(count):
        given = rng.choice(GIVEN)
        family = rng.choice(FAMILY).replace("_", " ")
        email = f"{given}.{family}.{i}@voorbeeld.example".lower().replace(" ", "")
        channel = "email" if rng.random() < 0.6 else ""
        yield (
            (
                pid + i, "person", given, family, "", f"{given} {family}", None, None,
                channel, channel == "email", False, created, created,
            ),
            (
                cid + i, pid + i, "email", email, email, "", "", "", "", "", "BE", True,
            ),
        )  # fmt: skip


@dataclass
class Chunk:
    """Rows of one batch of dossiers, per table."""

    rows: dict[str, list[tuple[object, ...]]]

    def count(self) -> int:
        return sum(len(v) for v in self.rows.values())


def _weighted(rng: random.Random, options: tuple[tuple[str, int], ...]) -> Callable[[], str]:
    values = [o for o, _ in options]
    cum: list[float] = []
    total = 0.0
    for _, w in options:
        total += w
        cum.append(total)

    def pick() -> str:
        return rng.choices(values, cum_weights=cum)[0]

    return pick


def open_probability(age_days: float, open_share: float | None = None) -> float:
    """Recent dossiers are mostly open, old ones mostly closed; about 30 % overall.

    ``open_share`` (0..1) scales that curve so about that share of all dossiers is open
    (the deadline-scan benchmark wants a million open ones).
    """
    if age_days < 183:
        p = 0.8
    elif age_days < 548:
        p = 0.3
    else:
        p = 0.13
    if open_share is None:
        return p
    if open_share >= 0.3:  # raise the closed share towards zero, keep recent > old
        return 1 - (1 - p) * (1 - open_share) / 0.7
    return p * open_share / 0.3


def warn_on_of(t: TypeInfo, due: date, calendar: TownCalendar) -> date:
    """The first "at risk" day, as ``dossiers.services._warn_on`` computes it (no
    extension, no suspension: the loader's deadlines have neither)."""
    threshold = math.floor(t.days * (1 - t.warn_fraction) + 1e-9)
    if t.warn_days_left is not None:
        threshold = max(threshold, t.warn_days_left)
    if t.unit == DayUnit.CALENDAR:
        return due - timedelta(days=threshold)
    day, left = due, 0
    while True:
        step = 1 if calendar.is_working_day(day) else 0
        if left + step > threshold:
            return day
        left += step
        day -= timedelta(days=1)


def dossier_chunks(
    catalog: Catalog,
    count: int,
    parties: tuple[int, int],
    seed: int,
    chunk_size: int = 20_000,
    open_share: float | None = None,
) -> Iterator[Chunk]:
    """Yield the dossiers (with parties, events, suspensions) in arrival order, in chunks.

    ``parties`` is the inclusive id range of the requester pool; ``open_share`` see
    :func:`open_probability` (default: about 30 % open).
    """
    rng = random.Random(seed)
    calendar = TownCalendar(closing_days=catalog.closing_days)
    types = catalog.types
    type_cum: list[float] = []
    acc = 0.0
    for t in types:
        acc += t.weight
        type_cum.append(acc)
    channel = _weighted(rng, CHANNELS)
    open_phase = _weighted(rng, OPEN_PHASES)
    now = catalog.now
    end_ts = now.timestamp() - 3600
    span = 3 * 365 * 86400.0
    start_ts = end_ts - span
    today = now.astimezone(BRUSSELS).date()
    deadline_cache: dict[tuple[int, date], tuple[date, date]] = {}
    ids = dict(catalog.first_id)
    ref_last = dict(catalog.reference_last)
    party_lo, party_hi = parties

    def deadline_of(t: TypeInfo, received: date) -> tuple[date, date]:
        """(deadline, first at-risk day) for a dossier of type ``t`` received that day."""
        key = (t.id, received)
        cached = deadline_cache.get(key)
        if cached is None:
            due = add_days(received, t.days, DayUnit(t.unit), calendar)
            cached = (due, warn_on_of(t, due, calendar))
            deadline_cache[key] = cached
        return cached

    for first in range(0, count, chunk_size):
        rows: dict[str, list[tuple[object, ...]]] = {table: [] for table in COLUMNS}
        d_rows = rows["dossiers_dossier"]
        p_rows = rows["dossiers_dossierparty"]
        e_rows = rows["dossiers_event"]
        s_rows = rows["dossiers_suspension"]
        batch = min(chunk_size, count - first)
        picked = rng.choices(types, cum_weights=type_cum, k=batch)
        for j in range(batch):
            i = first + j
            t = picked[j]
            ts = int(start_ts + span * (i + rng.random()) / count)
            received_at = datetime.fromtimestamp(ts, UTC)
            local = datetime.fromtimestamp(ts, BRUSSELS)
            received = local.date()
            year = local.year
            number = ref_last.get(year, 0) + 1
            ref_last[year] = number
            did = ids["dossiers_dossier"]
            ids["dossiers_dossier"] = did + 1
            age = (end_ts - ts) / 86400.0
            is_open = rng.random() < open_probability(age, open_share)
            phase = open_phase() if is_open else "closed"
            status_id = t.statuses.get(phase) or t.statuses["new"]
            handlers: list[tuple[int | None, str]] = [*catalog.handlers.get(t.team_id, [])]
            handlers = handlers or [(None, "")]
            assignee, assignee_name = (
                (None, "") if phase == "new" and rng.random() < 0.9 else rng.choice(handlers)
            )
            due, warn_on = deadline_of(t, received)
            deadline: date | None = due
            suspended_since: date | None = None
            closed_at: datetime | None = None
            result_id: int | None = None
            opened_at = received_at + timedelta(seconds=rng.randint(5, 600))
            touched_at = opened_at + timedelta(hours=rng.uniform(2, 24 * min(t.days, 20)))
            if touched_at > now:
                touched_at = opened_at
            if phase == "waiting":
                suspended_since = min(touched_at.astimezone(BRUSSELS).date(), today)
                deadline = None
                sid = ids["dossiers_suspension"]
                ids["dossiers_suspension"] = sid + 1
                s_rows.append((sid, did, suspended_since, None, "Wacht op de burger"))
            elif phase == "closed":
                result_id = rng.choice(t.results) if t.results else None
                closed_at = opened_at + timedelta(days=rng.uniform(0.5, t.days * 1.3))
                if closed_at > now:
                    closed_at = now - timedelta(minutes=rng.randint(1, 600))
                closed_at = max(closed_at, opened_at)
                touched_at = min(touched_at, closed_at)
            chan = channel()
            street = rng.choice(STREETS)
            num = str(rng.randint(1, 180))
            located = t.team_code in LOCATED_TEAMS
            subject = f"{t.name}: {street} {num}" if located else f"{t.name} ({chan})"
            requester = rng.randint(party_lo, party_hi)
            d_rows.append(
                (
                    did, f"{year}-{number:06d}", t.id, subject, "", status_id, phase, is_open,
                    t.team_id, assignee, t.confidential, chan, requester,
                    street if located else "", num if located else "",
                    "2640" if located else "", "Leemdonk" if located else "", "",
                    received_at, opened_at, closed_at, deadline, due, suspended_since,
                    False, 0, result_id, warn_on if deadline is not None else None,
                )
            )  # fmt: skip
            pid = ids["dossiers_dossierparty"]
            ids["dossiers_dossierparty"] = pid + 1
            p_rows.append((pid, did, requester, "requester"))
            eid = ids["dossiers_event"]
            data = json.dumps({"type": t.code, "team": t.team_code, "channel": chan})
            e_rows.append(
                (eid, did, "dossier.opened", opened_at, None, "Midoffice", True,
                 f"Vraag ontvangen: {subject}"[:300], data)
            )  # fmt: skip
            eid += 1
            if phase != "new":
                e_rows.append(
                    (eid, did, "dossier.status_changed", touched_at, assignee,
                     assignee_name or "Midoffice", True, "Status gewijzigd", "{}")
                )  # fmt: skip
                eid += 1
            if closed_at is not None:
                e_rows.append(
                    (eid, did, "dossier.closed", closed_at, assignee, assignee_name or "Midoffice",
                     True, "Dossier afgesloten", "{}")
                )  # fmt: skip
                eid += 1
            ids["dossiers_event"] = eid
        catalog.reference_last = ref_last
        yield Chunk(rows)
