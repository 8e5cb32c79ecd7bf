"""``midoffice serve_all``: the web server, a worker and the scheduler, stopped together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand

EXTRA_PROCESSES: list[tuple[str, list[str]]] = []
"""Apps add long-running processes here (e.g. the SMTP listener) as (name, argv)."""


class Command(BaseCommand):
    help = "Start the web server, a task worker and the scheduler; Ctrl-C stops all of them."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        me = [sys.executable, "-m", "midoffice.manage"]
        processes: list[tuple[str, list[str]]] = [
            ("web", [*me, "runserver", options["addr"], "--noreload"]),
            ("worker", [*me, "db_worker", "--queue-name", "*", "--interval", "0.5"]),
            ("scheduler", [*me, "scheduler"]),
            *EXTRA_PROCESSES,
        ]
        children: list[tuple[str, subprocess.Popen[bytes]]] = []
        for name, argv in processes:
            children.append((name, subprocess.Popen(argv, env=os.environ.copy())))  # noqa: S603
            self.stdout.write(f"started {name} (pid {children[-1][1].pid})")

        def stop(*_: object) -> None:
            for _name, child in children:
                if child.poll() is None:
                    child.terminate()
            deadline = time.monotonic() + 10
            for _name, child in children:
                try:
                    child.wait(timeout=max(deadline - time.monotonic(), 0.1))
                except subprocess.TimeoutExpired:
                    child.kill()
            raise SystemExit(0)

        signal.signal(signal.SIGTERM, stop)
        try:
            while True:
                for name, child in children:
                    if child.poll() is not None:
                        self.stderr.write(f"{name} stopped with code {child.returncode}")
                        stop()
                time.sleep(0.5)
        except KeyboardInterrupt:
            stop()
