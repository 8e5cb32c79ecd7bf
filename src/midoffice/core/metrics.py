"""Prometheus metrics at ``GET /metrics``, behind ``MIDOFFICE_METRICS_TOKEN`` (ADR 21b).

Two kinds of figures:

- **from the database, at scrape time** (mails by state, tasks waiting, outbox per
  topic, open dossiers per team): every web, worker and scheduler process writes the same
  database, so a count read there is the site's figure, whichever web process Prometheus
  reaches. Apps add theirs with :func:`metrics_source_register`.
- **per process**: the request latency histogram, observed by
  :class:`RequestLatencyMiddleware`. Labelled by the URL pattern's name, never the path
  (no dossier reference in a label). Under gunicorn each worker process has its own;
  with ``PROMETHEUS_MULTIPROC_DIR`` set, prometheus-client keeps them in files in that
  folder and the scrape adds them up over all workers of the host (its multiprocess mode;
  gunicorn's hooks for it are in core.gunicorn_conf).

No label carries personal data: views, topics, states, queues and team codes only.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Min
from django.http import Http404, HttpRequest, HttpResponse
from django_tasks_db.models import DBTaskResult
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from midoffice.core import clock
from midoffice.core.models import OutboxMessage

MetricsSource = Callable[[], Iterable[Metric]]
METRICS_SOURCES: dict[str, MetricsSource] = {}


def metrics_source_register(name: str, source: MetricsSource) -> None:
    """Add an app's database figures to /metrics (the function runs at every scrape)."""
    METRICS_SOURCES[name] = source


# --- Request latency, per process ---------------------------------------------------

REQUEST_LATENCY = Histogram(
    "midoffice_http_request_duration_seconds",
    "Time from a request's arrival to its response, per URL pattern (view).",
    ["view", "method", "status"],
    registry=None,  # collected by each scrape's own registry (see metrics_view)
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def view_label(request: HttpRequest) -> str:
    """The URL pattern's name (``dossier-detail``, ``admin:index``), never the path."""
    match = request.resolver_match
    if match is not None:
        return match.view_name or match.route or "unnamed"
    if request.path.startswith(settings.STATIC_URL):
        return "static"  # served by WhiteNoise before the URL resolver runs
    return "unresolved"  # 404 without a pattern, or a middleware answered first


class RequestLatencyMiddleware:
    """Observes every request's duration in ``midoffice_http_request_duration_seconds``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in _METHODS else "other"
        REQUEST_LATENCY.labels(
            view=view_label(request), method=method, status=f"{response.status_code // 100}xx"
        ).observe(time.perf_counter() - started)
        return response


# --- Database figures of core: tasks and outbox -------------------------------------

READY, FAILED = "READY", "FAILED"  # django-tasks' TaskResultStatus values, as stored


def task_metrics() -> Iterator[Metric]:
    waiting = GaugeMetricFamily(
        "midoffice_tasks_waiting",
        "Background tasks a worker could run now, per queue.",
        labels=["queue"],
    )
    oldest = GaugeMetricFamily(
        "midoffice_tasks_oldest_waiting_seconds",
        "How long the oldest of those has waited, per queue.",
        labels=["queue"],
    )
    now = clock.now()
    queues: dict[str, tuple[int, datetime | None]] = dict.fromkeys(
        settings.TASKS["default"].get("QUEUES", []), (0, None)
    )
    for row in (
        DBTaskResult.objects.ready()
        .order_by()
        .values("queue_name")
        .annotate(n=Count("id"), first=Min("enqueued_at"))
    ):
        queues[row["queue_name"]] = (row["n"], row["first"])
    for queue, (count, first) in sorted(queues.items()):
        waiting.add_metric([queue], count)
        oldest.add_metric([queue], max((now - first).total_seconds(), 0) if first else 0)
    yield waiting
    yield oldest

    results = GaugeMetricFamily(
        "midoffice_task_results",
        "Background task rows by status (finished ones are kept "
        "MIDOFFICE_TASK_RESULTS_KEEP_DAYS days): FAILED counts the failures in that time.",
        labels=["status"],
    )
    by_status = dict.fromkeys(("READY", "RUNNING", "SUCCESSFUL", "FAILED"), 0)
    for status, count in (
        DBTaskResult.objects.order_by().values_list("status").annotate(n=Count("id"))
    ):
        by_status[status] = count
    for status, count in sorted(by_status.items()):
        results.add_metric([status], count)
    yield results


def outbox_metrics() -> Iterator[Metric]:
    from midoffice.core.outbox import HANDLERS

    family = GaugeMetricFamily(
        "midoffice_outbox_messages",
        "Outgoing messages not yet sent, per topic (the channel: mail.send, "
        "correspondence.magda, dosis.register, webhook.deliver, ...) and state: pending "
        "(waiting or retrying), sending, failed (for good).",
        labels=["topic", "state"],
    )
    states = [OutboxMessage.State.PENDING, OutboxMessage.State.SENDING, OutboxMessage.State.FAILED]
    counts = {(topic, str(state)): 0 for topic in HANDLERS for state in states}
    for topic, state, count in (
        OutboxMessage.objects.filter(state__in=states)
        .order_by()
        .values_list("topic", "state")
        .annotate(n=Count("id"))
    ):
        counts[(topic, state)] = count
    for (topic, state), count in sorted(counts.items()):
        family.add_metric([topic, state], count)
    yield family


metrics_source_register("tasks", task_metrics)
metrics_source_register("outbox", outbox_metrics)


class _DatabaseCollector(Collector):
    def collect(self) -> Iterable[Metric]:
        for source in METRICS_SOURCES.values():
            yield from source()


def metrics_text() -> bytes:
    """The exposition: the database figures and this host's latency histograms."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Adds itself to the registry; prometheus-client leaves this one unannotated.
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(REQUEST_LATENCY)
    registry.register(_DatabaseCollector())
    return generate_latest(registry)


def _authorised(request: HttpRequest) -> bool:
    expected = f"Bearer {settings.METRICS_TOKEN}".encode()
    given = request.headers.get("Authorization", "").encode()
    return hmac.compare_digest(given, expected)


def metrics_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """``GET /metrics``: 404 while no token is configured, 403 without the right one."""
    if not settings.METRICS_TOKEN:
        raise Http404
    if not _authorised(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    response = HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
