"""The access rule checked on a joined dossier (dossiers.visibility)."""

from __future__ import annotations

import pytest
from django.db.models import Q

from midoffice.dossiers import visibility


def test_a_negated_condition_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """NOT (…) through a LEFT JOIN would match rows without a dossier: refused."""
    monkeypatch.setattr(visibility, "dossier_visible_q", lambda user: ~Q(confidential=True))
    with pytest.raises(ValueError, match="negated"):
        visibility.dossier_visible_through(object(), "dossier")  # type: ignore[arg-type]


def test_each_lookup_goes_through_the_relation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        visibility,
        "dossier_visible_q",
        lambda user: Q(team_id__in=[1, 2]) | (Q(assignee_id=7) & Q(confidential=False)),
    )
    found = visibility.dossier_visible_through(object(), "dossier")  # type: ignore[arg-type]
    assert found == Q(dossier__team_id__in=[1, 2]) | (
        Q(dossier__assignee_id=7) & Q(dossier__confidential=False)
    )
