"""Publish dossier progress: DOSIS registrations and webhooks, through the outbox.

The hooks run inside the dossier service's transaction, so the outbox messages commit
with the change or not at all; the outbox delivers them after commit, retried with
back-off and in order per dossier (DOSIS) or per subscriber (webhooks).

Each DOSIS registration also has a :class:`DosisRegistration` row: the outbox handler
records the sending, :func:`dosis_poll` asks GeefResultaatRegistratie for the outcome
(accepted, refused with DOSIS's reason, still pending), resends what was refused for a
transient reason and flags the rest; :func:`dosis_retry` is the person's retry after a
fix. :func:`dosis_code_lists_load` keeps the GeefCodeLijst lists, against which the
catalog's status mapping is checked before anything is sent (ADR 24).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from midoffice.accounts.models import User
from midoffice.catalog.models import StatusType
from midoffice.core import clock
from midoffice.core.memo import memoised
from midoffice.core.outbox import Delivery, PermanentFailure, outbox_enqueue, outbox_handler
from midoffice.dossiers.events import event_record
from midoffice.dossiers.models import Dossier, EventKind, StatusChange
from midoffice.integrations import webhooks
from midoffice.integrations.dosis import client as _client  # noqa: F401 - registers "magda"
from midoffice.integrations.dosis import schema
from midoffice.integrations.dosis.base import (
    Agent,
    CodeListEntry,
    DosisPlugin,
    DosisRejected,
    DosisUnavailable,
    DossierRegistration,
    RegistrationResult,
    dosis_plugins,
)
from midoffice.integrations.http import HttpUnavailable, http_request
from midoffice.parties.linking import canonical_insz, linked_party_ids
from midoffice.parties.models import Party
from midoffice.publication.models import DosisCode, DosisRegistration, WebhookSubscription

logger = logging.getLogger(__name__)

DOSIS_TOPIC = "dosis.register"
WEBHOOK_TOPIC = "webhook.deliver"


def portal_url(dossier: Dossier) -> str:
    return f"{settings.PUBLIC_URL.rstrip('/')}/mijn/dossiers/{dossier.reference}"


def dossier_agents(dossier: Dossier) -> tuple[Agent, ...]:
    """Who may see the dossier in DOSIS: requester and parties with a role, by INSZ/KBO."""
    parties = (
        Party.objects.filter(Q(pk=dossier.requester_id) | Q(dossier_roles__dossier=dossier))
        .distinct()
        .order_by("pk")
    )
    agents: list[Agent] = []
    for party in parties:
        # A contact linked to one with a national number counts under that number (ADR 29).
        insz = party.insz or canonical_insz(party)
        if insz and Agent(kind="rrn", id=insz) not in agents:
            agents.append(Agent(kind="rrn", id=insz))
        if party.kbo:
            agents.append(Agent(kind="kbo", id=party.kbo))
    return tuple(agents)


def dosis_status_code(status: StatusType) -> str:
    """The DOSIS code a status is sent with: the catalog's mapping, else its own code."""
    return status.dosis_code or status.code.upper()


def dossier_registration(dossier: Dossier, change: StatusChange) -> DossierRegistration:
    """The DOSIS registration of the dossier as it stands after ``change``."""
    status = change.to_status
    text = status.citizen_text or status.name
    return DossierRegistration(
        dossier_id=f"{settings.DOSIS_SOURCE}-{dossier.reference}",
        reference=dossier.reference,
        type_code=dossier.dossier_type.code,
        type_name=dossier.dossier_type.name,
        title=dossier.subject,
        # The catalog maps our statuses to DOSIS codes; the code is the fallback.
        status_code=dosis_status_code(status),
        status_text=text,
        action_needed=status.action_needed,
        action_text=text if status.action_needed else "",
        agents=dossier_agents(dossier),
        entity=settings.DOSIS_ENTITY,
        source=settings.DOSIS_SOURCE,
        url=portal_url(dossier),
        timestamp=change.at or clock.now(),
        contact=dossier.team.name,
    )


