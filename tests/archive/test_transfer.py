"""Transfer to the e-depot through the outbox: receipt first, then "transferred"; once."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import bagit
import pytest
from django.utils import timezone

from midoffice.archive import services
from midoffice.archive.models import ArchiveTransfer
from midoffice.archive.sip.validation import validate_package
from midoffice.archive.transfer import TOPIC, archive_sweep, transfer_package
from midoffice.core import clock
from midoffice.core.errors import UserError
from midoffice.core.models import OutboxMessage
from midoffice.core.outbox import outbox_deliver
from midoffice.dossiers.models import ArchiveState, Event, EventKind
from midoffice.integrations.http import http_request

pytestmark = pytest.mark.django_db


def _message(transfer: ArchiveTransfer) -> OutboxMessage:
    return OutboxMessage.objects.get(topic=TOPIC, idempotency_key=str(transfer.package_id))


def _due_now(transfer: ArchiveTransfer) -> None:
    OutboxMessage.objects.filter(idempotency_key=str(transfer.package_id)).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )


def _set_mode(server, mode: str) -> None:
    http_request(
        "POST", f"{server.url}/_fake/mode", data=json.dumps({"mode": mode}).encode(), timeout=5
    )


def test_transfer_to_the_fake_edepot_keeps_the_receipt_then_marks_the_dossier(
    due_dossier, archivist, fake_edepot, django_capture_on_commit_callbacks
):
    transfer = services.archive_transfer_request(actor=archivist, dossier=due_dossier)
    due_dossier.refresh_from_db()
    assert due_dossier.archive_state == ArchiveState.TRANSFERRING
    assert transfer_package(transfer_id=transfer.pk) == "packaged"
    transfer.refresh_from_db()
    assert transfer.state == ArchiveTransfer.State.PACKAGED
    package_name = transfer.package_name

    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_deliver(message_id=_message(transfer).pk) == "sent"
    transfer.refresh_from_db()
    received = fake_edepot.state.accepted()
    assert len(received) == 1
    assert received[0].reference == due_dossier.reference
    assert transfer.state == ArchiveTransfer.State.TRANSFERRED
    assert transfer.receipt["receipt_id"] == received[0].receipt_id
    assert transfer.receipt["sha256"] == transfer.package_sha256
    assert (transfer.series_code, transfer.reference) == ("LEEMDONK-OMG-001", due_dossier.reference)
    assert transfer.location.startswith(fake_edepot.url)
    due_dossier.refresh_from_db()
    assert due_dossier.archive_state == ArchiveState.TRANSFERRED
    event = Event.objects.get(dossier=due_dossier, kind=EventKind.ARCHIVE_TRANSFERRED)
    assert event.data["receipt_id"] == received[0].receipt_id
    # Midoffice keeps the record, not the package, and names no file that is gone: a
    # backup after a transfer finds every file the database names.
    from django.core.files.storage import default_storage
    from django.db import connection

    from midoffice.core.backup.references import referenced_names

    assert not default_storage.exists(package_name)
    assert transfer.package_name == ""
    with connection.cursor() as cursor:
        named = referenced_names(cursor, connection.ops.quote_name)
    assert not [name for name in named if not default_storage.exists(name)]

    # Delivering again (a duplicate task, a sweep) changes nothing.
    OutboxMessage.objects.filter(pk=_message(transfer).pk).update(state=OutboxMessage.State.PENDING)
    outbox_deliver(message_id=_message(transfer).pk)
    assert len(fake_edepot.state.packages) == 1
    assert Event.objects.filter(kind=EventKind.ARCHIVE_TRANSFERRED).count() == 1


def test_edepot_down_then_delivered_once_later(due_dossier, archivist, fake_edepot):
    transfer = services.archive_transfer_request(actor=archivist, dossier=due_dossier)
    transfer_package(transfer_id=transfer.pk)
    _set_mode(fake_edepot, "down")
    assert outbox_deliver(message_id=_message(transfer).pk) == "pending"
    message = _message(transfer)
    assert "503" in message.last_error
    transfer.refresh_from_db()
    assert transfer.state == ArchiveTransfer.State.PACKAGED
    due_dossier.refresh_from_db()
    assert due_dossier.archive_state == ArchiveState.TRANSFERRING

    _set_mode(fake_edepot, "hold")  # back, but still checking: no receipt yet
    _due_now(transfer)
    assert outbox_deliver(message_id=message.pk) == "pending"
    transfer.refresh_from_db()
    assert transfer.state == ArchiveTransfer.State.SUBMITTED

    _set_mode(fake_edepot, "up")  # checks done
    _due_now(transfer)
    assert outbox_deliver(message_id=message.pk) == "sent"
    assert len(fake_edepot.state.accepted()) == 1
    assert fake_edepot.state.submit_requests == [str(transfer.package_id)]
    transfer.refresh_from_db()
    assert transfer.state == ArchiveTransfer.State.TRANSFERRED
    assert Event.objects.filter(kind=EventKind.ARCHIVE_TRANSFERRED).count() == 1


def test_a_package_the_edepot_refuses_is_refused_with_the_reason(
    due_dossier, archivist, fake_edepot
):
    transfer = services.archive_transfer_request(actor=archivist, dossier=due_dossier)
    transfer_package(transfer_id=transfer.pk)
    _set_mode(fake_edepot, "reject")
    assert outbox_deliver(message_id=_message(transfer).pk) == "failed"
    transfer.refresh_from_db()
    assert transfer.state == ArchiveTransfer.State.REFUSED
    assert transfer.reason.startswith("Het e-depot weigerde het pakket")
    due_dossier.refresh_from_db()
    assert due_dossier.archive_state == ArchiveState.NONE  # due again, the archivist sees why


def test_an_invalid_package_is_never_sent(due_dossier, archivist, fake_edepot, monkeypatch):
    from midoffice.archive.sip import build

    monkeypatch.setattr(build, "SIP_PROFILE", "https://example.org/not-the-sip-profile.xml")
    transfer = services.archive_transfer_request(actor=archivist, dossier=due_dossier)
    assert transfer_package(transfer_id=transfer.pk) == "refused"
    transfer.refresh_from_db()
    assert transfer.state == ArchiveTransfer.State.REFUSED
    assert "SIP2" in transfer.reason
    assert "E-ARK" in transfer.reason
    assert not OutboxMessage.objects.filter(topic=TOPIC).exists()
    assert fake_edepot.state.submit_requests == []
    due_dossier.refresh_from_db()
    assert due_dossier.archive_state == ArchiveState.NONE


def test_a_hold_set_after_the_request_cancels_the_transfer(due_dossier, archivist, fake_edepot):
    transfer = services.archive_transfer_request(actor=archivist, dossier=due_dossier)
    transfer_package(transfer_id=transfer.pk)
    services.dossier_legal_hold_set(actor=archivist, dossier=due_dossier, reason="Rechtszaak")
    outbox_deliver(message_id=_message(transfer).pk)
    transfer.refresh_from_db()
    assert transfer.state == ArchiveTransfer.State.CANCELLED
    assert fake_edepot.state.submit_requests == []
    due_dossier.refresh_from_db()
    assert due_dossier.archive_state == ArchiveState.NONE


def test_the_folder_target_writes_a_valid_bagit_bag(due_dossier, archivist, settings):
    transfer = services.archive_transfer_request(actor=archivist, dossier=due_dossier)
    transfer_package(transfer_id=transfer.pk)
    assert outbox_deliver(message_id=_message(transfer).pk) == "sent"
    transfer.refresh_from_db()
    bag_path = Path(settings.EDEPOT_FOLDER) / f"uuid-{transfer.package_id}"
    assert transfer.location == str(bag_path)
    bag = bagit.Bag(str(bag_path))
    bag.validate()
    assert "sha256" in bag.algorithms
    payload = bag_path / "data" / f"uuid-{transfer.package_id}.zip"
    assert validate_package(payload).errors == []
    assert transfer.receipt["raw"]["payload_oxum"] == bag.info["Payload-Oxum"]
    assert not list(Path(settings.EDEPOT_FOLDER).glob(".incoming-*"))


def test_only_a_due_keep_dossier_is_transferred(keep_type, citizen, handler, archivist):
    from midoffice.dossiers.services import dossier_change_status
    from tests.factories import open_dossier

    dossier = open_dossier(dossier_type=keep_type)
    with pytest.raises(UserError, match="niet afgesloten"):
        services.archive_transfer_request(actor=archivist, dossier=dossier)
    dossier_change_status(
        actor=handler, dossier=dossier, status_code="afgesloten", result_code="beantwoord"
    )
    with pytest.raises(UserError, match="nog niet verstreken"):
        services.archive_transfer_request(actor=archivist, dossier=dossier)


def test_the_sweep_hands_a_dead_workers_transfer_to_another(due_dossier, archivist):
    transfer = services.archive_transfer_request(actor=archivist, dossier=due_dossier)
    ArchiveTransfer.objects.filter(pk=transfer.pk).update(
        lease_until=timezone.now() + dt.timedelta(minutes=5)
    )
    assert transfer_package(transfer_id=transfer.pk) == "skipped"  # someone holds it
    with clock.frozen_at(timezone.now() + dt.timedelta(minutes=20)):
        assert archive_sweep() == 1
        assert transfer_package(transfer_id=transfer.pk) == "packaged"
