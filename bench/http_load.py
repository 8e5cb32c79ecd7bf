"""A small closed-loop HTTP load generator (stdlib only) and a gunicorn runner.

Each client is a thread with its own ``http.client`` connection (keep-alive when the server
allows it; gunicorn's sync workers close after each response, and the client reconnects),
sending its next request as soon as the previous answer is read. Latency is measured per
request from send to the last body byte; throughput is requests over the wall time of the
timed phase. The client runs on the same two cores as the server, so figures are a bit
pessimistic - that is the honest setting of this machine.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import statistics
import subprocess
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from _common import BIN, ROOT, free_port, log

from midoffice.core import gunicorn_conf


@dataclass
class Result:
    latencies_ms: list[float]
    wall_seconds: float
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.latencies_ms)

    def percentile(self, p: int) -> float:
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0] if self.latencies_ms else float("nan")
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[p - 1]

    @property
    def throughput(self) -> float:
        return self.count / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def failed(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != 200) + len(self.errors)


class Client:
    def __init__(self, port: int, headers: Mapping[str, str]) -> None:
        self.port = port
        self.headers = dict(headers)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            self.conn.request("GET", path, headers=self.headers)
            response = self.conn.getresponse()
            return response.status, response.read()
        except (http.client.HTTPException, OSError):
            # A connection the server closed between requests: reconnect once.
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request("GET", path, headers=self.headers)
            response = self.conn.getresponse()
            return response.status, response.read()

    def close(self) -> None:
        self.conn.close()


def measure(
    *,
    port: int,
    paths: Sequence[str],
    headers: Mapping[str, str],
    clients: int,
    per_client: int,
    warmup: int,
    max_seconds: float | None = None,
) -> Result:
    """``clients`` threads each send ``warmup`` untimed then ``per_client`` timed GETs.

    Client ``k`` walks ``paths`` from offset ``k * per_client`` (wrapping), so concurrent
    clients ask for different rows when there are enough paths. With ``max_seconds`` a
    client stops early once the timed phase has lasted that long (slow endpoints then
    report fewer requests instead of stretching the run).
    """
    latencies: list[list[float]] = [[] for _ in range(clients)]
    statuses: list[Counter[int]] = [Counter() for _ in range(clients)]
    errors: list[str] = []
    ready = threading.Barrier(clients + 1)
    done = threading.Barrier(clients + 1)

    def worker(k: int) -> None:
        client = Client(port, headers)
        try:
            for i in range(warmup):
                client.get(paths[(k * 7919 + i) % len(paths)])
            ready.wait()
            own = latencies[k]
            counter = statuses[k]
            stop_at = time.perf_counter() + max_seconds if max_seconds else float("inf")
            for i in range(per_client):
                if time.perf_counter() > stop_at:
                    break
                path = paths[(k * per_client + i) % len(paths)]
                t0 = time.perf_counter()
                status, _ = client.get(path)
                own.append((time.perf_counter() - t0) * 1000)
                counter[status] += 1
        except Exception as exc:  # noqa: BLE001 - reported in the table, not raised
            errors.append(f"{type(exc).__name__}: {exc}")
            with contextlib.suppress(threading.BrokenBarrierError):
                ready.abort()
        finally:
            client.close()
            with contextlib.suppress(threading.BrokenBarrierError):
                done.wait()

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        ready.wait()
    started = time.perf_counter()
    with contextlib.suppress(threading.BrokenBarrierError):
        done.wait()
    wall = time.perf_counter() - started
    for t in threads:
        t.join()
    total: Counter[int] = Counter()
    for c in statuses:
        total.update(c)
    return Result([x for own in latencies for x in own], wall, total, errors)


def get_json(port: int, path: str, headers: Mapping[str, str]) -> tuple[int, object]:
    client = Client(port, headers)
    try:
        status, body = client.get(path)
    finally:
        client.close()
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body[:300].decode(errors="replace")


def path_of(url: str) -> str:
    """``/path?query`` of an absolute URL."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def without_param(path: str, name: str) -> str:
    parts = urllib.parse.urlsplit(path)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != name]
    return urllib.parse.urlunsplit(("", "", parts.path, urllib.parse.urlencode(query), ""))


def _cpu_seconds(pid: int, *, reaped_children: bool = False) -> float:
    """User plus system CPU time of one process so far (0 when it is gone); with
    ``reaped_children``, also that of its children that ended and were waited for."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    port: int
    pid: int

    def workers(self) -> list[int]:
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.pid:
                pids.append(int(stat.parent.name))
        return pids

    def cpu_seconds(self) -> float:
        """CPU time used so far by the master and its workers (Linux /proc), counting
        workers that gunicorn already replaced (``max_requests``): the master reaps them."""
        live = sum(_cpu_seconds(p) for p in self.workers())
        return _cpu_seconds(self.pid, reaped_children=True) + live


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str], *, workers: int | None = None, log_path: Path
) -> Iterator[Server]:
    """The product's WSGI app under gunicorn on a free loopback port, configured by the
    production configuration file (``midoffice.core.gunicorn_conf``: workers, timeouts,
    worker recycling; ADR 31) - ``workers`` overrides its worker count when given."""
    port = free_port()
    argv = [
        str(BIN / "gunicorn"),
        "-c",
        "python:midoffice.core.gunicorn_conf",
        "midoffice.wsgi",
        "-b",
        f"127.0.0.1:{port}",
    ]
    if workers is not None:
        argv += ["-w", str(workers)]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited; see {log_path}")
                with contextlib.suppress(OSError, http.client.HTTPException):
                    status, _ = get_json(port, "/healthz", {})
                    if status == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not answer within 60 s; see {log_path}")
                time.sleep(0.2)
            count = workers if workers is not None else gunicorn_conf.workers
            log(f"gunicorn ({count} workers) up on port {port}, pid {process.pid}")
            yield Server(port, process.pid)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
