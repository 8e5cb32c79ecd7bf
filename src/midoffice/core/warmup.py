"""Work a task worker does once when it starts, before it takes its first task.

Apps register what their tasks load on first use (a model, heavy imports, compiled
templates): without it, the first task after a start (the first citizen of the
morning) waits seconds for what every later one gets for free. A warm-up that fails is
logged and skipped: the worker starts anyway, and the task loads it the slow way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

_WARM_UPS: dict[str, Callable[[], None]] = {}


def register_worker_warm_up(name: str, warm_up: Callable[[], None]) -> None:
    """Run ``warm_up`` in every worker before it takes tasks (apps call this in ready)."""
    _WARM_UPS[name] = warm_up


def worker_warm_up() -> dict[str, float]:
    """Run every registered warm-up; returns the seconds each took (failed ones too)."""
    took: dict[str, float] = {}
    for name, warm_up in _WARM_UPS.items():
        start = time.perf_counter()
        try:
            warm_up()
        except Exception:
            logger.exception("worker warm-up failed", extra={"warm_up": name})
        took[name] = round(time.perf_counter() - start, 3)
    if took:
        logger.info("worker warmed up", extra={"seconds": took})
    return took
