"""/analyse/: the dashboards, the dossiers behind each number, and the exports.

Thin: the scope comes from ``access``, the figures from ``dashboard``/``selectors``; who may
open a dossier in a list is decided by ``dossiers.selectors.dossier_visible_q`` as
everywhere else in the workbench.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from midoffice.accounts.models import Team, User
from midoffice.analytics import export
from midoffice.analytics.access import Scope, analytics_scope
from midoffice.analytics.dashboard import (
    PART_BY_SLUG,
    PARTS,
    TABLE_SECTIONS,
    Dashboard,
    dashboard_build,
    number,
)
from midoffice.analytics.forms import FilterForm, ListForm
from midoffice.analytics.models import DossierFact
from midoffice.analytics.periods import MAX_DAYS, Period, default_period
from midoffice.analytics.selectors import (
    LIVE_MEASURES,
    MEASURES,
    Filters,
    appointments_behind,
    dossiers_now,
    facts_behind,
    letters_behind,
)
from midoffice.appointments.models import Appointment
from midoffice.appointments.selectors import appointment_visible_q
from midoffice.catalog.models import DossierType
from midoffice.core import clock
from midoffice.core.errors import Forbidden
from midoffice.correspondence.models import Letter
from midoffice.dossiers import selectors as dossier_selectors
from midoffice.dossiers.models import Dossier

PAGE_SIZE = 50


def _viewer(request: HttpRequest) -> tuple[User, Scope]:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("Meld je aan.")
    try:
        return user, analytics_scope(user)
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from None


@dataclass(frozen=True)
class Chosen:
    form: FilterForm
    filters: Filters
    team: Team | None
    error: str


def _choose(request: HttpRequest, scope: Scope, form_class: type[FilterForm]) -> Chosen:
    """The filters asked for, within the viewer's scope (a team outside it is no choice)."""
    teams = Team.objects.order_by("name")
    types = DossierType.objects.select_related("team").order_by("name")
    if scope.team_ids is not None:
        teams = teams.filter(pk__in=scope.team_ids)
        types = types.filter(team_id__in=scope.team_ids)
    today = clock.today()
    period = default_period(today)
    form = form_class(
        request.GET or None,
        initial={"van": period.start, "tot": period.end},
        team_choices=[(str(t.pk), t.name) for t in teams],
        type_choices=[(str(t.pk), f"{t.name} ({t.team.name})") for t in types],
        all_teams_label="Alle teams" if scope.all_teams else "Al mijn teams",
    )
    team_id = type_id = None
    error = ""
    if request.GET:
        if form.is_valid():
            data = form.cleaned_data
            start: dt.date | None = data.get("van")
            end: dt.date | None = data.get("tot")
            if start or end:
                end = end or max(start or today, today)
                start = start or end - (period.end - period.start)
                period = Period(start=start, end=end)
            team_id, type_id = data.get("team"), data.get("type")
            if period.days > MAX_DAYS:  # only one end given, the other far away
                error, period = "Kies een periode van hoogstens vijf jaar.", default_period(today)
        else:
            error = next(str(e) for errors in form.errors.values() for e in errors)
    team_ids = frozenset({team_id}) if team_id is not None else scope.team_ids
    filters = Filters(period=period, team_ids=team_ids, dossier_type_id=type_id)
    team = Team.objects.filter(pk=team_id).first() if team_id is not None else None
    return Chosen(form=form, filters=filters, team=team, error=error)


def _board(
    request: HttpRequest, *, sections: tuple[str, ...], tiles: bool
) -> tuple[User, Chosen, Dashboard]:
    user, scope = _viewer(request)
    chosen = _choose(request, scope, FilterForm)
    board = dashboard_build(
        filters=chosen.filters,
        chosen_team=chosen.team.pk if chosen.team else None,
        sections=sections,
        tiles=tiles,
    )
    return user, chosen, board


@login_required
@require_GET
def dashboard(request: HttpRequest, part: str = PARTS[0].slug) -> HttpResponse:
    """One of the dashboards (a tab): the filters, the headline figures, its sections."""
    shown = PART_BY_SLUG.get(part)
    if shown is None:
        raise Http404("Dit overzicht bestaat niet.")
    _, chosen, board = _board(request, sections=shown.sections, tiles=True)
    query = request.GET.urlencode()
    tabs = [
        (
            p,
            reverse("analytics:dashboard")
            if p is PARTS[0]
            else reverse("analytics:part", args=[p.slug]),
        )
        for p in PARTS
    ]
    context: dict[str, Any] = {
        "form": chosen.form,
        "filters": chosen.filters,
        "team": chosen.team,
        "board": board,
        "part": shown,
        "tabs": tabs,
        "error": chosen.error,
        "query": query,
    }
    return render(request, "analytics/dashboard.html", context, status=400 if chosen.error else 200)