def _dosis_enqueue(dossier: Dossier, change: StatusChange) -> None:
    if not settings.DOSIS_ENDPOINT or not change.to_status.notify_citizen:
        return
    registration = dossier_registration(dossier, change)
    if not registration.agents:
        # Nobody can be shown the dossier in Mijn Burgerprofiel (no INSZ or KBO known).
        return
    key = f"dosis:{dossier.reference}:{change.pk}"
    row = DosisRegistration.objects.create(
        dossier=dossier,
        status_change=change,
        status_code=registration.status_code,
        idempotency_key=key,
    )
    outbox_enqueue(
        topic=DOSIS_TOPIC,
        payload={"registration": registration.to_payload(), "row": row.pk},
        ordering_key=f"dosis:{dossier.reference}",
        idempotency_key=key,
    )


def dosis_backfill(party: Party) -> int:
    """Register in DOSIS the open dossiers ``party`` (and its linked contacts) can now be
    shown, once it has a national number (ADR 29): the dossier as it stands, i.e. its
    latest status change meant for the citizen, in order with later changes (the same
    outbox ordering key per dossier). Idempotent: a second call registers nothing.
    Runs inside the caller's transaction. Returns how many were enqueued.
    """
    if not settings.DOSIS_ENDPOINT or not party.insz:
        return 0
    ids = linked_party_ids(party)
    dossiers = (
        Dossier.objects.filter(is_open=True)
        .filter(Q(requester_id__in=ids) | Q(parties__party_id__in=ids))
        .distinct()
        .select_related("dossier_type", "team")
        .order_by("pk")
    )
    count = 0
    for dossier in dossiers:
        change = (
            StatusChange.objects.filter(dossier=dossier, to_status__notify_citizen=True)
            .select_related("to_status")
            .order_by("-at", "-id")
            .first()
        )
        if change is None:
            continue
        key = f"dosis:{dossier.reference}:{change.pk}:backfill-{party.pk}"
        if DosisRegistration.objects.filter(idempotency_key=key).exists():
            continue
        registration = dossier_registration(dossier, change)
        row = DosisRegistration.objects.create(
            dossier=dossier,
            status_change=change,
            status_code=registration.status_code,
            idempotency_key=key,
        )
        outbox_enqueue(
            topic=DOSIS_TOPIC,
            payload={"registration": registration.to_payload(), "row": row.pk},
            ordering_key=f"dosis:{dossier.reference}",
            idempotency_key=key,
        )
        count += 1
    return count


#: Filters apps above this one register in ``ready()`` (explicit, no signals): each takes
#: the dossier and the interested subscriptions and returns those that may hear of it.
#: The specialist systems' filter keeps a system's subscriptions to its scope (ADR 28).
SubscriptionFilter = Callable[[Dossier, list[WebhookSubscription]], list[WebhookSubscription]]
SUBSCRIPTION_FILTERS: list[SubscriptionFilter] = []


def webhook_subscription_filter_register(keep: SubscriptionFilter) -> None:
    if keep not in SUBSCRIPTION_FILTERS:
        SUBSCRIPTION_FILTERS.append(keep)


@memoised(WebhookSubscription)
def _active_subscriptions() -> tuple[WebhookSubscription, ...]:
    return tuple(WebhookSubscription.objects.filter(active=True).order_by("id"))


def webhooks_emit(*, dossier: Dossier, event_type: str, data: dict[str, Any]) -> int:
    """Queue one CloudEvent per interested subscriber; returns how many were queued.

    Call inside the transaction of the change it describes.
    """
    subscriptions = [s for s in _active_subscriptions() if s.wants(event_type)]
    for keep in SUBSCRIPTION_FILTERS:
        subscriptions = keep(dossier, subscriptions) if subscriptions else subscriptions
    if not subscriptions:
        return 0
    event = webhooks.cloudevent(
        event_type=event_type,
        source=f"{settings.PUBLIC_URL.rstrip('/')}/",
        subject=dossier.reference,
        data={"reference": dossier.reference, "dossier_type": dossier.dossier_type.code, **data},
        at=clock.now(),
    )
    for subscription in subscriptions:
        outbox_enqueue(
            topic=WEBHOOK_TOPIC,
            payload={"subscription": subscription.pk, "event": event},
            ordering_key=f"webhook:{subscription.pk}",
            idempotency_key=f"webhook:{subscription.pk}:{event['id']}",
        )
    return len(subscriptions)


def _status_data(change: StatusChange) -> dict[str, Any]:
    status = change.to_status
    return {
        "status": status.code,
        "status_name": status.name,
        "phase": status.phase,
        "action_needed": status.action_needed,
        "from_status": change.from_status.code if change.from_status else None,
    }


