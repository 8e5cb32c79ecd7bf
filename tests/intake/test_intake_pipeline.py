"""The intake pipeline: store first, dedupe, route, thread, loop protection, quarantine,
acknowledgement exactly once, one-click contact preference."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from midoffice.catalog.models import DossierType
from midoffice.core.models import OutboxMessage
from midoffice.core.outbox import outbox_deliver
from midoffice.dossiers.models import Dossier, Event, EventKind, Interaction
from midoffice.intake import services, steps
from midoffice.intake.acknowledgement import preference_token
from midoffice.intake.models import Attachment, InboundMessage, SentMessage
from midoffice.parties.models import Channel, Party
from tests.intake.conftest import make_mail, receive

State = InboundMessage.State


@pytest.fixture
def source(triage_type):
    return services.mail_source_for(kind="import")


def send_outbox() -> None:
    for pk in OutboxMessage.objects.values_list("pk", flat=True):
        outbox_deliver(message_id=pk)


def test_store_keeps_raw_bytes_first_and_dedupes(source):
    raw = make_mail()
    first = services.inbound_store(raw, source=source)
    second = services.inbound_store(raw, source=source)
    assert first.pk == second.pk
    assert InboundMessage.objects.count() == 1
    assert default_storage.open(first.raw_name).read() == raw
    assert first.raw_name == f"sha256/{first.sha256[:2]}/{first.sha256[2:4]}/{first.sha256}"
    # the processing step was enqueued on the intake queue in the same transaction
    assert DBTaskResult.objects.filter(queue_name="intake").count() == 1


def test_new_question_opens_triage_dossier_with_attachments_and_ack(source, triage_type):
    raw = make_mail(attachments=[("plan.pdf", "application/pdf", b"%PDF-1.4 plan")])
    message = receive(raw, source)
    assert message.state == State.ROUTED
    dossier = message.dossier
    assert dossier is not None
    assert dossier.dossier_type == triage_type
    assert dossier.requester is not None
    assert dossier.requester.primary_email == "emma.peeters@example.org"
    assert Attachment.objects.get(message=message).filename == "plan.pdf"
    assert Interaction.objects.filter(dossier=dossier, direction="in").count() == 1
    assert message.recognition["dossier_type_code"] is None
    outbox = OutboxMessage.objects.get(topic="mail.send")
    assert f"[{dossier.reference}]" in outbox.payload["subject"]

    send_outbox()
    send_outbox()  # a second sweep sends nothing again
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["emma.peeters@example.org"]
    assert sent.extra_headers["Auto-Submitted"] == "auto-replied"
    assert (
        sent.extra_headers["Message-ID"]
        == f"<{message.__class__.objects.get(pk=message.pk).acknowledgement_message_id}>"
    )
    assert f"/mijn/dossiers/{dossier.reference}" in sent.body
    assert "Hoe wil je dat we je contacteren?" in sent.body
    assert InboundMessage.objects.get(pk=message.pk).state == State.ACKNOWLEDGED


def test_reprocessing_is_idempotent(source):
    message = receive(make_mail(), source)
    again = services.inbound_process(inbound_id=message.pk)
    assert again.state == State.ROUTED
    assert Dossier.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


def test_reply_with_reference_in_subject_joins_dossier(source):
    first = receive(make_mail(), source)
    ref = first.dossier.reference
    reply = receive(make_mail(subject=f"Re: [{ref}] We hebben je vraag goed ontvangen"), source)
    assert reply.state == State.LINKED
    assert reply.dossier_id == first.dossier_id
    assert Dossier.objects.count() == 1
    assert Event.objects.filter(dossier=first.dossier, kind=EventKind.MESSAGE_RECEIVED).count() == 1


def test_reply_by_in_reply_to_of_our_mail_joins_dossier(source):
    first = receive(make_mail(), source)
    ack_id = SentMessage.objects.get(inbound=first).message_id
    reply = receive(
        make_mail(subject="Re: bedankt", headers={"In-Reply-To": f"<{ack_id}>"}), source
    )
    assert reply.state == State.LINKED
    assert reply.dossier_id == first.dossier_id


@pytest.mark.parametrize(
    ("headers", "sender", "subject"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Emma <emma@example.org>", "Afwezig"),
        ({"Precedence": "bulk"}, "Nieuwsbrief <news@example.org>", "Nieuws"),
        ({"List-Id": "<lijst.example.org>"}, "Lijst <lijst@example.org>", "Lijst"),
        ({}, "Onthaal <onthaal@leemdonk.example>", "Eigen bericht"),
    ],
)
def test_auto_replies_bulk_and_own_mail_are_ignored(source, headers, sender, subject):
    message = receive(make_mail(headers=headers, sender=sender, subject=subject), source)
    assert message.state == State.IGNORED
    assert message.reason
    assert Dossier.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_no_reply_sender_gets_dossier_but_no_acknowledgement(source):
    message = receive(make_mail(sender="noreply@example.org"), source)
    assert message.state == State.ROUTED
    assert OutboxMessage.objects.count() == 0
    assert "lusbeveiliging" in message.recognition["acknowledgement"]


def test_at_most_three_acknowledgements_per_sender_per_day(source):
    for n in range(5):
        receive(make_mail(subject=f"Vraag {n}"), source)
    assert Dossier.objects.count() == 5
    assert OutboxMessage.objects.filter(topic="mail.send").count() == 3


def test_bounce_of_our_mail_is_flagged_on_dossier(source):
    first = receive(make_mail(), source)
    ack_id = SentMessage.objects.get(inbound=first).message_id
    bounce = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n"
        b"To: onthaal@leemdonk.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <bounce1@mx.example.org>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; emma@example.org\r\n"
        b"Action: failed\r\nStatus: 5.1.1\r\n"
        b"--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        b"Message-ID: <" + ack_id.encode() + b">\r\nSubject: x\r\n"
        b"--b--\r\n"
    )
    message = receive(bounce, source)
    assert message.kind == "bounce"
    assert message.state == State.LINKED
    assert Event.objects.filter(dossier=first.dossier, kind=EventKind.MESSAGE_BOUNCED).exists()
    assert OutboxMessage.objects.count() == 1  # no reply to the bounce


def test_failure_quarantines_keeps_raw_and_retry_works(source, monkeypatch):
    raw = make_mail()

    def broken(**kwargs):
        raise RuntimeError("database said no")

    monkeypatch.setattr(steps, "dossier_open", broken)
    message = receive(raw, source)
    assert message.state == State.QUARANTINED
    assert message.reason_code == "error:RuntimeError"
    assert "bewaard" in message.reason
    assert default_storage.open(message.raw_name).read() == raw
    assert Dossier.objects.count() == 0
    assert OutboxMessage.objects.count() == 0

    monkeypatch.undo()
    retried = services.inbound_retry(inbound_id=message.pk)
    assert retried.state == State.ROUTED
    assert retried.attempts == 2


def test_oversized_message_is_quarantined_with_reason(source, settings):
    settings.INTAKE_MAX_MESSAGE_BYTES = 1000
    message = receive(make_mail(body="x" * 5000), source)
    assert message.state == State.QUARANTINED
    assert message.reason_code
    assert message.reason


def test_a_fresh_install_routes_mail_to_triage_without_setup(db, files_dir):
    """``migrate`` alone makes the triage type: the first mail is not quarantined."""
    source = services.mail_source_for(kind="import")
    message = receive(make_mail(), source)
    assert message.state == State.ROUTED
    assert message.dossier.dossier_type.code == "triage"


def test_missing_triage_type_quarantines(db, files_dir):
    DossierType.objects.get(code="triage").delete()  # removed by hand after migrate
    source = services.mail_source_for(kind="import")
    message = receive(make_mail(), source)
    assert message.state == State.QUARANTINED
    assert message.reason_code == "no_triage_type"


def test_preference_link_stores_choice_and_thanks(client, source):
    message = receive(make_mail(), source)
    party = message.dossier.requester
    url = reverse("intake:preference", args=[preference_token(party=party, channel="phone")])
    response = client.post(url)  # the button on the page (GET only shows it)
    assert response.status_code == 200
    assert "Bedankt voor je keuze" in response.content.decode()
    assert Party.objects.get(pk=party.pk).preferred_channel == "phone"


def test_preference_link_tampered_or_expired(client, source, monkeypatch):
    message = receive(make_mail(), source)
    party = message.dossier.requester
    token = preference_token(party=party, channel="ebox")
    assert client.get(reverse("intake:preference", args=[token + "x"])).status_code == 400
    import midoffice.intake.acknowledgement as ack

    monkeypatch.setattr(ack, "PREFERENCE_MAX_AGE", ack.dt.timedelta(seconds=-1))
    assert client.get(reverse("intake:preference", args=[token])).status_code == 410
    assert Party.objects.get(pk=party.pk).preferred_channel == ""


def test_acknowledgement_links_are_in_mail(client, source):
    message = receive(make_mail(), source)
    payload = OutboxMessage.objects.get().payload
    links = re.findall(r"http://[^\s\"<]+/intake/voorkeur/[^\s\"<]+", payload["text"])
    assert len(links) == 4
    # Each link, as the citizen clicks it and confirms, stores its own channel.
    chosen = []
    for link in links:
        assert client.get(urlsplit(link).path).status_code == 200
        assert client.post(urlsplit(link).path).status_code == 200
        chosen.append(Party.objects.get(pk=message.dossier.requester_id).preferred_channel)
    assert sorted(chosen) == sorted(code for code, _ in Channel.choices)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("durable", [True, False])
def test_store_commit_survives_a_power_cut_when_a_sender_is_told(triage_type, monkeypatch, durable):
    """Listener and poller (durable): the file is fsynced and, on SQLite, the commit runs
    with synchronous=FULL. An import (not durable): neither; its files are the copy."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from midoffice.intake import storage

    source = services.mail_source_for(kind="smtp")
    flushed: list[str] = []
    monkeypatch.setattr(storage, "_fsync", flushed.append)
    with CaptureQueriesContext(connection) as ctx:
        message = services.inbound_store(make_mail(), source=source, durable=durable)
    statements = [q["sql"] for q in ctx.captured_queries]
    assert flushed == ([message.raw_name] if durable else [])
    pragmas = [s for s in statements if s.startswith("PRAGMA synchronous")]
    if connection.vendor != "sqlite" or not durable:
        assert pragmas == []
        return
    insert = next(i for i, s in enumerate(statements) if "INSERT INTO" in s)
    commit = next(i for i, s in enumerate(statements) if s == "COMMIT" and i > insert)
    assert statements.index("PRAGMA synchronous=FULL") < insert < commit
    assert statements.index("PRAGMA synchronous=NORMAL") > commit
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 1  # NORMAL again for everything else


