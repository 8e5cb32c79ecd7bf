"""The archivist's page (/archief/) and the archive's buttons on the dossier page.

Thin: reads through ``archive.selectors``, writes through ``archive.services``; a refusal
comes back as the service's Dutch message. The page reads the counts of the daily run
(a count over every closed dossier is the job's work, not a page view's) and lists the
due dossiers one keyset page at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from midoffice.accounts.models import User
from midoffice.accounts.permissions import Action, may
from midoffice.archive import selectors, services
from midoffice.archive.models import ArchiveTransfer
from midoffice.catalog.models import DossierType
from midoffice.core.errors import NotFound, UserError
from midoffice.dossiers.models import Dossier
from midoffice.dossiers.selectors import dossier_get_for_user, dossier_visible_q

PAGE = 50
ACTIONS = {"keep": "Over te brengen naar het e-depot", "destroy": "Te vernietigen"}


def _archivist(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not (may(user, Action.TRANSFER_ARCHIVE) or may(user, Action.SET_LEGAL_HOLD)):
        raise PermissionDenied("Het archief is voor archivarissen.")
    return user


def _dossier(user: User, reference: str) -> Dossier:
    try:
        return dossier_get_for_user(user=user, reference=reference)
    except NotFound:
        raise Http404("Dossier niet gevonden.") from None


def _after(value: str) -> tuple[dt.date, int] | None:
    """The keyset cursor ``YYYY-MM-DD.id`` of the next page; None when absent or odd."""
    day, _, last = value.partition(".")
    try:
        return dt.date.fromisoformat(day), int(last)
    except ValueError:
        return None


@login_required
def archive_home(request: HttpRequest) -> HttpResponse:
    user = _archivist(request)
    action = request.GET.get("actie", "keep")
    if action not in ACTIONS:
        action = "keep"
    type_id = request.GET.get("type", "")
    dossier_type = (
        DossierType.objects.filter(pk=int(type_id)).first() if type_id.isdigit() else None
    )
    after = _after(request.GET.get("na", ""))
    rows = selectors.archive_due_page(
        action=action,
        dossier_type_id=dossier_type.pk if dossier_type else None,
        after=after,
        limit=PAGE + 1,
    )
    visible = set(
        Dossier.objects.filter(dossier_visible_q(user), pk__in=[d.pk for d in rows]).values_list(
            "pk", flat=True
        )
    )
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    run = selectors.archive_run_last()
    counts = run.counts if run else []
    context = {
        "run": run,
        "keep_counts": [c for c in counts if c["action"] == "keep"],
        "destroy_counts": [c for c in counts if c["action"] == "destroy"],
        "action": action,
        "action_label": ACTIONS[action],
        "dossier_type": dossier_type,
        "rows": [(d, d.pk in visible) for d in rows],
        "next": f"{rows[-1].archive_date}.{rows[-1].pk}" if more and rows else "",
        "transfers": selectors.archive_transfers(limit=20),
        "refused": selectors.archive_transfers(states=[ArchiveTransfer.State.REFUSED], limit=20),
        "holds": selectors.archive_holds(limit=50),
        "may_transfer": may(user, Action.TRANSFER_ARCHIVE),
        "edepot_name": settings.EDEPOT_NAME,
    }
    return render(request, "archive/home.html", context)


@login_required
@require_POST
def archive_count(request: HttpRequest) -> HttpResponse:
    _archivist(request)
    run = services.archive_daily_run()
    messages.success(request, f"Geteld: {run.due_total} dossiers te doen.")
    return redirect("archive:home")


@login_required
@require_POST
def archive_transfer_batch(request: HttpRequest) -> HttpResponse:
    user = _archivist(request)
    type_id = request.POST.get("type", "")
    try:
        batch = services.archive_transfer_request_due(
            actor=user, dossier_type_id=int(type_id) if type_id.isdigit() else None
        )
    except UserError as exc:
        messages.error(request, exc.message)
        return redirect("archive:home")
    text = f"{batch.requested} overbrengingen aangevraagd."
    if batch.refused:
        first_reference, first_reason = batch.refused[0]
        text += f" {len(batch.refused)} niet, bv. {first_reference}: {first_reason}"
    messages.success(request, text)
    return redirect("archive:home")


def _dossier_action(
    request: HttpRequest, reference: str, *, done: str, do: Callable[[User, Dossier], object]
) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    dossier = _dossier(user, reference)
    try:
        do(user, dossier)
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    back = request.POST.get("terug", "")
    if back == "archief":
        return redirect("archive:home")
    return redirect("web:dossier", reference=reference)


@login_required
@require_POST
def archive_transfer(request: HttpRequest, reference: str) -> HttpResponse:
    return _dossier_action(
        request,
        reference,
        done="De overbrenging naar het e-depot is aangevraagd.",
        do=lambda user, dossier: services.archive_transfer_request(actor=user, dossier=dossier),
    )


@login_required
@require_POST
def archive_hold_set(request: HttpRequest, reference: str) -> HttpResponse:
    return _dossier_action(
        request,
        reference,
        done="De archiefblokkering is ingesteld.",
        do=lambda user, dossier: services.dossier_legal_hold_set(
            actor=user, dossier=dossier, reason=request.POST.get("reason", "")
        ),
    )


@login_required
@require_POST
def archive_hold_lift(request: HttpRequest, reference: str) -> HttpResponse:
    return _dossier_action(
        request,
        reference,
        done="De archiefblokkering is opgeheven.",
        do=lambda user, dossier: services.dossier_legal_hold_lift(
            actor=user, dossier=dossier, reason=request.POST.get("reason", "")
        ),
    )
