"""One id per request, per incoming mail and per background task, on every log line.

The id lives in a context variable. It is set by

* ``core.middleware.RequestIdMiddleware`` for a web request (the proxy's ``X-Request-ID``
  when it is a sane token, else a new one);
* :func:`with_fresh_request_id` for each mail taken in (SMTP, IMAP, import), so its
  intake, routing and acknowledgement tasks share one id of their own;
* the task hooks below for a background task: the id that was current when the task was
  enqueued, else a new one per run.

The task hooks are the one place where the id crosses from the enqueuing process to the
worker: the task row (django-tasks-db) gets the id as an extra top-level key of its
``args_kwargs`` JSON, which django-tasks ignores (it reads only ``args`` and ``kwargs``),
so no task signature changes. They are signal receivers because django-tasks-db offers no
other public hook on both sides; they carry no business logic.
"""

from __future__ import annotations

import functools
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any, ParamSpec, TypeVar

logger = logging.getLogger(__name__)

_current: ContextVar[str | None] = ContextVar("midoffice_request_id", default=None)

_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")

# The key in a task row's ``args_kwargs`` that carries the id.
TASK_KEY = "request_id"

P = ParamSpec("P")
R = TypeVar("R")


def request_id_new() -> str:
    return uuid.uuid4().hex


def request_id_current() -> str | None:
    return _current.get()


def request_id_sane(value: str | None) -> str | None:
    """``value`` when it is a token we may log and echo (≤ 64 of ``[A-Za-z0-9._-]``)."""
    if value and _SANE.fullmatch(value):
        return value
    return None


@contextmanager
def request_id_bound(request_id: str) -> Iterator[str]:
    """Every log line and every task enqueued inside the block carries ``request_id``."""
    token = _current.set(request_id)
    try:
        yield request_id
    finally:
        _current.reset(token)


def with_fresh_request_id(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` under a new id (one per incoming mail). The id it replaces (an IMAP
    poll task's, say) is logged once, so the two can still be joined."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        outer = _current.get()
        with request_id_bound(request_id_new()):
            if outer:
                logger.debug("new request id for one mail", extra={"parent_request_id": outer})
            return func(*args, **kwargs)

    return wrapper


# --------------------------------------------------------------------------------------
# Background tasks (django-tasks with the django-tasks-db backend)
# --------------------------------------------------------------------------------------

# Task result id → the token that restores the worker's id when the task ends.
_task_tokens: dict[str, Token[str | None]] = {}


def _task_row_saving(sender: type[Any], instance: Any, **kwargs: Any) -> None:
    """Enqueue side: stamp a new task row with the current id (no extra query). Rows
    loaded as they are (``loaddata``, a restore) keep what they have."""
    request_id = _current.get()
    if kwargs.get("raw") or not request_id or not instance._state.adding:
        return
    if isinstance(instance.args_kwargs, dict):
        instance.args_kwargs.setdefault(TASK_KEY, request_id)


def _task_started(sender: type[Any], task_result: Any, **kwargs: Any) -> None:
    """Worker side: the task runs under the id it was enqueued with, else a new one.

    A task run by a backend without a row (the immediate backend) keeps the caller's id.
    """
    row = getattr(task_result, "db_result", None)
    if row is None:
        return
    request_id = request_id_sane(row.args_kwargs.get(TASK_KEY)) or request_id_new()
    _task_tokens[str(task_result.id)] = _current.set(request_id)


def _task_finished(sender: type[Any], task_result: Any, **kwargs: Any) -> None:
    token = _task_tokens.pop(str(task_result.id), None)
    if token is not None:
        try:
            _current.reset(token)
        except ValueError:  # set in another context (cannot happen in db_worker); keep going
            _current.set(None)


def task_hooks_connect() -> None:
    """Called once from ``CoreConfig.ready``."""
    from django.db.models.signals import pre_save
    from django_tasks.signals import log_task_started, task_finished, task_started
    from django_tasks_db.models import DBTaskResult

    pre_save.connect(_task_row_saving, sender=DBTaskResult, dispatch_uid="request_id_row")
    # Receivers run in the order they were connected: ours must run before django-tasks'
    # own "Task … RUNNING" line so that line carries the id too.
    task_started.disconnect(log_task_started)
    task_started.connect(_task_started, dispatch_uid="request_id_started")
    task_started.connect(log_task_started)
    # task_finished: django-tasks logs first (with the id), then ours restores the old id.
    task_finished.connect(_task_finished, dispatch_uid="request_id_finished")