def publish_opened(dossier: Dossier, change: StatusChange) -> None:
    """Hook for ``dossier_open``: register the new dossier in DOSIS, tell subscribers."""
    _dosis_enqueue(dossier, change)
    webhooks_emit(dossier=dossier, event_type="dossier.opened", data=_status_data(change))


def publish_status_changed(dossier: Dossier, change: StatusChange) -> None:
    """Hook for ``dossier_change_status``: push the progress when the type says so."""
    _dosis_enqueue(dossier, change)
    webhooks_emit(dossier=dossier, event_type="dossier.status_changed", data=_status_data(change))


# --- delivery (outbox handlers, outside any transaction) ---------------------------------


def dosis_plugin() -> DosisPlugin:
    plugin = dosis_plugins.get("magda")
    return plugin(endpoint=settings.DOSIS_ENDPOINT, sender=settings.DOSIS_ENTITY)  # type: ignore[call-arg]  # the ABC has no constructor contract


# The first question after sending, and the back-off while DOSIS says "in verwerking".
FIRST_POLL = timedelta(minutes=1)
MAX_POLL_INTERVAL = timedelta(hours=6)
# A poll claims its row for this long, so two overlapping poll runs never ask twice.
POLL_LEASE = timedelta(minutes=5)


def poll_backoff(polls: int) -> timedelta:
    """1, 2, 4 … minutes after each "in verwerking", capped at six hours."""
    return min(FIRST_POLL * (1 << min(max(polls - 1, 0), 16)), MAX_POLL_INTERVAL)


def _delivery_row(delivery: Delivery) -> DosisRegistration | None:
    """The registration row this delivery is the current attempt of (older messages
    written before the rows existed, or superseded attempts, have none)."""
    row_id = delivery.payload.get("row")
    if row_id is None:
        return None
    return DosisRegistration.objects.filter(
        pk=row_id, idempotency_key=delivery.idempotency_key
    ).first()


def _flag(row: DosisRegistration, *, state: str, code: str = "", text: str) -> None:
    row.state = state
    row.reason_code = code[:40]
    row.reason_text = text[:500]
    row.resolved_at = clock.now()
    row.next_poll_at = None
    reason = f"{code}: {text}" if code else text
    with transaction.atomic():  # the flag and its timeline event, together
        row.save(
            update_fields=["state", "reason_code", "reason_text", "resolved_at", "next_poll_at"]
        )
        event_record(
            dossier=row.dossier,
            kind=EventKind.DOSIS_REFUSED,
            actor=None,
            actor_label="DOSIS",
            summary=f"Status {row.status_code} niet in Mijn Burgerprofiel: {reason}",
            data={"dosis_registration": row.pk, "state": state, "reason_code": code[:40]},
        )
    logger.warning(
        "DOSIS registration flagged",
        extra={"dosis_registration": row.pk, "state": state, "reason_code": code},
    )


def dosis_code_problem(code: str) -> str:
    """Why ``code`` may not be sent as a DOSIS status (Dutch, for the admin), or "".

    Without a loaded status code list nothing can be judged: the database system check
    and the admin say the list is missing, and registrations go out as before.
    """
    known = DosisCode.objects.filter(list_name=schema.CODE_LIST_STATUS)
    loaded = known.order_by("-loaded_at").values_list("loaded_at", flat=True).first()
    if loaded is None or known.filter(code=code).exists():
        return ""
    return (
        f"De DOSIS-statuscode ‘{code}’ staat niet in de codelijst {schema.CODE_LIST_STATUS} "
        f"(geladen op {timezone.localtime(loaded):%d-%m-%Y}). Pas de DOSIS-statuscode van de "
        "status in de catalogus aan en probeer opnieuw."
    )


def dosis_code_problem_in_admin(code: str) -> str:
    """The same problem, worded for the catalog's status form (nothing to retry there)."""
    return dosis_code_problem(code).replace(" en probeer opnieuw", "")


