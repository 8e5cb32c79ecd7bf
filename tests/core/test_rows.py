"""core.rows: a row written with the once-built statement is the row save() writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, models, transaction
from django.db.models.signals import post_save

from midoffice.core import clock
from midoffice.core.models import OutboxMessage
from midoffice.core.rows import row_insert, row_update
from midoffice.dossiers.models import Dossier, DossierParty, Event, Interaction, StatusChange
from midoffice.intake.models import InboundMessage, SentMessage
from midoffice.intake.services import mail_source_for
from tests.factories import PartyFactory, open_dossier

pytestmark = pytest.mark.django_db


def _set_now(field: models.Field) -> bool:  # type: ignore[type-arg]
    """Set to the moment of saving (auto_now_add, default=now): equal to the second."""
    return bool(
        getattr(field, "auto_now_add", False)
        or getattr(field, "auto_now", False)
        or (callable(field.default) and isinstance(field, models.DateTimeField))
    )


def _columns(obj: models.Model) -> dict[str, Any]:
    """Every column of a row as read back through the ORM, without its key."""
    fresh = type(obj).objects.get(pk=obj.pk)
    return {
        f.attname: getattr(fresh, f.attname)
        for f in type(obj)._meta.concrete_fields
        if not f.primary_key
    }


def _assert_same(by_save: models.Model, by_rows: models.Model, skip: set[str]) -> None:
    saved, inserted = _columns(by_save), _columns(by_rows)
    for f in type(by_save)._meta.concrete_fields:
        if f.primary_key or f.attname in skip:
            continue
        a, b = saved[f.attname], inserted[f.attname]
        if _set_now(f) and a is not None and b is not None:
            # both set to the moment of saving, moments apart
            assert abs(a - b) < dt.timedelta(minutes=1), (type(by_save).__name__, f.attname)
        else:
            assert a == b, (type(by_save).__name__, f.attname)


def _pairs(dossier: Dossier) -> list[tuple[models.Model, models.Model]]:
    """The same row twice (unique values numbered), for each model the intake writes
    with row_insert."""
    party, other = PartyFactory(), PartyFactory()
    source = mail_source_for(kind="import")
    at = dt.datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=dt.UTC)
    makers: list[Callable[[int], models.Model]] = [
        lambda n: Event(
            dossier=dossier,
            kind="note",
            actor_label="Test",
            summary="Samenvatting é",
            data={"tekst": "ü", "n": [1, 2]},
        ),
        lambda n: Interaction(
            dossier=dossier,
            party=party,
            channel="email",
            direction="in",
            at=at,
            summary="Mail",
            message_ref="x@y",
        ),
        lambda n: DossierParty(
            dossier=dossier, party=(party, other)[n], role=DossierParty.Role.REQUESTER
        ),
        lambda n: StatusChange(dossier=dossier, from_status=None, to_status=dossier.status),
        lambda n: OutboxMessage(
            topic="mail.send", payload={"a": "b"}, idempotency_key=f"k{n}", next_attempt_at=at
        ),
        lambda n: InboundMessage(
            source=source, raw_name=f"ab/cd{n}", sha256="ab" * 32, size=12, message_id=f"m{n}"
        ),
        lambda n: SentMessage(
            message_id=f"s{n}",
            kind=SentMessage.Kind.ACKNOWLEDGEMENT,
            dossier=dossier,
            recipient_key="a",
        ),
    ]
    return [(make(0), make(1)) for make in makers]


def _unique_fields(model: type[models.Model]) -> set[str]:
    return {f.attname for f in model._meta.concrete_fields if f.unique and not f.primary_key} | {
        "message_id",
        "idempotency_key",
        "raw_name",
        "party_id",
    }


def test_rows_read_back_as_save_writes_them(dossier_type, handler):
    # given the same values, once through save() and once through row_insert()
    dossier = open_dossier(dossier_type=dossier_type, actor=handler)
    for by_save, by_rows in _pairs(dossier):
        by_save.save()
        # when
        returned = row_insert(by_rows)
        # then: a key was given, and every column reads back as save() wrote it
        assert returned is by_rows
        assert by_rows.pk is not None
        assert by_rows.pk != by_save.pk
        assert by_rows._state.adding is False
        _assert_same(by_save, by_rows, skip=_unique_fields(type(by_save)))


def test_a_whole_dossier_reads_back(dossier_type, handler):
    # The dossier row has the most columns (dates, a location, nullable keys).
    opened = open_dossier(dossier_type=dossier_type, actor=handler)

    def copy(reference: str) -> Dossier:
        row = Dossier.objects.get(pk=opened.pk)
        row.pk = None
        row._state.adding = True
        row.reference = reference
        row.location_street = "Kerkstraat"
        row.deadline = dt.date(2026, 12, 24)
        return row

    by_save, by_rows = copy("2026-999998"), copy("2026-999999")
    by_save.save()
    row_insert(by_rows)
    _assert_same(by_save, by_rows, skip={"reference"})


def test_a_unique_violation_is_djangos_and_rolls_back(dossier_type, handler):
    source = mail_source_for(kind="import")
    row_insert(InboundMessage(source=source, raw_name="a", sha256="0" * 64, size=1, message_id="x"))
    with pytest.raises(IntegrityError), transaction.atomic():
        row_insert(
            InboundMessage(source=source, raw_name="b", sha256="0" * 64, size=1, message_id="x")
        )
    assert InboundMessage.objects.filter(message_id="x").count() == 1


def test_refuses_what_save_would_do_differently(dossier_type, handler):
    dossier = open_dossier(dossier_type=dossier_type, actor=handler)
    # a saved row
    with pytest.raises(ValueError, match="already saved"):
        row_insert(dossier)
    # an unsaved related object
    with pytest.raises(ValueError, match="unsaved related object"):
        row_insert(Event(dossier=Dossier(), kind="note"))

    # a model someone listens to: the receiver is never skipped silently
    def receiver(**kwargs: object) -> None:
        pass

    post_save.connect(receiver, sender=Event)
    try:
        with pytest.raises(TypeError, match="signal"):
            row_insert(Event(dossier=dossier, kind="note", summary="x"))
        with pytest.raises(TypeError, match="signal"):
            row_update(Event.objects.first(), ["summary"])  # type: ignore[arg-type]
    finally:
        post_save.disconnect(receiver, sender=Event)
    with pytest.raises(TypeError, match="not a column"):
        row_update(dossier, ["suspensions"])


def test_update_writes_only_the_named_fields(dossier_type, handler):
    source = mail_source_for(kind="import")
    message = row_insert(
        InboundMessage(source=source, raw_name="a", sha256="1" * 64, size=1, message_id="u")
    )
    InboundMessage.objects.filter(pk=message.pk).update(reason="elders gezet")
    message.state = InboundMessage.State.ROUTED
    message.recognition = {"dossier_type_code": "x"}
    message.processed_at = clock.now()
    message.subject = "niet bewaard"
    assert row_update(message, ["state", "recognition", "processed_at"]) == 1
    fresh = InboundMessage.objects.get(pk=message.pk)
    assert fresh.state == "routed"
    assert fresh.recognition == {"dossier_type_code": "x"}
    assert fresh.processed_at == message.processed_at
    assert fresh.subject == ""  # not named
    assert fresh.reason == "elders gezet"  # not overwritten


def test_placeholders():
    from midoffice.core.rows import placeholders

    assert placeholders(3) == "%s, %s, %s"
    assert placeholders(2, columns=2) == "(%s, %s), (%s, %s)"
