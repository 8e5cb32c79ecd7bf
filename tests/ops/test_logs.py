"""The logs of a whole mail journey, at DEBUG, hold no personal data, and a web request's
id follows it into the tasks it enqueues (issue 23, part 8).

A citizen mails the town by SMTP with her national number, e-mail address and a sentence
only she wrote; the worker takes it in, routes it and sends the acknowledgement; a member
of staff opens the dossier page and the API and changes the dossier's status, which
queues a webhook delivery. Every line any logger writes goes through the production
handler's formatter and request-id filter with the root at DEBUG, WITHOUT the redaction
filter: that one is a safety net, and this test is about what the code itself writes.
"""

from __future__ import annotations

import io
import json
import logging
import smtplib
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from midoffice.catalog.models import DossierType
from midoffice.core.logging import JsonFormatter, RedactFilter, RequestIdFilter
from midoffice.core.models import OutboxMessage
from midoffice.intake import smtp_listener
from midoffice.intake.models import InboundMessage
from midoffice.publication.models import WebhookSubscription
from tests.factories import UserFactory
from tests.intake.conftest import free_port, make_mail

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "emma.peeters@example.org"
SENTENCE = "Onze kat Minoes slaapt elke middag op de vensterbank boven de gootsteen."
NATIONAL_FORMS = ["85073003328", "85.07.30-033.28", "850730-033.28", "850730 033 28"]
BODY = (
    "Beste,\n\nMogen we onze garage ombouwen tot keuken?\n"
    f"{SENTENCE}\n"
    "Mijn rijksregisternummer is 85.07.30-033.28, je kan me ook mailen op "
    f"{EMAIL}.\n\nGroeten,\nEmma Peeters\n"
)


class Captured:
    def __init__(self) -> None:
        self.stream = io.StringIO()

    def lines(self) -> list[str]:
        return [line for line in self.stream.getvalue().splitlines() if line.strip()]

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines()]


@pytest.fixture
def captured(settings) -> Iterator[Captured]:
    """What the production handler would write with ``MIDOFFICE_LOG_LEVEL=DEBUG``: its
    formatter and request-id filter (settings.LOGGING), minus redaction; the loggers the
    settings quiet (django.db.backends, axes, aiosmtpd's mail.log) stay as configured."""
    handler_config = settings.LOGGING["handlers"]["console"]
    assert handler_config["filters"] == ["request_id", "redact"]
    assert settings.LOGGING["filters"]["request_id"]["()"].endswith(".RequestIdFilter")
    assert settings.LOGGING["formatters"]["json"]["()"].endswith(".JsonFormatter")
    capture = Captured()
    handler = logging.StreamHandler(capture.stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    # The production handler's redaction would mask what this test looks for in the
    # records it shares with ours; it is off while the test runs.
    redactors = [(h, f) for h in root.handlers for f in h.filters if isinstance(f, RedactFilter)]
    for h, f in redactors:
        h.removeFilter(f)
    # The worker command sets its own loggers' levels; they get theirs back afterwards.
    touched = [logging.getLogger(name) for name in ("", "django_tasks", "django_tasks_db")]
    levels = [logger.level for logger in touched]
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(handler)
        for h, f in redactors:
            h.addFilter(f)
        for logger, level in zip(touched, levels, strict=True):
            logger.setLevel(level)


@pytest.fixture
def files(settings, tmp_path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }


@pytest.fixture
def listener(files) -> Iterator[int]:
    port = free_port()
    controller = smtp_listener.IntakeController(host="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def _run_worker() -> None:
    """The production worker command, in this process, until no task is left."""
    call_command(
        "db_worker",
        "--queue-name",
        "*",
        "--batch",
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        "0",
        verbosity=2,  # django-tasks' own loggers at DEBUG too
    )


def _leaks(lines: list[str]) -> list[str]:
    needles = [EMAIL, SENTENCE, *NATIONAL_FORMS]
    # JSON escapes nothing in these, but a logger may; look in the decoded text too.
    texts = [(line, json.dumps(json.loads(line), ensure_ascii=False)) for line in lines]
    return [
        f"{needle!r} in {line}"
        for line, decoded in texts
        for needle in needles
        if needle in line or needle in decoded
    ]


def test_mail_journey_logs_no_personal_data_and_carry_request_ids(
    listener, captured, client, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    raw = make_mail(sender=f"Emma Peeters <{EMAIL}>", body=BODY)
    with smtplib.SMTP("127.0.0.1", listener, timeout=10) as smtp:
        assert smtp.sendmail(EMAIL, ["onthaal@leemdonk.example"], raw) == {}
    _run_worker()  # intake → routing → acknowledgement
    message = InboundMessage.objects.get()
    assert message.state == InboundMessage.State.ACKNOWLEDGED
    dossier = message.dossier
    assert dossier is not None

    # Staff: the dossier page, the API, and a status change that queues a webhook.
    WebhookSubscription.objects.create(name="Maatsysteem", url=f"http://127.0.0.1:{free_port()}/")
    staff = UserFactory(teams=[DossierType.objects.get(code="triage").team])
    client.force_login(staff)
    page = client.get(f"/dossiers/{dossier.reference}/", HTTP_X_REQUEST_ID="proxy-id.1")
    assert page.status_code == 200
    assert page["X-Request-ID"] == "proxy-id.1"
    assert client.get(f"/api/v1/dossiers/{dossier.reference}/").status_code == 200
    change = client.post(
        f"/dossiers/{dossier.reference}/status/",
        {"status": "in-behandeling", "reason": "Opgenomen", "result": ""},
    )
    assert change.status_code in (200, 302)
    web_id = change["X-Request-ID"]
    assert OutboxMessage.objects.filter(topic__startswith="webhook").exists()
    _run_worker()  # the webhook delivery (refused: nobody listens on that port)

    lines = captured.lines()
    records = captured.records()
    assert any(r["level"] == "DEBUG" for r in records), "capture did not run at DEBUG"
    assert _leaks(lines) == []

    # The web request's id is on the lines of the task it queued.
    task_lines = [r for r in records if r["logger"].startswith("django_tasks")]
    delivered = [
        r for r in task_lines if "outbox_deliver_task" in r["message"] and r.get("request_id")
    ]
    assert web_id in {r["request_id"] for r in delivered}
    # The mail's tasks (intake, then its acknowledgement) share one id of their own.
    intake_ids = {r.get("request_id") for r in task_lines if "inbound_process_task" in r["message"]}
    assert len(intake_ids) == 1
    assert None not in intake_ids
    (mail_id,) = intake_ids
    assert mail_id != web_id
    ack = [
        r
        for r in task_lines
        if "outbox_deliver_task" in r["message"] and r.get("request_id") == mail_id
    ]
    assert ack, "the acknowledgement's delivery task does not carry the mail's id"
