"""Data: mark the e-mail addresses citizens already wrote to us from.

From now on the intake sets ``ContactPoint.last_inbound_at`` for every mail; this fills it
for the mail received before, so that a citizen who wrote by e-mail last week can be
answered by e-mail without a separate consent (``correspondence.channels``).

It reads the intake's messages and the dossiers' parties (hence those dependencies; the
intake already depends on parties, so this adds no cycle). Batched by message id; a
message counts for the contacts of its dossier that own the address it came from.
"""

from collections import defaultdict

from django.db import migrations

BATCH = 2000


def _match_key(value):
    # The same key as parties.identifiers.email_match_key (copied: a migration keeps the
    # rule of its day).
    local, _, domain = value.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def backfill(apps, schema_editor):
    InboundMessage = apps.get_model("intake", "InboundMessage")
    DossierParty = apps.get_model("dossiers", "DossierParty")
    ContactPoint = apps.get_model("parties", "ContactPoint")
    messages = (
        InboundMessage.objects.filter(dossier__isnull=False)
        .exclude(from_address="")
        .exclude(reason_code="bounce")
        .order_by("id")
        .values_list("id", "dossier_id", "from_address", "created_at")
    )
    last_id = 0
    while True:
        batch = list(messages.filter(id__gt=last_id)[:BATCH])
        if not batch:
            return
        last_id = batch[-1][0]
        parties = defaultdict(set)
        for dossier_id, party_id in DossierParty.objects.filter(
            dossier_id__in={row[1] for row in batch}
        ).values_list("dossier_id", "party_id"):
            parties[dossier_id].add(party_id)
        points = defaultdict(list)
        for point_id, party_id, key in ContactPoint.objects.filter(
            kind="email", party_id__in={p for ids in parties.values() for p in ids}
        ).values_list("id", "party_id", "match_key"):
            points[(party_id, key)].append(point_id)
        latest = {}
        for _, dossier_id, address, at in batch:
            key = _match_key(address)
            for party_id in parties[dossier_id]:
                for point_id in points.get((party_id, key), ()):
                    if point_id not in latest or latest[point_id] < at:
                        latest[point_id] = at
        for point_id, at in latest.items():
            # Later batches hold later mail; never move a date back all the same.
            ContactPoint.objects.filter(pk=point_id).exclude(last_inbound_at__gte=at).update(
                last_inbound_at=at
            )


class Migration(migrations.Migration):
    dependencies = [
        ("parties", "0002_consent_history_change_audit_last_inbound"),
        ("intake", "0001_mail_sources_inbound_messages_attachments_sent_mail"),
        ("dossiers", "0001_initial"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