def test_the_post_page_shows_caught_mail_in_local_time(client, handler, tmp_path, settings):
    """The Post page (make run's outgoing mail) lists what the file backend caught, with
    the Date header in the workbench's Dutch local format."""
    from django.core.mail import EmailMessage as DjangoMail

    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    DjangoMail(
        subject="[2026-000001] We hebben je vraag goed ontvangen",
        body="Beste Emma,\n\n" + "een heel lange regel " * 20,
        to=["emma@example.org"],
        headers={"Date": "Mon, 02 Feb 2026 09:15:00 -0000"},
    ).send()
    from tests.factories import UserFactory

    client.force_login(UserFactory(role="administrator"))
    page = client.get(reverse("intake:staff-mail")).content.decode()
    assert "[2026-000001] We hebben je vraag goed ontvangen" in page
    assert "Aan: emma@example.org · 02-02-2026 10:15" in page  # Brussels, winter time
    assert '<pre class="mail-text">Beste Emma,' in page


def test_caught_mail_never_shows_a_portal_sign_in_link(
    db, client, tmp_path, settings, django_capture_on_commit_callbacks
):
    """Issue 19 #2: a sign-in link signs its holder in as the citizen; whoever reads the
    caught mail (an administrator, in development) must not be able to use it, and other
    staff do not see caught mail at all."""
    from midoffice.dossiers.models import DossierParty
    from midoffice.parties.services import party_add_email
    from midoffice.portal.services import signin_link_request
    from tests.factories import PartyFactory, UserFactory, open_dossier

    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    party = PartyFactory()
    party_add_email(party=party, email="emma@example.org", primary=True)
    dossier = open_dossier(requester=party)
    assert DossierParty.objects.filter(dossier=dossier, party=party).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert signin_link_request(email="emma@example.org", client_address="127.0.0.1")
    written = "".join(p.read_text() for p in tmp_path.iterdir())
    token = re.search(r"/mijn/aanmelden/link/([^/\s]+)/", written)
    assert token is not None  # the file on the server holds it, for its addressee
    client.force_login(UserFactory())
    assert client.get(reverse("intake:staff-mail")).status_code == 403
    client.force_login(UserFactory(role="administrator"))
    page = client.get(reverse("intake:staff-mail")).content.decode()
    assert "Je aanmeldlink voor Mijn dossiers" in page
    assert token.group(1) not in page
    assert "alleen voor de geadresseerde" in page


