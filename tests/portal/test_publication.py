"""DOSIS push order and retry through the outbox, and signed webhooks."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from midoffice.catalog.models import StatusType
from midoffice.core import outbox
from midoffice.core.models import OutboxMessage
from midoffice.dossiers import services as dossier_services
from midoffice.integrations import webhooks
from midoffice.parties.services import party_create
from midoffice.publication.models import WebhookSubscription
from tests.factories import open_dossier

pytestmark = pytest.mark.django_db


def _make_due() -> None:
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def _walk(dossier, *codes: str) -> None:
    for code in codes:
        dossier_services.dossier_change_status(actor=None, dossier=dossier, status_code=code)


def test_dosis_push_survives_an_outage_exactly_once_and_in_order(fake_dosis, emma, dossier_type):
    StatusType.objects.filter(dossier_type=dossier_type, code="wacht-op-burger").update(
        action_needed=True, dosis_code="WACHT_OP_AANVRAGER", citizen_text="Bezorg ons je plannen."
    )
    fake_dosis.state.down = True
    first = open_dossier(dossier_type=dossier_type, requester=emma, subject="Eerste")
    second = open_dossier(dossier_type=dossier_type, requester=emma, subject="Tweede")
    _walk(first, "in-behandeling", "wacht-op-burger")
    _walk(second, "in-behandeling")
    assert OutboxMessage.objects.filter(topic="dosis.register").count() == 5

    outbox.outbox_sweep()  # DOSIS is down: the first of each dossier fails, the rest waits
    assert fake_dosis.state.received == []
    assert OutboxMessage.objects.filter(state="pending").count() == 5

    fake_dosis.state.down = False
    _make_due()
    outbox.outbox_sweep()
    _make_due()
    outbox.outbox_sweep()  # a second sweep finds nothing left to send
    assert OutboxMessage.objects.filter(topic="dosis.register", state="sent").count() == 5

    got = [(r["reference"], r["status_code"]) for r in fake_dosis.state.received]
    assert [s for ref, s in got if ref == first.reference] == [
        "ONTVANGEN",
        "IN-BEHANDELING",
        "WACHT_OP_AANVRAGER",
    ]
    assert [s for ref, s in got if ref == second.reference] == ["ONTVANGEN", "IN-BEHANDELING"]
    waiting = fake_dosis.state.received[[s for _, s in got].index("WACHT_OP_AANVRAGER")]
    assert waiting["action_needed"] is True
    assert waiting["action_text"] == "Bezorg ons je plannen."
    assert waiting["agents"] == [{"kind": "rrn", "id": emma.insz}]
    assert waiting["url"].endswith(f"/mijn/dossiers/{first.reference}")

    # A worker that died after sending but before recording sends again: DOSIS keeps one.
    message = OutboxMessage.objects.filter(topic="dosis.register").first()
    OutboxMessage.objects.filter(pk=message.pk).update(state="pending")
    _make_due()
    outbox.outbox_sweep()
    assert len(fake_dosis.state.received) == 5


def test_statuses_the_type_keeps_quiet_are_not_pushed(fake_dosis, emma, dossier_type):
    StatusType.objects.filter(dossier_type=dossier_type, code="in-behandeling").update(
        notify_citizen=False
    )
    dossier = open_dossier(dossier_type=dossier_type, requester=emma)
    _walk(dossier, "in-behandeling")
    assert OutboxMessage.objects.filter(topic="dosis.register").count() == 1


def test_dossiers_of_citizens_without_national_number_are_not_pushed(fake_dosis, dossier_type):
    party = party_create(given_name="Anoniem", family_name="Mailer", email="a@voorbeeld.example")
    open_dossier(dossier_type=dossier_type, requester=party)
    assert not OutboxMessage.objects.filter(topic="dosis.register").exists()


def test_enterprise_agents_are_pushed_with_their_kbo(fake_dosis, dossier_type):
    company = party_create(kind="organisation", organisation_name="Bouw NV", kbo="0403170701")
    open_dossier(dossier_type=dossier_type, requester=company)
    outbox.outbox_sweep()
    assert fake_dosis.state.received[0]["agents"] == [{"kind": "kbo", "id": "0403170701"}]


class _Receiver:
    """A subscriber on loopback that records what it gets; answers with ``status``."""

    def __init__(self) -> None:
        self.status = 200
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                return

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.status == 200:
                    receiver.received.append((dict(self.headers.items()), body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    server = _Receiver()
    yield server
    server.stop()


def test_webhooks_are_cloudevents_signed_retried_and_in_order(
    receiver, emma, dossier_type, settings
):
    settings.DOSIS_ENDPOINT = ""
    subscription = WebhookSubscription.objects.create(
        name="Maatsysteem", url=receiver.url, secret="gedeeld-geheim"
    )
    WebhookSubscription.objects.create(
        name="Alleen openingen", url=receiver.url, event_types=["dossier.opened"], active=False
    )
    receiver.status = 503
    dossier = open_dossier(dossier_type=dossier_type, requester=emma)
    _walk(dossier, "in-behandeling")
    outbox.outbox_sweep()
    assert receiver.received == []
    receiver.status = 200
    _make_due()
    outbox.outbox_sweep()
    assert len(receiver.received) == 2
    types = []
    for headers, body in receiver.received:
        assert headers["Content-Type"].startswith("application/cloudevents+json")
        now = int(timezone.now().timestamp())
        assert webhooks.signature_verify(
            secret=subscription.secret, body=body, header=headers["X-Midoffice-Signature"], now=now
        )
        event = json.loads(body)
        assert event["specversion"] == "1.0"
        assert event["subject"] == dossier.reference
        assert emma.insz not in body.decode()  # no personal numbers to other systems
        types.append(event["type"])
    assert types == ["be.midoffice.dossier.opened", "be.midoffice.dossier.status_changed"]


def test_a_subscriber_refusing_an_event_is_not_retried_forever(
    receiver, emma, dossier_type, settings
):
    settings.DOSIS_ENDPOINT = ""
    WebhookSubscription.objects.create(name="Stuk", url=receiver.url)
    receiver.status = 410
    open_dossier(dossier_type=dossier_type, requester=emma)
    outbox.outbox_sweep()
    assert OutboxMessage.objects.get(topic="webhook.deliver").state == "failed"
