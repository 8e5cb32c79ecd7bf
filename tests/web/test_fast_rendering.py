"""The queue pages' rows and filters are written in Python rather than by the template
engine (ADR 32, issue 24). They must write what the engine wrote: the same escaping, the
same choices, selection and attributes."""

from __future__ import annotations

import datetime as dt
import re

from django import forms

from midoffice.dossiers.selectors import DeadlineMark, QueueRow
from midoffice.web.forms import QueueFilterForm
from midoffice.web.templatetags.workbench import queue_row

HOSTILE = "<script>alert(\"x\") & 'y'</script>"


def _row(**changes: object) -> QueueRow:
    values: dict[str, object] = {
        "id": 1,
        "reference": "2026-000001",
        "subject": HOSTILE,
        "is_open": True,
        "deadline": dt.date(2026, 12, 31),
        "warn_on": None,
        "suspended_since": None,
        "unread_since": dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC),
        "team_id": 1,
        "assignee_id": 2,
        "requester_id": 3,
        "day_unit": "working",
        "type_name": "Type <b>",
        "status_name": "Status & co",
        "team_name": "Team",
        "assignee_name": 'Jan "J" Claes',
        "requester_name": "A&B <c>",
    }
    values.update(changes)
    return QueueRow(**values)  # type: ignore[arg-type]


def test_a_queue_row_escapes_every_value():
    html = queue_row(_row(), DeadlineMark("at_risk", "In gevaar: <3 dagen>", 2))
    for raw in ("<script>", "<b>", "<c>"):
        assert raw not in html
    assert "&lt;script&gt;alert(&quot;x&quot;) &amp; &#x27;y&#x27;&lt;/script&gt;" in html
    assert "Type &lt;b&gt;" in html
    assert "Status &amp; co" in html
    assert "Jan &quot;J&quot; Claes" in html
    assert '<span class="who">A&amp;B &lt;c&gt;</span>' in html
    assert '<span class="mark mark-at_risk">In gevaar: &lt;3 dagen&gt;</span>' in html
    assert '<time datetime="2026-12-31">31-12-2026</time>' in html
    assert "nieuw bericht" in html
    assert html.startswith('<tr class="row-at_risk"><td><a href="/dossiers/2026-000001/">')


def test_a_queue_row_without_assignee_contact_or_deadline():
    html = queue_row(
        _row(assignee_name="", requester_name=None, deadline=None, unread_since=None),
        DeadlineMark("none", "geen termijn", None),
    )
    assert "niet toegewezen" in html
    for absent in ('class="who"', "<time", "nieuw bericht"):
        assert absent not in html


def _filters(data: dict[str, str], *, django_select: bool) -> str:
    form = QueueFilterForm(
        data,
        type_choices=[("1", "Aanbouw & <x>"), ("2", "Bouw")],
        assignee_choices=[("11", 'Jan "J" Claes')],
    )
    if django_select:
        for name in ("status", "type", "assignee"):
            form.fields[name].widget = forms.Select(choices=form.fields[name].choices)
    form.is_valid()
    return "".join(str(form[name]) for name in ("status", "type", "assignee"))


def test_the_filters_are_written_as_djangos_select_writes_them():
    for data in (
        {},
        {"status": "in_progress", "type": "2", "assignee": "0"},
        {"type": "99"},  # an invalid choice: aria-invalid and the error's id
    ):
        ours = _filters(data, django_select=False)
        # Django's option template ends in a newline: blank lines between the options.
        theirs = re.sub(r"\n\s*\n", "\n", _filters(data, django_select=True))
        assert ours == theirs
    assert 'aria-invalid="true"' in _filters({"type": "99"}, django_select=False)
    assert '<option value="2" selected>Bouw</option>' in _filters(
        {"type": "2"}, django_select=False
    )
