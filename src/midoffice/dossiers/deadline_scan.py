"""The periodic deadline scan: mark at-risk and overdue dossiers, set-based.

Each dossier carries ``warn_on`` (the first at-risk day, computed with its deadline) and
``warning_level`` (0 nothing sent, 1 warned, 2 overdue reported). The scan is therefore
three INSERT … SELECT statements and one UPDATE per threshold — no Python loop over
dossiers — and each warning goes out once per dossier and threshold. The services reset
``warning_level`` to 0 whenever the deadline moves (suspend, resume, extend, reroute),
which re-arms the warnings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from midoffice.accounts.models import Role, User
from midoffice.core import clock
from midoffice.dossiers.models import Dossier, Event, EventKind, Notification


@dataclass(frozen=True)
class ScanResult:
    warned: int
    overdue: int
    notifications: int


# (level reached, event kind, notification kind, event summary, condition on "d")
_THRESHOLDS = (
    (
        2,
        EventKind.DEADLINE_OVERDUE,
        Notification.Kind.DEADLINE_OVERDUE,
        "Termijn overschreden",
        "d.warning_level < 2 AND d.deadline < %(today)s",
    ),
    (
        1,
        EventKind.DEADLINE_WARNING,
        Notification.Kind.DEADLINE_WARNING,
        "Termijn loopt bijna af",
        "d.warning_level < 1 AND d.warn_on <= %(today)s AND d.deadline >= %(today)s",
    ),
)


def deadline_scan(*, today: dt.date | None = None) -> ScanResult:
    """Warn about dossiers that reached their threshold on ``today`` (default: today).

    For each threshold, in one transaction: an event on each dossier's timeline, an
    in-app notification for its handler and the team leads of its team, then the
    dossier's ``warning_level`` is raised so the next scan skips it.
    """
    today = today or clock.today()
    now = clock.now()
    dossier_t = Dossier._meta.db_table
    event_t = Event._meta.db_table
    notification_t = Notification._meta.db_table
    user_t = User._meta.db_table
    teams_t = User.teams.through._meta.db_table
    empty_json = "CAST('{}' AS jsonb)" if connection.vendor == "postgresql" else "'{}'"
    params: dict[str, Any] = {
        "today": today,
        "now": now,
        "no": False,
        "lead": Role.TEAM_LEAD,
        "yes": True,
    }
    counts: dict[int, int] = {}
    notifications = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for level, event_kind, notice_kind, summary, condition in _THRESHOLDS:
            # "d.is_open" and the literal levels match the partial indexes' predicates
            # (dossier_scan_*_idx), which SQLite needs in the same form to use them.
            scope = f"d.is_open AND {condition}"
            cursor.execute(
                f"INSERT INTO {event_t} "  # noqa: S608 - table names from _meta, values bound
                "(dossier_id, kind, at, actor_id, actor_label, public, summary, data) "
                f"SELECT d.id, %(kind)s, %(now)s, NULL, 'Midoffice', %(no)s, %(summary)s, "
                f"{empty_json} FROM {dossier_t} d WHERE {scope}",
                {**params, "kind": str(event_kind), "summary": summary},
            )
            cursor.execute(
                f"INSERT INTO {notification_t} "  # noqa: S608
                "(user_id, dossier_id, kind, created_at, read_at, mailed) "
                "SELECT u_id, d_id, %(nkind)s, %(now)s, NULL, %(no)s FROM ("
                f" SELECT d.assignee_id AS u_id, d.id AS d_id FROM {dossier_t} d"
                f" WHERE {scope} AND d.assignee_id IS NOT NULL"
                " UNION"
                f" SELECT u.id AS u_id, d.id AS d_id FROM {dossier_t} d"
                f" JOIN {teams_t} ut ON ut.team_id = d.team_id"
                f" JOIN {user_t} u ON u.id = ut.user_id"
                f" WHERE {scope} AND u.role = %(lead)s AND u.is_active = %(yes)s"
                ") recipients",
                {**params, "nkind": str(notice_kind)},
            )
            notifications += max(cursor.rowcount, 0)
            cursor.execute(
                f"UPDATE {dossier_t} SET warning_level = %(level)s "  # noqa: S608
                f"WHERE id IN (SELECT d.id FROM {dossier_t} d WHERE {scope})",
                {**params, "level": level},
            )
            counts[level] = max(cursor.rowcount, 0)
    return ScanResult(warned=counts[1], overdue=counts[2], notifications=notifications)
