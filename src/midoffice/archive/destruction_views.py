"""Staff pages for destruction lists: the overview, a new list, a list with its review.

Thin: each page reads through ``destruction_selectors`` and each button calls one
service in ``destruction``; a refusal is shown as the service's Dutch message.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from midoffice.accounts.models import User
from midoffice.accounts.permissions import MESSAGES, Action, may
from midoffice.archive import destruction as services
from midoffice.archive import destruction_selectors as selectors
from midoffice.archive.destruction_models import (
    DestructionItemStatus,
    DestructionList,
    DestructionListState,
    DestructionReview,
)
from midoffice.archive.destruction_report import report_read
from midoffice.archive.destruction_workflow import Step
from midoffice.catalog.models import DossierType, ResultType
from midoffice.core import clock
from midoffice.core.errors import NotFound, UserError

#: How many candidates the page lists with a checkbox each; more are taken all at once.
CANDIDATES_SHOWN = 200
ITEMS_PER_PAGE = 100


def _staff(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _may_see_lists(user: User) -> bool:
    return any(
        may(user, action)
        for action in (
            Action.PROPOSE_DESTRUCTION,
            Action.REVIEW_DESTRUCTION,
            Action.APPROVE_DESTRUCTION,
        )
    )


def _list_or_404(user: User, list_id: int) -> DestructionList:
    try:
        return selectors.destruction_list_get_for_user(user=user, list_id=list_id)
    except NotFound:
        raise Http404("Vernietigingslijst niet gevonden.") from None


def _date(value: str, *, field: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserError("Geef een geldige datum.", field=field) from None


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


@login_required
def destruction_lists(request: HttpRequest) -> HttpResponse:
    """The overview: every list the user may see, newest first."""
    user = _staff(request)
    if not _may_see_lists(user):
        raise PermissionDenied(MESSAGES[Action.PROPOSE_DESTRUCTION])
    lists = list(
        selectors.destruction_lists_visible(user=user)
        .annotate(
            listed=Count("items", filter=Q(items__status=DestructionItemStatus.LISTED)),
            destroyed=Count("items", filter=Q(items__status=DestructionItemStatus.DESTROYED)),
        )
        .order_by("-state_changed_at", "-id")[:200]
    )
    waiting = selectors.destruction_lists_waiting_ids(user=user, list_ids=[lst.pk for lst in lists])
    rows = [{"list": lst, "yours": lst.pk in waiting} for lst in lists]
    return render(
        request,
        "archive/destruction_lists.html",
        {"rows": rows, "can_propose": may(user, Action.PROPOSE_DESTRUCTION)},
    )


def _filters(request: HttpRequest) -> selectors.CandidateFilters:
    year = _int(request.GET.get("jaar"))
    return selectors.CandidateFilters(
        dossier_type_id=_int(request.GET.get("type")),
        year=year if year and 1900 < year < 3000 else None,
        result_code=(request.GET.get("resultaat") or "").strip()[:40],
    )


def _candidates_context(request: HttpRequest) -> dict[str, Any]:
    filters = _filters(request)
    candidates = selectors.destruction_candidates(filters=filters)
    return {
        "filters": filters,
        "candidates": list(candidates[:CANDIDATES_SHOWN]),
        "candidate_count": candidates.count(),
        "shown": CANDIDATES_SHOWN,
        "types": DossierType.objects.order_by("name").only("pk", "name"),
        "results": ResultType.objects.order_by("name", "code")
        .values_list("code", "name")
        .distinct(),
        "query": request.GET.urlencode(),
    }


def _chosen_ids(request: HttpRequest) -> list[int]:
    """The dossiers ticked on the page, or every candidate of the filters."""
    if request.POST.get("all") == "1":
        candidates = selectors.destruction_candidates(filters=_filters(request))
        return list(candidates.values_list("pk", flat=True)[: services.ADD_MAX])
    return [pk for pk in (_int(v) for v in request.POST.getlist("dossier")) if pk]


@login_required
@require_http_methods(["GET", "POST"])
def destruction_list_new(request: HttpRequest) -> HttpResponse:
    """Filter the due dossiers, tick them, name the list and its reviewer."""
    user = _staff(request)
    if not may(user, Action.PROPOSE_DESTRUCTION):
        raise PermissionDenied(MESSAGES[Action.PROPOSE_DESTRUCTION])
    error = ""
    if request.method == "POST":
        reviewer_id = _int(request.POST.get("reviewer"))
        reviewer = (
            selectors.reviewers_eligible(author=user).filter(pk=reviewer_id).first()
            if reviewer_id
            else None
        )
        try:
            if reviewer_id and reviewer is None:
                raise UserError("Kies een beoordelaar uit de lijst.", field="reviewer")
            destruction_list = services.destruction_list_create(
                actor=user,
                name=request.POST.get("name", ""),
                dossier_ids=_chosen_ids(request),
                reviewer=reviewer,
                comment=request.POST.get("comment", ""),
            )
        except UserError as exc:
            error = exc.message
        else:
            messages.success(request, f"Vernietigingslijst ‘{destruction_list.name}’ opgesteld.")
            return redirect("destruction:list", list_id=destruction_list.pk)
    return render(
        request,
        "archive/destruction_new.html",
        {
            **_candidates_context(request),
            "error": error,
            "reviewers": selectors.reviewers_eligible(author=user),
            "name": request.POST.get("name", ""),
            "today": clock.today(),
        },
        status=400 if error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def destruction_list_add(request: HttpRequest, list_id: int) -> HttpResponse:
    """More due dossiers on a list that is still new."""
    user = _staff(request)
    destruction_list = _list_or_404(user, list_id)
    error = ""
    if request.method == "POST":
        try:
            added = services.destruction_list_add(
                actor=user, destruction_list=destruction_list, dossier_ids=_chosen_ids(request)
            )
        except UserError as exc:
            error = exc.message
        else:
            messages.success(request, f"{added} dossier(s) toegevoegd.")
            return redirect("destruction:list", list_id=destruction_list.pk)
    if Step.ADD_ITEMS not in selectors.steps_offered(user=user, destruction_list=destruction_list):
        raise PermissionDenied("Aan deze lijst kan je nu geen dossiers toevoegen.")
    return render(
        request,
        "archive/destruction_new.html",
        {**_candidates_context(request), "error": error, "destruction_list": destruction_list},
        status=400 if error else 200,
    )


@login_required
def destruction_list_detail(request: HttpRequest, list_id: int) -> HttpResponse:
    """The list: its state, who does what now, its dossiers and its history."""
    user = _staff(request)
    destruction_list = _list_or_404(user, list_id)
    page = _int(request.GET.get("pagina")) or 1
    items, total = selectors.destruction_items_page(
        destruction_list=destruction_list, user=user, page=page, size=ITEMS_PER_PAGE
    )
    offered = selectors.steps_offered(user=user, destruction_list=destruction_list)
    counts = dict(destruction_list.items.values_list("status").annotate(n=Count("id")).order_by())
    proposals = destruction_list.items.filter(
        status=DestructionItemStatus.LISTED, review=DestructionReview.EXCLUDED
    ).count()
    return render(
        request,
        "archive/destruction_detail.html",
        {
            "dl": destruction_list,
            "items": items,
            "total": total,
            "page": page,
            "pages": max((total + ITEMS_PER_PAGE - 1) // ITEMS_PER_PAGE, 1),
            "counts": counts,
            "proposals": proposals,
            "steps": destruction_list.steps.order_by("at", "id"),
            "can": {step.value: step in offered for step in Step},
            "reviewers": selectors.reviewers_eligible(author=destruction_list.author),
            "archivists": selectors.archivists_eligible(author=destruction_list.author),
            "may_download": destruction_list.state == DestructionListState.DELETED
            and _may_download(user),
            "today": clock.today(),
            "States": DestructionListState,
        },
    )


def _may_download(user: User) -> bool:
    return may(user, Action.PROPOSE_DESTRUCTION) or may(user, Action.APPROVE_DESTRUCTION)


def _user(request: HttpRequest, field: str) -> User:
    user = User.objects.filter(pk=_int(request.POST.get(field)) or 0, is_active=True).first()
    if user is None:
        raise UserError("Kies iemand uit de lijst.", field=field)
    return user


@login_required
@require_POST
def destruction_list_act(request: HttpRequest, list_id: int) -> HttpResponse:
    """One step on the whole list: the ``action`` field names it."""
    user = _staff(request)
    destruction_list = _list_or_404(user, list_id)
    action = request.POST.get("action", "")
    comment = request.POST.get("comment", "")
    done = {
        "submit": "De lijst is ter beoordeling aangeboden.",
        "accept": "Je keurde de lijst goed.",
        "request_changes": "De lijst gaat terug naar de opsteller.",
        "mark_final": "De lijst staat klaar voor de archivaris.",
        "approve": "Definitief goedgekeurd: de vernietiging is gepland.",
        "abort": "Het proces is afgebroken: de lijst is weer nieuw.",
        "comment": "Opmerking toegevoegd.",
        "reviewer": "De beoordelaar is aangeduid.",
        "archivist": "De archivaris is aangeduid.",
        "rename": "De naam is gewijzigd.",
    }
    try:
        if action == "submit":
            services.destruction_list_submit(
                actor=user, destruction_list=destruction_list, comment=comment
            )
        elif action == "accept":
            services.destruction_list_accept(
                actor=user, destruction_list=destruction_list, comment=comment
            )
        elif action == "request_changes":
            services.destruction_list_request_changes(
                actor=user, destruction_list=destruction_list, comment=comment
            )
        elif action == "mark_final":
            services.destruction_list_mark_final(
                actor=user,
                destruction_list=destruction_list,
                archivist=_user(request, "archivist"),
                comment=comment,
            )
        elif action == "approve":
            if request.POST.get("confirm") != "1":
                raise UserError("Bevestig dat de dossiers definitief vernietigd worden.")
            services.destruction_list_approve(
                actor=user,
                destruction_list=destruction_list,
                comment=comment,
                planned_on=_date(request.POST.get("planned_on", ""), field="planned_on"),
            )
        elif action == "abort":
            services.destruction_list_abort(
                actor=user, destruction_list=destruction_list, comment=comment
            )
        elif action == "comment":
            services.destruction_list_comment(
                actor=user, destruction_list=destruction_list, comment=comment
            )
        elif action in ("reviewer", "archivist"):
            services.destruction_list_assign(
                actor=user,
                destruction_list=destruction_list,
                role=action,
                user=_user(request, action),
                comment=comment,
            )
        elif action == "rename":
            services.destruction_list_rename(
                actor=user, destruction_list=destruction_list, name=request.POST.get("name", "")
            )
        else:
            raise UserError("Onbekende actie.")
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done[action])
    return redirect("destruction:list", list_id=destruction_list.pk)


@login_required
@require_POST
def destruction_item_act(request: HttpRequest, list_id: int, item_id: int) -> HttpResponse:
    """One step on one dossier of the list: propose to keep it, withdraw that, process
    a proposal, or take it off a new list."""
    user = _staff(request)
    destruction_list = _list_or_404(user, list_id)
    action = request.POST.get("action", "")
    comment = request.POST.get("comment", "")
    try:
        if action == "exclude":
            item = services.destruction_item_exclude(
                actor=user,
                destruction_list=destruction_list,
                item_id=item_id,
                reason=request.POST.get("reason", ""),
                archive_date=_date(request.POST.get("archive_date", ""), field="archive_date"),
            )
            done = f"Voorgesteld om dossier {item.reference} te bewaren."
        elif action == "include":
            item = services.destruction_item_include(
                actor=user, destruction_list=destruction_list, item_id=item_id
            )
            done = f"Voorstel voor dossier {item.reference} ingetrokken."
        elif action in ("keep", "retain"):
            item = services.destruction_item_process(
                actor=user,
                destruction_list=destruction_list,
                item_id=item_id,
                keep=action == "keep",
                comment=comment,
                archive_date=_date(request.POST.get("archive_date", ""), field="archive_date"),
            )
            done = (
                f"Dossier {item.reference} wordt bewaard tot "
                f"{item.review_archive_date:%d-%m-%Y} en is van de lijst gehaald."
                if action == "keep"
                else f"Dossier {item.reference} blijft op de lijst."
            )
        elif action == "remove":
            item = services.destruction_item_remove(
                actor=user, destruction_list=destruction_list, item_id=item_id, comment=comment
            )
            done = f"Dossier {item.reference} is van de lijst gehaald."
        else:
            raise UserError("Onbekende actie.")
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("destruction:list", list_id=destruction_list.pk)


@login_required
def destruction_report(request: HttpRequest, list_id: int) -> HttpResponse:
    """The report of a destroyed list (archivists)."""
    user = _staff(request)
    destruction_list = _list_or_404(user, list_id)
    if not _may_download(user):
        raise PermissionDenied("Alleen archivarissen downloaden het verslag.")
    if destruction_list.state != DestructionListState.DELETED or not destruction_list.report_name:
        raise Http404("Deze lijst is nog niet vernietigd: er is nog geen verslag.")
    response = HttpResponse(report_read(destruction_list), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="vernietigingsverslag-{destruction_list.pk}.pdf"'
    )
    return response
