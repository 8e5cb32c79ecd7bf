"""The access rule on rows that point at a dossier, as a condition on the joined dossier.

``selectors.dossier_visible_q`` is a condition on a dossier. A list of other rows (an
appointment, a transfer) that used it as ``dossier_id IN (SELECT id FROM dossiers WHERE
…)`` first collects every dossier the user may see - a hundred thousand ids for a team at
a million dossiers - before the first row of the page; SQLite then also sorts. Checked on
the joined dossier instead, the list is read in its own index order and each row's dossier
is looked up by its primary key (ADR 30).
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Q

from midoffice.accounts.models import User
from midoffice.dossiers.selectors import dossier_visible_q


def _prefixed(condition: Q, prefix: str) -> Q:
    if condition.negated:
        # NOT (…) on a LEFT JOIN is true for a row without a dossier: refuse rather than
        # let such rows through unnoticed.
        raise ValueError("a negated access condition cannot be checked through a join")
    found = Q()
    found.connector = condition.connector
    found.negated = condition.negated
    for child in condition.children:
        if isinstance(child, Q):
            found.children.append(_prefixed(child, prefix))
        else:
            lookup, value = cast(tuple[str, Any], child)
            found.children.append((f"{prefix}{lookup}", value))
    return found


def dossier_visible_through(user: User, relation: str) -> Q:
    """``dossier_visible_q(user)`` on the dossier a row points at through ``relation``.

    Empty (``Q()``, falsy) when ``user`` may see every dossier: the caller decides what a
    row without a dossier means then. Otherwise a row without a dossier does not match.
    """
    return _prefixed(dossier_visible_q(user), f"{relation}__")