@login_required
@require_GET
def table_export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx") or key not in TABLE_SECTIONS:
        raise Http404("Deze tabel bestaat niet (kies csv of xlsx).")
    _, chosen, board = _board(request, sections=(TABLE_SECTIONS[key],), tiles=False)
    if chosen.error:
        return HttpResponse(chosen.error, status=400, content_type="text/plain; charset=utf-8")
    table = board.table(key)
    if table is None:
        raise Http404("Deze tabel bestaat niet.")
    period = chosen.filters.period
    name = f"midoffice-{key}-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    if fmt == "csv":
        response = HttpResponse(export.table_csv(table), content_type=export.CSV_MEDIA_TYPE)
    else:
        subtitle = [
            f"Periode: {period.start:%d-%m-%Y} tot en met {period.end:%d-%m-%Y}",
            f"Team: {chosen.team.name if chosen.team else 'alle teams in beeld'}",
        ]
        if board.refreshed_at:
            subtitle.append(f"Cijfers van {clock.localdate(board.refreshed_at):%d-%m-%Y}")
        response = HttpResponse(
            export.table_xlsx(table, subtitle=subtitle), content_type=export.XLSX_MEDIA_TYPE
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# --- The list behind a number ---------------------------------------------------------------


def _cursor(text: str) -> tuple[int, int] | None:
    """``na`` is "<sort key>.<id>" of the last row of the previous page."""
    if not text:
        return None
    try:
        key, _, last = text.partition(".")
        return int(key), int(last)
    except ValueError:
        return None


@dataclass(frozen=True)
class Listing:
    title: str
    kind: str  # dossiers | letters | appointments
    behind: int  # how many the number counted
    visible: int  # how many of those the viewer may open
    gone: int  # how many no longer exist (destroyed)
    rows: list[Any]
    next_cursor: str


def _dossier_listing(
    user: User, facts: QuerySet[DossierFact], title: str, *, by_duration: bool, after: str
) -> Listing:
    ids = facts.values("dossier_id")
    behind = facts.count()
    # How many still exist and how many of those the viewer may open, in one pass.
    may_see = dossier_selectors.dossier_visible_q(user)
    counted = Dossier.objects.filter(pk__in=ids).aggregate(
        existing=Count("pk"), visible=Count("pk", filter=may_see) if may_see else Count("pk")
    )
    visible = dossier_selectors.dossier_list_visible(user=user).filter(pk__in=ids)
    if not counted["visible"]:  # nothing to show: do not look for it
        return Listing(title, "dossiers", behind, 0, behind - counted["existing"], [], "")
    cursor = _cursor(after)
    page_facts = facts.filter(dossier_id__in=visible.values("pk"))
    if by_duration:
        page_facts = page_facts.order_by("-processing_days", "-dossier_id")
        if cursor:
            page_facts = page_facts.filter(
                Q(processing_days__lt=cursor[0])
                | Q(processing_days=cursor[0], dossier_id__lt=cursor[1])
            )
    else:
        page_facts = page_facts.order_by("-dossier_id")
        if cursor:
            page_facts = page_facts.filter(dossier_id__lt=cursor[1])
    chunk = list(page_facts[: PAGE_SIZE + 1])
    found = Dossier.objects.select_related("dossier_type", "team", "status", "assignee").in_bulk(
        [f.dossier_id for f in chunk[:PAGE_SIZE]]
    )
    rows = [(found[f.dossier_id], f) for f in chunk[:PAGE_SIZE] if f.dossier_id in found]
    next_cursor = ""
    if len(chunk) > PAGE_SIZE:
        last = chunk[PAGE_SIZE - 1]
        key = last.processing_days if by_duration and last.processing_days is not None else 0
        next_cursor = f"{key}.{last.dossier_id}"
    return Listing(
        title,
        "dossiers",
        behind,
        counted["visible"],
        behind - counted["existing"],
        rows,
        next_cursor,
    )


def _live_listing(user: User, dossiers: QuerySet[Dossier], title: str, after: str) -> Listing:
    visible = dossiers.filter(dossier_selectors.dossier_visible_q(user))
    cursor = _cursor(after)
    page = visible.order_by("-id")
    if cursor:
        page = page.filter(id__lt=cursor[1])
    chunk = list(page.select_related("dossier_type", "team", "status", "assignee")[: PAGE_SIZE + 1])
    today = clock.today()
    calendar = dossier_selectors.town_calendar()
    rows = [
        (d, dossier_selectors.deadline_mark(d, today=today, calendar=calendar))
        for d in chunk[:PAGE_SIZE]
    ]
    next_cursor = f"0.{chunk[PAGE_SIZE - 1].pk}" if len(chunk) > PAGE_SIZE else ""
    return Listing(title, "live", dossiers.count(), visible.count(), 0, rows, next_cursor)


def _letter_listing(user: User, filters: Filters, channel: str, title: str, after: str) -> Listing:
    facts = letters_behind(filters, channel=channel)
    visible_dossiers = dossier_selectors.dossier_list_visible(user=user).values("pk")
    letters = Letter.objects.filter(
        pk__in=facts.values("letter_id"), dossier_id__in=visible_dossiers
    )
    cursor = _cursor(after)
    page = letters.order_by("-id")
    if cursor:
        page = page.filter(id__lt=cursor[1])
    chunk = list(page.select_related("dossier", "dossier__team")[: PAGE_SIZE + 1])
    behind = facts.count()
    existing = Letter.objects.filter(pk__in=facts.values("letter_id")).count()
    next_cursor = f"0.{chunk[PAGE_SIZE - 1].pk}" if len(chunk) > PAGE_SIZE else ""
    return Listing(
        title, "letters", behind, letters.count(), behind - existing, chunk[:PAGE_SIZE], next_cursor
    )


def _appointment_listing(
    user: User, filters: Filters, status: str, mode: str, title: str, after: str
) -> Listing:
    behind = appointments_behind(filters, status=status, mode=mode)
    visible = behind.filter(appointment_visible_q(user))
    cursor = _cursor(after)
    page = visible.order_by("-id")
    if cursor:
        page = page.filter(id__lt=cursor[1])
    chunk: list[Appointment] = list(
        page.select_related("service", "staff", "dossier")[: PAGE_SIZE + 1]
    )
    next_cursor = f"0.{chunk[PAGE_SIZE - 1].pk}" if len(chunk) > PAGE_SIZE else ""
    return Listing(
        title, "appointments", behind.count(), visible.count(), 0, chunk[:PAGE_SIZE], next_cursor
    )


def _list_title(data: dict[str, Any], chosen: Chosen, measure: str) -> str:
    period = chosen.filters.period
    names = {**MEASURES, **LIVE_MEASURES, "appointments": "Afspraken"}
    parts = [names[measure]]
    if measure == "open_at":
        parts.append(f"op {(data.get('op') or period.end):%d-%m-%Y}")
    elif measure not in LIVE_MEASURES:
        parts.append(f"van {period.start:%d-%m-%Y} tot en met {period.end:%d-%m-%Y}")
    parts.append(f"team {chosen.team.name}" if chosen.team else "alle teams in beeld")
    if chosen.filters.dossier_type_id is not None:
        found = DossierType.objects.filter(pk=chosen.filters.dossier_type_id).first()
        if found:
            parts.append(f"type {found.name}")
    form = chosen.form
    for key in ("kanaal", "status", "wijze"):
        if data.get(key):
            label = dict(form.fields[key].choices).get(data[key], data[key])  # type: ignore[attr-defined]
            parts.append(str(label).lower())
    if data.get("medewerker"):
        person = User.objects.filter(pk=data["medewerker"]).first()
        if person:
            parts.append(person.get_full_name() or person.username)
    return " – ".join(parts)


@login_required
@require_GET
def dossier_list(request: HttpRequest) -> HttpResponse:
    """The dossiers (or letters, or appointments) behind one number of the dashboard."""
    user, scope = _viewer(request)
    chosen = _choose(request, scope, ListForm)
    if chosen.error or not isinstance(chosen.form, ListForm):
        refusal = {"error": chosen.error or "Deze lijst bestaat niet.", "listing": None}
        return render(request, "analytics/dossier_list.html", refusal, status=400)
    data = chosen.form.cleaned_data
    measure: str = data["m"]
    title = _list_title(data, chosen, measure)
    after = data.get("na") or ""
    filters = chosen.filters
    if measure in LIVE_MEASURES:
        dossiers = dossiers_now(
            measure, filters, today=clock.today(), assignee_id=data.get("medewerker")
        )
        listing = _live_listing(user, dossiers, title, after)
    elif measure == "letters":
        listing = _letter_listing(user, filters, data.get("kanaal") or "", title, after)
    elif measure == "appointments":
        listing = _appointment_listing(
            user, filters, data.get("status") or "", data.get("wijze") or "", title, after
        )
    else:
        facts = facts_behind(
            measure, filters, channel=data.get("kanaal") or "", on_day=data.get("op")
        )
        listing = _dossier_listing(
            user, facts, title, by_duration=data.get("volgorde") == "duur", after=after
        )
    params = request.GET.copy()
    params.pop("na", None)
    next_url = ""
    if listing.next_cursor:
        params["na"] = listing.next_cursor
        next_url = f"?{params.urlencode()}"
    back = request.GET.copy()
    for key in ("m", "kanaal", "op", "status", "wijze", "medewerker", "volgorde", "na"):
        back.pop(key, None)
    context: dict[str, Any] = {
        "listing": listing,
        "hidden": listing.behind - listing.visible - listing.gone,
        "behind_text": number(listing.behind),
        "next_url": next_url,
        "deep": bool(after),
        "back_query": back.urlencode(),
        "first_page": f"?{params.urlencode()}" if after else "",
    }
    if after:
        first = request.GET.copy()
        first.pop("na", None)
        context["first_page"] = f"?{first.urlencode()}"
    return render(request, "analytics/dossier_list.html", context)
