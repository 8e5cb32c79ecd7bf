"""Template helpers of the workbench (header counts)."""

from __future__ import annotations

import datetime as dt
import functools
from urllib.parse import quote

from django import template
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from midoffice.accounts import permissions
from midoffice.accounts.models import Team, User
from midoffice.core.display import display_text
from midoffice.correspondence.selectors import signature_folder
from midoffice.dossiers.selectors import DeadlineMark, QueueRow, notification_unread_count

register = template.Library()


@register.simple_tag
def unread_notifications(user: User) -> int:
    return notification_unread_count(user=user) if user.is_authenticated else 0


@register.simple_tag
def my_teams(user: User) -> list[Team]:
    if not user.is_authenticated:
        return []
    if user.sees_all_teams:
        return list(Team.objects.order_by("name"))
    return permissions.user_teams(user)


@register.simple_tag
def may_do(user: User, action: str) -> bool:
    """May the signed-in user do ``action`` at all (for menu items without a dossier)?"""
    if not user.is_authenticated:
        return False
    return permissions.may(user, permissions.Action(action))


@register.simple_tag
def letters_to_sign(user: User) -> int | None:
    """How many letters wait in the user's signature folder; None for who may not sign."""
    if not user.is_authenticated:
        return None
    if permissions.scope_for(user, permissions.Action.SIGN_LETTER) is None:
        return None
    return signature_folder(user=user).count()


@register.filter
def dossier_url(reference: str) -> str:
    """The dossier page's address, as ``{% url 'web:dossier' reference %}`` gives it, for
    lists of many dossiers: ``reverse()`` once per script prefix, not once per row."""
    return _dossier_url_pattern(get_script_prefix()).replace(_PLACEHOLDER, quote(reference), 1)


_PLACEHOLDER = "0000-000000"
#: What a queue row shows for a contact without a visible name.
NO_NAME = "(geen naam)"


@functools.cache
def _dossier_url_pattern(prefix: str) -> str:
    return reverse("web:dossier", args=[_PLACEHOLDER])


@register.filter
def day_month_year(value: dt.date | None) -> str:
    """A date as ``|date:"d-m-Y"`` shows it (31-12-2026), without the formatter's cost in
    lists of many rows; a date-time is not accepted (it would need the local time zone)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        raise TypeError("day_month_year shows dates, not date-times")
    return f"{value.day:02d}-{value.month:02d}-{value.year:04d}"


@register.simple_tag
def queue_row(d: QueueRow, mark: DeadlineMark) -> SafeString:
    """One row of a queue's table (``web/_queue_results.html``), written here rather than
    in the template's loop: a page shows 50 rows, and Django's template engine spent some
    70 µs on each row's dozen values and two includes, a fifth of the page's CPU (ADR 32).
    The same cells, the same escaping (every value passes through ``format_html``)."""
    unread = ""
    if d.unread_since:
        unread = format_html(
            ' <strong class="mark mark-unread" title="Bericht van de burger sinds {}, nog niet'
            ' gelezen door de behandelaar">nieuw bericht</strong>',
            timezone.localtime(d.unread_since).strftime("%d-%m-%Y %H:%M"),
        )
    who = ""
    if d.requester_name is not None:
        who = format_html(
            '<br><span class="who">{}</span>', display_text(d.requester_name, NO_NAME)
        )
    deadline = ""
    if d.deadline:
        deadline = format_html(
            '<time datetime="{}">{}</time>', d.deadline.isoformat(), day_month_year(d.deadline)
        )
    return format_html(
        '<tr class="row-{}"><td><a href="{}">{}</a>{}</td><td>{}{}</td><td>{}</td><td>{}</td>'
        '<td>{}</td><td>{}\n<span class="mark mark-{}">{}</span></td></tr>',
        mark.state,
        dossier_url(d.reference),
        d.reference,
        unread,
        display_text(d.subject),
        who,
        d.type_name,
        d.status_name,
        d.assignee_name or "niet toegewezen",
        deadline,
        mark.state,
        mark.label,
    )