@outbox_handler(DOSIS_TOPIC)
def dosis_deliver(delivery: Delivery) -> dict[str, Any]:
    """Send one registration; DOSIS being down raises and the outbox retries later.

    A status code outside DOSIS's code list is not sent: the registration is flagged
    with the reason (an admin error to fix in the catalog, then retry).
    """
    registration = DossierRegistration.from_payload(delivery.payload["registration"])
    row = _delivery_row(delivery)
    problem = dosis_code_problem(registration.status_code)
    if problem:
        if row is not None:
            _flag(row, state=DosisRegistration.State.BLOCKED, text=problem)
        raise PermanentFailure(problem)
    try:
        receipt = dosis_plugin().register(registration, idempotency_key=delivery.idempotency_key)
    except DosisRejected as exc:
        if row is not None:
            _flag(row, state=DosisRegistration.State.REFUSED, text=str(exc))
        raise PermanentFailure(str(exc)) from exc
    if row is not None and row.state == DosisRegistration.State.QUEUED:
        now = clock.now()
        row.state = DosisRegistration.State.WAITING
        row.registration_id = receipt.registration_id
        row.sent_at = now
        row.polls = 0
        row.next_poll_at = now + FIRST_POLL
        row.save(update_fields=["state", "registration_id", "sent_at", "polls", "next_poll_at"])
    return {"registration_id": receipt.registration_id}


# --- results (GeefResultaatRegistratie) ------------------------------------------------


@dataclass
class PollReport:
    """What one poll run did, by outcome."""

    accepted: int = 0
    pending: int = 0
    resent: int = 0
    refused: int = 0
    given_up: int = 0
    unavailable: bool = False


def _newer_registration_stands(row: DosisRegistration) -> bool:
    """A later status of the same dossier is sent or on its way: sending this older one
    again would set DOSIS back to an older status."""
    return (
        DosisRegistration.objects.filter(dossier_id=row.dossier_id, id__gt=row.pk)
        .exclude(state__in=[*DosisRegistration.FLAGGED, DosisRegistration.State.SUPERSEDED])
        .exists()
    )


def _resend(
    row: DosisRegistration,
    *,
    from_states: tuple[str, ...],
    why: str,
    actor: User | None = None,
) -> Literal["resent", "superseded", "skipped"]:
    """Send the row's status change again under a new question reference, rebuilt from
    the catalog as it is now (the fix); "superseded" when a newer status stands, "skipped"
    when someone else already sent it again (two retries at once).
    """
    with transaction.atomic():
        locked = DosisRegistration.objects.select_for_update().get(pk=row.pk)
        if locked.state not in from_states:
            return "skipped"
        if _newer_registration_stands(locked):
            locked.state = DosisRegistration.State.SUPERSEDED
            locked.next_poll_at = None
            locked.resolved_at = clock.now()
            locked.save(update_fields=["state", "next_poll_at", "resolved_at"])
            row.refresh_from_db()
            return "superseded"
        change = StatusChange.objects.select_related(
            "to_status", "dossier__dossier_type", "dossier__team"
        ).get(pk=locked.status_change_id)
        registration = dossier_registration(change.dossier, change)
        locked.attempts += 1
        base = f"dosis:{change.dossier.reference}:{change.pk}"
        locked.idempotency_key = f"{base}:r{locked.attempts}"
        locked.status_code = registration.status_code
        locked.state = DosisRegistration.State.QUEUED
        locked.registration_id = ""
        locked.polls = 0
        locked.next_poll_at = None
        locked.sent_at = None
        locked.resolved_at = None
        locked.save(
            update_fields=[
                "attempts",
                "idempotency_key",
                "status_code",
                "state",
                "registration_id",
                "polls",
                "next_poll_at",
                "sent_at",
                "resolved_at",
            ]
        )
        outbox_enqueue(
            topic=DOSIS_TOPIC,
            payload={"registration": registration.to_payload(), "row": locked.pk},
            ordering_key=f"dosis:{change.dossier.reference}",
            idempotency_key=locked.idempotency_key,
        )
        event_record(
            dossier=change.dossier,
            kind=EventKind.DOSIS_RESENT,
            actor=actor,
            actor_label="" if actor else "Midoffice",
            summary=f"Status {locked.status_code} opnieuw naar DOSIS (poging {locked.attempts}): "
            f"{why}",
            data={"dosis_registration": locked.pk, "attempt": locked.attempts},
        )
    row.refresh_from_db()
    return "resent"