def test_unnamed_parts_get_names_staff_can_open_and_the_sender_named_nothing(source, client):
    from pathlib import Path

    from tests.factories import UserFactory

    raw = Path(__file__).resolve().parent.parent / "data" / "mail" / "parser-unnamed-parts.eml"
    message = receive(raw.read_bytes(), source)
    rows = list(Attachment.objects.filter(message=message, origin="mime").order_by("position"))
    names = [a.filename for a in rows]
    assert all(names), names
    assert names[:2] == ["bijlage-1.pdf", "bijlage-2.png"]
    assert "bericht.eml" in names
    assert len(set(names)) == len(names)
    # Only what the sender wrote is kept as the name "as sent".
    assert [a.original_filename for a in rows if a.filename != "bijlage-6.bin"] == [""] * (
        len(rows) - 1
    )
    dossier = message.dossier
    client.force_login(UserFactory(teams=[dossier.team]))
    page = client.get(f"/dossiers/{dossier.reference}/").content.decode()
    assert '<span class="file-name">bijlage-1.pdf</span>' in page
    assert 'Downloaden<span class="visually-hidden"> bijlage-1.pdf</span></a>' in page


def test_a_finished_mails_acknowledgement_goes_before_the_backlog(source):
    """Under load the worker sends the acknowledgement of the mail it just processed
    before it takes the next mail: the outbox delivery outranks waiting intake work."""
    stored = [
        services.inbound_store(make_mail(sender=f"burger{n}@example.org"), source=source)
        for n in range(3)
    ]
    services.inbound_process(inbound_id=stored[0].pk)
    ready = list(DBTaskResult.objects.ready())  # in the order a worker takes them
    assert ready[0].task_path == "midoffice.core.tasks.outbox_deliver_task"
    assert [t.task_path for t in ready[1:]] == ["midoffice.intake.tasks.inbound_process_task"] * 3
