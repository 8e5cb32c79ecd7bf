"""Publish dossier progress: DOSIS registrations and webhooks, through the outbox.

The hooks run inside the dossier service's transaction, so the outbox messages commit
with the change or not at all; the outbox delivers them after commit, retried with
back-off and in order per dossier (DOSIS) or per subscriber (webhooks).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import Q

from midoffice.core import clock
from midoffice.core.memo import memoised
from midoffice.core.outbox import Delivery, PermanentFailure, outbox_enqueue, outbox_handler
from midoffice.dossiers.models import Dossier, StatusChange
from midoffice.integrations import webhooks
from midoffice.integrations.dosis import client as _client  # noqa: F401 - registers "magda"
from midoffice.integrations.dosis.base import (
    Agent,
    DosisPlugin,
    DosisRejected,
    DossierRegistration,
    dosis_plugins,
)
from midoffice.integrations.http import HttpUnavailable, http_request
from midoffice.parties.models import Party
from midoffice.publication.models import WebhookSubscription

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
        if party.insz:
            agents.append(Agent(kind="rrn", id=party.insz))
        if party.kbo:
            agents.append(Agent(kind="kbo", id=party.kbo))
    return tuple(agents)


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
        status_code=status.dosis_code or status.code.upper(),
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
    outbox_enqueue(
        topic=DOSIS_TOPIC,
        payload={"registration": registration.to_payload()},
        ordering_key=f"dosis:{dossier.reference}",
        idempotency_key=f"dosis:{dossier.reference}:{change.pk}",
    )


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


@outbox_handler(DOSIS_TOPIC)
def dosis_deliver(delivery: Delivery) -> dict[str, Any]:
    """Send one registration; DOSIS being down raises and the outbox retries later."""
    registration = DossierRegistration.from_payload(delivery.payload["registration"])
    try:
        receipt = dosis_plugin().register(registration, idempotency_key=delivery.idempotency_key)
    except DosisRejected as exc:
        raise PermanentFailure(str(exc)) from exc
    return {"registration_id": receipt.registration_id}


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