def _apply_result(row: DosisRegistration, result: RegistrationResult, report: PollReport) -> None:
    now = clock.now()
    if result.accepted:
        row.state = DosisRegistration.State.ACCEPTED
        row.resolved_at = now
        row.next_poll_at = None
        row.reason_code = row.reason_text = ""
        row.save(
            update_fields=["state", "resolved_at", "next_poll_at", "reason_code", "reason_text"]
        )
        report.accepted += 1
        return
    if result.pending:
        row.polls += 1
        row.next_poll_at = now + poll_backoff(row.polls)
        row.save(update_fields=["polls", "next_poll_at"])
        report.pending += 1
        return
    reason = result.reasons[0] if result.reasons else None
    code = reason.code if reason else ""
    text = reason.text if reason else "DOSIS weigerde de registratie zonder reden."
    transient = code in settings.DOSIS_TRANSIENT_REASONS
    if transient and row.attempts <= settings.DOSIS_RETRY_LIMIT:
        # Keep DOSIS's reason visible while the new attempt is on its way.
        row.reason_code, row.reason_text = code[:40], text[:500]
        row.save(update_fields=["reason_code", "reason_text"])
        why = f"DOSIS weigerde tijdelijk ({code}: {text})"
        if _resend(row, from_states=(DosisRegistration.State.WAITING,), why=why) == "resent":
            report.resent += 1
        return
    if transient:
        text = f"{text} (na {row.attempts} pogingen)"
    _flag(row, state=DosisRegistration.State.REFUSED, code=code, text=text)
    report.refused += 1


def _claim_for_poll(row: DosisRegistration) -> bool:
    """Move the row's next poll out of reach of an overlapping run; False if lost."""
    claimed = DosisRegistration.objects.filter(
        pk=row.pk, state=DosisRegistration.State.WAITING, next_poll_at=row.next_poll_at
    ).update(next_poll_at=clock.now() + POLL_LEASE)
    return claimed == 1


def dosis_poll(*, limit: int | None = None) -> PollReport:
    """Ask DOSIS for the outcome of every registration that is due, oldest first.

    Accepted and refused are recorded with DOSIS's reason; "in verwerking" is asked again
    with back-off; a registration without outcome after MIDOFFICE_DOSIS_RESULT_MAX_AGE_HOURS
    is flagged. DOSIS down ends the run: the next run carries on where this one stopped.
    """
    report = PollReport()
    if not settings.DOSIS_ENDPOINT:
        return report
    now = clock.now()
    max_age = timedelta(hours=settings.DOSIS_RESULT_MAX_AGE_HOURS)
    due = list(
        DosisRegistration.objects.filter(
            state=DosisRegistration.State.WAITING, next_poll_at__lte=now
        ).order_by("sent_at", "id")[: limit or settings.DOSIS_POLL_BATCH]
    )
    plugin = dosis_plugin() if due else None
    for row in due:
        if plugin is None or not _claim_for_poll(row):
            continue
        try:
            result = plugin.result(registration_id=row.registration_id)
        except DosisUnavailable as exc:
            # Give the row back its place in the queue; the next run asks again.
            DosisRegistration.objects.filter(pk=row.pk).update(next_poll_at=row.next_poll_at)
            logger.info("DOSIS unavailable for results", extra={"error": str(exc)[:200]})
            report.unavailable = True
            break
        # Asked first, so a result that arrived during a long DOSIS outage still counts.
        if result.pending and row.sent_at is not None and now - row.sent_at > max_age:
            hours = settings.DOSIS_RESULT_MAX_AGE_HOURS
            _flag(
                row,
                state=DosisRegistration.State.GIVEN_UP,
                text=f"DOSIS gaf binnen {hours} uur geen resultaat voor registratie "
                f"{row.registration_id}.",
            )
            report.given_up += 1
            continue
        _apply_result(row, result, report)
    return report


def dosis_retry(
    *, registration_ids: Iterable[int], actor: AbstractBaseUser | None
) -> tuple[int, int]:
    """A person's retry of flagged registrations (after fixing the cause), in the order
    they were made. Returns (sent again, superseded by a newer status)."""
    resent = superseded = 0
    rows = DosisRegistration.objects.filter(
        pk__in=list(registration_ids), state__in=DosisRegistration.FLAGGED
    ).order_by("id")
    for row in rows:
        outcome = _resend(
            row,
            from_states=DosisRegistration.FLAGGED,
            why="opnieuw verstuurd na herstel",
            actor=actor if isinstance(actor, User) else None,
        )
        if outcome == "resent":
            resent += 1
            logger.info(
                "DOSIS registration retried",
                extra={"dosis_registration": row.pk, "actor": actor.pk if actor else None},
            )
        elif outcome == "superseded":
            superseded += 1
    return resent, superseded


