"""GET /metrics: Prometheus text behind a token, read back with prometheus-client's parser."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from prometheus_client.parser import text_string_to_metric_families

from midoffice.analytics.models import WorkloadSnapshot
from midoffice.core.models import OutboxMessage
from midoffice.core.tasks import outbox_sweep_task
from midoffice.intake.models import InboundMessage, MailSource
from tests.factories import DossierTypeFactory, TeamFactory

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-metrics-token"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def _samples(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", **AUTH)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_without_a_configured_token_there_is_no_metrics_page(client):
    with override_settings(METRICS_TOKEN=""):
        assert client.get("/metrics").status_code == 404
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@override_settings(METRICS_TOKEN=TOKEN)
@pytest.mark.parametrize(
    "header",
    [None, "", f"Bearer {TOKEN}x", f"bearer {TOKEN}", TOKEN, f"Token {TOKEN}", "Bearer"],
)
def test_without_the_right_token_it_is_forbidden(client, header):
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = client.get("/metrics", **extra)
    assert response.status_code == 403
    assert b"midoffice_" not in response.content


@override_settings(METRICS_TOKEN=TOKEN)
def test_figures_match_the_database(client):
    # Given mails in several states
    source = MailSource.objects.create(name="onthaal@leemdonk.example", kind="imap")
    states = ["acknowledged"] * 3 + ["quarantined"] * 2 + ["received"]
    for n, state in enumerate(states):
        InboundMessage.objects.create(
            source=source,
            raw_name=f"raw{n}",
            sha256=f"{n:064d}",
            size=10,
            state=state,
            from_address=f"burger{n}@example.com",
        )
    # two tasks waiting (one for 10 minutes) and one failed
    outbox_sweep_task.enqueue()
    outbox_sweep_task.enqueue()
    waiting = DBTaskResult.objects.order_by("id").first()
    assert waiting is not None
    DBTaskResult.objects.filter(pk=waiting.pk).update(
        enqueued_at=timezone.now() - dt.timedelta(minutes=10)
    )
    failed = outbox_sweep_task.enqueue()
    DBTaskResult.objects.filter(pk=failed.id).update(status="FAILED")
    # outbox messages per channel
    for n, (topic, state) in enumerate(
        [
            ("correspondence.magda", "failed"),
            ("correspondence.magda", "pending"),
            ("dosis.register", "pending"),
            ("webhook.deliver", "sent"),
        ]
    ):
        OutboxMessage.objects.create(
            topic=topic, idempotency_key=f"k{n}", state=state, next_attempt_at=timezone.now()
        )
    # the dashboards' last snapshot: team omgeving 7 open (2 overdue), burgerzaken 4 (0)
    omgeving = TeamFactory(code="omgeving", name="Omgeving")
    burgerzaken = TeamFactory(code="burgerzaken", name="Burgerzaken")
    kind = DossierTypeFactory(team=omgeving)
    today = timezone.localdate()
    for day, team, open_, overdue in [
        (today - dt.timedelta(days=1), omgeving, 99, 99),  # an older snapshot: not read
        (today, omgeving, 5, 2),
        (today, omgeving, 2, 0),
        (today, burgerzaken, 4, 0),
    ]:
        WorkloadSnapshot.objects.create(
            day=day, team=team, dossier_type=kind, open=open_, overdue=overdue
        )

    # When Prometheus scrapes
    samples = _samples(client)

    # Then every figure is the database's
    def value(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted(labels.items())))]

    assert value("midoffice_mails_received") == 6
    assert value("midoffice_mails", state="acknowledged") == 3
    assert value("midoffice_mails", state="quarantined") == 2
    assert value("midoffice_mails", state="received") == 1
    assert value("midoffice_mails", state="linked") == 0
    assert value("midoffice_tasks_waiting", queue="outbox") == 2
    assert value("midoffice_tasks_waiting", queue="intake") == 0
    assert 600 <= value("midoffice_tasks_oldest_waiting_seconds", queue="outbox") < 700
    assert value("midoffice_task_results", status="FAILED") == 1
    assert value("midoffice_outbox_messages", topic="correspondence.magda", state="failed") == 1
    assert value("midoffice_outbox_messages", topic="correspondence.magda", state="pending") == 1
    assert value("midoffice_outbox_messages", topic="dosis.register", state="pending") == 1
    assert value("midoffice_outbox_messages", topic="webhook.deliver", state="pending") == 0
    assert value("midoffice_outbox_messages", topic="mail.send", state="failed") == 0
    assert value("midoffice_dossiers_open", team="omgeving") == 7
    assert value("midoffice_dossiers_overdue", team="omgeving") == 2
    assert value("midoffice_dossiers_open", team="burgerzaken") == 4
    assert value("midoffice_dossiers_overdue", team="burgerzaken") == 0

    # No personal data in any label or value name
    text = client.get("/metrics", **AUTH).content.decode()
    assert "@" not in text
    assert "example.com" not in text


@override_settings(METRICS_TOKEN=TOKEN)
def test_latency_is_per_view_name_not_per_path(client, handler):
    # Given requests to a URL with a dossier reference in its path
    client.force_login(handler)
    before = _samples(client)
    for reference in ("OMG-2026-000123", "OMG-2026-000124"):
        client.get(f"/api/v1/dossiers/{reference}/")
    client.get("/healthz")

    after = _samples(client)

    def count(samples, view: str, status: str) -> float:
        key = (
            "midoffice_http_request_duration_seconds_count",
            (("method", "GET"), ("status", status), ("view", view)),
        )
        return samples.get(key, 0)

    assert count(after, "dossier-detail", "4xx") - count(before, "dossier-detail", "4xx") == 2
    assert count(after, "healthz", "2xx") - count(before, "healthz", "2xx") == 1
    labels = {value for (_name, items) in after for _key, value in items}
    assert not any("2026-000" in label for label in labels)


@override_settings(METRICS_TOKEN=TOKEN)
def test_a_scrape_costs_a_handful_of_queries(client, django_assert_max_num_queries):
    # tasks: 2, outbox: 1, mails: 1, dossiers per team: 2
    with django_assert_max_num_queries(6):
        client.get("/metrics", **AUTH)


@pytest.mark.django_db(transaction=True)
def test_gunicorn_workers_add_up_in_multiprocess_mode(tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR (gunicorn with several workers), a scrape reaching
    any worker reports the requests of all of them: here one process that served three
    requests and stopped, and the one scraped, which served two."""
    settings_dict = connection.settings_dict
    if connection.vendor == "postgresql":
        url = (
            f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD'] or ''}"
            f"@{settings_dict['HOST']}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
        )
    else:
        url = f"sqlite:///{settings_dict['NAME']}"
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": url,
        "MIDOFFICE_DATA_DIR": str(tmp_path),
        "MIDOFFICE_DEBUG": "true",
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "DJANGO_SETTINGS_MODULE": "midoffice.settings",
    }
    worker = (
        "import sys, django; django.setup()\n"
        "from midoffice.core import metrics\n"
        "for _ in range(int(sys.argv[1])):\n"
        "    metrics.REQUEST_LATENCY.labels(view='healthz', method='GET', status='2xx')"
        ".observe(0.01)\n"
        "if sys.argv[2] == 'scrape':\n"
        "    sys.stdout.write(metrics.metrics_text().decode())\n"
    )
    for count, then in (("3", "exit"), ("2", "scrape")):
        result = subprocess.run(
            [sys.executable, "-c", worker, count, then],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(result.stdout)
        for sample in family.samples
    }
    key = (("method", "GET"), ("status", "2xx"), ("view", "healthz"))
    assert samples[("midoffice_http_request_duration_seconds_count", key)] == 5
    assert "midoffice_mails_received" in result.stdout  # the database figures too


def test_gunicorn_hooks_start_empty_and_forget_a_stopped_workers_live_gauges(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from midoffice.core import gunicorn_conf

    folder = tmp_path / "prometheus"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    # The start-up checks are tests/ops/test_startup_checks.py's; here only the folder.
    monkeypatch.setattr(gunicorn_conf, "_system_checks", lambda: None)
    gunicorn_conf.on_starting(None)
    (folder / "gauge_livesum_4242.db").write_bytes(b"")
    (folder / "histogram_4242.db").write_bytes(b"")

    gunicorn_conf.child_exit(None, SimpleNamespace(pid=4242))
    assert sorted(p.name for p in folder.iterdir()) == ["histogram_4242.db"]

    gunicorn_conf.on_starting(None)  # the next start counts from zero
    assert list(folder.iterdir()) == []
