"""Periodic jobs. The scheduler only enqueues tasks; workers do the work.

Each app adds its jobs to ``PERIODIC_JOBS`` (the import path of a task and a cron
expression). ``midoffice scheduler`` runs APScheduler with them. Running two schedulers
would enqueue twice; every periodic task is a set-based sweep, so that is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: str  # dotted path to a django-tasks Task
    cron: str  # five-field crontab: minute hour day month day_of_week
    description: str


PERIODIC_JOBS: list[PeriodicJob] = [
    PeriodicJob(
        name="outbox-sweep",
        task="midoffice.core.tasks.outbox_sweep_task",
        cron="* * * * *",
        description="Re-send what is due in the outbox (after an outage or a crash).",
    ),
    PeriodicJob(
        name="task-results-prune",
        task="midoffice.core.tasks.task_results_prune_task",
        cron="17 3 * * *",
        description="Delete finished background task results older than "
        "MIDOFFICE_TASK_RESULTS_KEEP_DAYS days (the task table stays small).",
    ),
    PeriodicJob(
        name="api-rate-windows-prune",
        task="midoffice.core.tasks.api_rate_windows_prune_task",
        cron="41 * * * *",
        description="Delete API rate-limit counters older than a day (one row per client).",
    ),
]


def register(job: PeriodicJob) -> None:
    if all(existing.name != job.name for existing in PERIODIC_JOBS):
        PERIODIC_JOBS.append(job)
