"""Request ids (web, mail intake, tasks), JSON lines and the redaction safety net."""

from __future__ import annotations

import json
import logging
import sys

import pytest
from django.test import RequestFactory
from django_tasks_db.models import DBTaskResult

from midoffice.core import request_id as rid
from midoffice.core.logging import JsonFormatter, RedactFilter, RequestIdFilter, redact
from midoffice.core.middleware import RequestIdMiddleware
from midoffice.core.outbox import outbox_enqueue
from midoffice.core.request_id import (
    request_id_bound,
    request_id_current,
    with_fresh_request_id,
)


def _record(msg: str = "hello", *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, msg, args or None, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


# --------------------------------------------------------------------------------------
# Web requests
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        ("abc-123_X.y", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("bad id", False),
        ("id\nX-Evil: 1", False),
        ("<script>", False),
        ("", False),
    ],
)
def test_middleware_keeps_a_sane_proxy_id_else_makes_one(header, kept):
    seen: list[str | None] = []

    def view(request):
        from django.http import HttpResponse

        seen.append(request_id_current())
        logging.getLogger("t").info("in the view")
        return HttpResponse("ok")

    request = RequestFactory().get("/", HTTP_X_REQUEST_ID=header)
    response = RequestIdMiddleware(view)(request)
    given = response["X-Request-ID"]
    assert seen == [given]
    assert request.request_id == given
    if kept:
        assert given == header
    else:
        assert given != header
        assert len(given) == 32
        assert int(given, 16) >= 0
    assert request_id_current() is None  # nothing leaks past the request


def test_filter_adds_the_current_id_or_the_request_s():
    f = RequestIdFilter()
    record = _record()
    assert f.filter(record)
    assert not hasattr(record, "request_id")
    with request_id_bound("r-1"):
        record = _record()
        f.filter(record)
    assert record.request_id == "r-1"
    # django.request logs some responses after the middleware returned
    request = RequestFactory().get("/x")
    request.request_id = "r-2"
    record = _record("Bad Request: /x", request=request)
    f.filter(record)
    assert record.request_id == "r-2"


def test_json_formatter_one_line_with_extras_and_no_query_string():
    request = RequestFactory().get("/zoeken/?q=emma@example.org")
    record = _record("Not Found: %s", "/zoeken/", request=request, status_code=404)
    RequestIdFilter().filter(record)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    payload = json.loads(line)
    assert payload["message"] == "Not Found: /zoeken/"
    assert payload["request"] == "GET /zoeken/"
    assert payload["status_code"] == 404
    assert "example.org" not in line


# --------------------------------------------------------------------------------------
# Mail intake and tasks
# --------------------------------------------------------------------------------------


def test_each_mail_gets_a_fresh_id_and_the_outer_one_comes_back():
    @with_fresh_request_id
    def store() -> str | None:
        return request_id_current()

    assert store() is not None
    with request_id_bound("poll-task"):
        first, second = store(), store()
        assert request_id_current() == "poll-task"
    assert len({first, second, "poll-task"}) == 3


@pytest.mark.django_db
def test_a_task_row_carries_the_id_it_was_enqueued_under():
    with request_id_bound("web-1"):
        outbox_enqueue(topic="core.ping", payload={"n": 1})
    outbox_enqueue(topic="core.ping", payload={"n": 2})
    rows = {
        row.args_kwargs["kwargs"]["message_id"]: row.args_kwargs
        for row in DBTaskResult.objects.all()
    }
    first, second = sorted(rows)
    assert rows[first][rid.TASK_KEY] == "web-1"
    assert rid.TASK_KEY not in rows[second]
    # django-tasks still sees only the task's own arguments
    task_result = DBTaskResult.objects.get(args_kwargs__kwargs__message_id=first).task_result
    assert task_result.kwargs == {"message_id": first}


class _Row:
    def __init__(self, args_kwargs: dict) -> None:
        self.args_kwargs = args_kwargs


class _Result:
    def __init__(self, task_id: str, args_kwargs: dict | None) -> None:
        self.id = task_id
        if args_kwargs is not None:
            self.db_result = _Row(args_kwargs)


def test_worker_runs_a_task_under_its_id_and_gives_the_old_one_back():
    with request_id_bound("worker"):
        rid._task_started(object, _Result("t1", {"request_id": "web-1"}))
        assert request_id_current() == "web-1"
        rid._task_finished(object, _Result("t1", {}))
        assert request_id_current() == "worker"
        # no id stored (a periodic job) or a forged one: a fresh id for this run
        for stored in ({}, {"request_id": "x y\n"}):
            rid._task_started(object, _Result("t2", stored))
            fresh = request_id_current()
            assert fresh not in (None, "worker", "x y\n")
            rid._task_finished(object, _Result("t2", {}))
        # a backend without rows (immediate) keeps the caller's id
        rid._task_started(object, _Result("t3", None))
        assert request_id_current() == "worker"
        rid._task_finished(object, _Result("t3", None))
        assert request_id_current() == "worker"


# --------------------------------------------------------------------------------------
# Redaction (a safety net; tests/ops/test_logs.py checks the code needs none)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number", ["85073003328", "85.07.30-033.28", "850730-033.28", "850730 033 28"]
)
def test_redact_masks_checksum_valid_national_numbers_in_every_layout(number):
    assert redact(f"rijksregisternummer {number}, dank") == (
        "rijksregisternummer [rijksregisternummer], dank"
    )


@pytest.mark.parametrize(
    "text",
    [
        "85073003329",  # checksum wrong
        "inbound_id 12345678901",  # not a valid national number
        "850730033280",  # twelve digits: part of a longer number
        "BE68 5390 0754 7034",  # IBAN
        "+32 499 12 34 56",  # phone
        "2026-000123",  # dossier reference
        "request 0f3c2a9e5b7d4c1a",
    ],
)
def test_redact_leaves_other_numbers(text):
    assert redact(text) == text


def test_redact_masks_email_addresses():
    assert redact("from Emma.Peeters+tag@sub.example.org: hi") == "from [e-mail]: hi"
    assert redact("user@localhost-less text") == "user@localhost-less text"


def test_redact_filter_covers_message_args_string_fields_and_traceback():
    try:
        raise ValueError("no party for emma@example.org / 85.07.30-033.28")
    except ValueError:
        exc_info = sys.exc_info()
    record = _record("mail from %s", "emma@example.org", sender="emma@example.org", n=3)
    record.exc_info = exc_info
    assert RedactFilter().filter(record)
    line = JsonFormatter().format(record)
    assert "emma@example.org" not in line
    assert "85.07.30-033.28" not in line
    payload = json.loads(line)
    assert payload["message"] == "mail from [e-mail]"
    assert payload["sender"] == "[e-mail]"
    assert payload["n"] == 3
    assert "ValueError: no party for [e-mail] / [rijksregisternummer]" in payload["exception"]