# --- code lists (GeefCodeLijst) ---------------------------------------------------------


class CodeListEmpty(Exception):
    """DOSIS answered an empty code list; the loaded one is kept."""


def dosis_code_lists_load(*, names: tuple[str, ...] = schema.CODE_LISTS) -> dict[str, int]:
    """Load the DOSIS code lists into :class:`DosisCode`; returns the count per list.

    All lists are asked first and written in one transaction: a failure (DOSIS down,
    a list refused or empty) leaves the lists loaded before untouched.
    """
    plugin = dosis_plugin()
    fetched: dict[str, tuple[CodeListEntry, ...]] = {}
    for name in names:
        entries = plugin.code_list(name=name)
        if not entries:
            raise CodeListEmpty(f"DOSIS answered an empty code list {name}")
        fetched[name] = entries
    return dosis_code_lists_store(fetched)


def dosis_code_lists_store(fetched: dict[str, tuple[CodeListEntry, ...]]) -> dict[str, int]:
    """Replace the named lists by these entries in one transaction; the count per list."""
    now = clock.now()
    with transaction.atomic():
        for name, entries in fetched.items():
            DosisCode.objects.filter(list_name=name).exclude(
                code__in=[entry.code for entry in entries]
            ).delete()
            for entry in entries:
                DosisCode.objects.update_or_create(
                    list_name=name,
                    code=entry.code,
                    defaults={"description": entry.description[:300], "loaded_at": now},
                )
    return {name: len(entries) for name, entries in fetched.items()}


@dataclass(frozen=True)
class MappingProblem:
    """A catalog status that would be sent to DOSIS with a code DOSIS does not know."""

    dossier_type: str
    status: str
    code: str

    def __str__(self) -> str:
        return (
            f"Dossiertype ‘{self.dossier_type}’, status ‘{self.status}’: DOSIS-statuscode "
            f"‘{self.code}’ staat niet in de codelijst {schema.CODE_LIST_STATUS}."
        )


def dosis_mapping_problems() -> list[MappingProblem]:
    """Every status the citizen hears about whose DOSIS code is not in the loaded list
    (empty when no list is loaded: nothing to check against)."""
    known = set(
        DosisCode.objects.filter(list_name=schema.CODE_LIST_STATUS).values_list("code", flat=True)
    )
    if not known:
        return []
    statuses = StatusType.objects.filter(notify_citizen=True).select_related("dossier_type")
    return [
        MappingProblem(
            dossier_type=status.dossier_type.code,
            status=status.code,
            code=dosis_status_code(status),
        )
        for status in statuses.order_by("dossier_type__code", "order")
        if dosis_status_code(status) not in known
    ]


@outbox_handler(WEBHOOK_TOPIC)
def webhook_deliver(delivery: Delivery) -> dict[str, Any]:
    """POST the CloudEvent to the subscriber, signed; 5xx and no answer are retried."""
    subscription = WebhookSubscription.objects.filter(pk=delivery.payload["subscription"]).first()
    if subscription is None or not subscription.active:
        return {"skipped": "subscription gone or inactive"}
    event = delivery.payload["event"]
    body = webhooks.event_body(event)
    timestamp = int(clock.now().timestamp())
    try:
        answer = http_request(
            "POST",
            subscription.url,
            data=body,
            headers={
                "Content-Type": webhooks.CONTENT_TYPE,
                "Webhook-Id": event["id"],
                webhooks.SIGNATURE_HEADER: webhooks.signature_header(
                    secret=subscription.secret, body=body, timestamp=timestamp
                ),
            },
        )
    except HttpUnavailable as exc:
        raise ConnectionError(str(exc)) from exc
    if answer.ok:
        return {"status": answer.status}
    if 400 <= answer.status < 500 and answer.status not in (408, 409, 425, 429):
        raise PermanentFailure(f"subscriber refused the event: HTTP {answer.status}")
    raise ConnectionError(f"subscriber answered HTTP {answer.status}")
