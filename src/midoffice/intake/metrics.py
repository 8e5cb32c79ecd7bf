"""The mails' part of ``/metrics`` (core.metrics): inbound messages by state, read from
the database at scrape time, so every web process gives the site's figures."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from midoffice.intake.models import InboundMessage, PendingBlob


def inbound_metrics() -> Iterator[Metric]:
    by_state = dict.fromkeys((str(state) for state in InboundMessage.State), 0)
    for state, count in (
        InboundMessage.objects.order_by().values_list("state").annotate(n=Count("id"))
    ):
        by_state[state] = count
    received = GaugeMetricFamily(
        "midoffice_mails_received",
        "Inbound mails kept (every channel: IMAP, SMTP/LMTP, import); a dossier's "
        "destruction removes its mails.",
    )
    received.add_metric([], sum(by_state.values()))
    yield received
    states = GaugeMetricFamily(
        "midoffice_mails",
        "Inbound mails by state: acknowledged (an acknowledgement was sent), quarantined "
        "(waiting for staff), received (not yet processed), ...",
        labels=["state"],
    )
    for state, count in sorted(by_state.items()):
        states.add_metric([state], count)
    yield states
    backlog = GaugeMetricFamily(
        "midoffice_storage_backlog_files",
        "Raw mails and attachments kept in the database because the storage refused them "
        "(unreachable, full); the periodic move writes them out when it is back (ADR 21g).",
    )
    backlog.add_metric([], PendingBlob.objects.count())
    yield backlog
