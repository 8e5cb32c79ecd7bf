"""A process-local memo for small configuration reads that every mail or request needs
and that change a few times a year: dossier types, closing days, routing rules, webhook
subscriptions.

Without it, intake spends more time asking the database for the catalog than parsing
the mail. A memoised reader is cleared

- at once in this process when a model it watches is saved or deleted here (the
  admin, a management command, a test's factory), and again when that transaction
  commits — so a reload inside the transaction is not kept;
- after :data:`MEMO_SECONDS` in every other process (the worker sees an administrator's
  change within that time).

Return plain values or model instances that callers only read: a memoised value is
shared by every caller in the process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.db import models, transaction
from django.db.models.signals import post_delete, post_save

MEMO_SECONDS = 10.0

P = ParamSpec("P")
R = TypeVar("R")

_clearers: list[Callable[[], None]] = []


def memo_clear_all() -> None:
    """Forget every memoised value in this process (tests call this between tests)."""
    for clear in _clearers:
        clear()


def memoised(*watch: type[models.Model] | str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Memoise a reader by its (hashable) arguments; cleared on any change to the
    ``watch`` models (classes or "app_label.Model", for a layer below that may not
    import them) in this process and after :data:`MEMO_SECONDS` elsewhere."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        store: dict[Hashable, tuple[float, Any]] = {}
        lock = threading.Lock()

        def clear() -> None:
            with lock:
                store.clear()

        def on_change(**_: object) -> None:
            clear()
            # The same process may reload inside the still-open transaction: forget
            # that too once it commits (after a rollback the TTL ends it).
            transaction.on_commit(clear)

        for model in watch:
            label = model if isinstance(model, str) else model._meta.label
            dispatch = f"midoffice.memo.{fn.__module__}.{fn.__qualname__}.{label}"
            post_save.connect(on_change, sender=model, weak=False, dispatch_uid=dispatch + ".s")
            post_delete.connect(on_change, sender=model, weak=False, dispatch_uid=dispatch + ".d")
        _clearers.append(clear)

        @wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            key = (args, tuple(sorted(kwargs.items())))
            now = time.monotonic()
            hit = store.get(key)
            if hit is not None and hit[0] > now:
                value: R = hit[1]
                return value
            value = fn(*args, **kwargs)
            with lock:
                store[key] = (now + MEMO_SECONDS, value)
            return value

        wrapper.memo_clear = clear  # type: ignore[attr-defined]
        return wrapper

    return decorate
