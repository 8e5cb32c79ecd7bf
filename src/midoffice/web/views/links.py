"""Staff decisions on linked citizen contacts (ADR 29): approve, refuse, undo; the list
of links waiting for a decision; a link made by staff after checking the citizen's
identity."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from midoffice.accounts import permissions
from midoffice.accounts.permissions import Action
from midoffice.core.errors import UserError
from midoffice.parties import linking
from midoffice.parties import selectors as party_selectors
from midoffice.parties.models import Party, PartyLink
from midoffice.web.views.common import staff_user

_ACTIONS = {
    "approve": (linking.link_approve, "De contacten zijn gekoppeld."),
    "refuse": (linking.link_refuse, "De koppeling is geweigerd."),
    "undo": (linking.link_undo, "De contacten zijn ontkoppeld."),
}


@login_required
@require_POST
def party_link_decide(request: HttpRequest, link_id: int) -> HttpResponse:
    """Approve or refuse a pending link, or undo an active one (audited on both contacts)."""
    user = staff_user(request)
    action = _ACTIONS.get(request.POST.get("action", ""))
    back = request.POST.get("party", "")
    try:
        if action is None:
            raise UserError("Kies goedkeuren, weigeren of ontkoppelen.")
        link = action[0](actor=user, link_id=link_id)
        messages.success(request, action[1])
        back = back if back in (str(link.canonical_id), str(link.linked_id)) else ""
        party_id = int(back) if back else link.linked_id
    except UserError as exc:
        messages.error(request, exc.message)
        found = PartyLink.objects.filter(pk=link_id).values_list("linked_id", flat=True).first()
        if found is None:
            return redirect("web:party_links")
        party_id = found
    return redirect("web:contact", party_id)


@login_required
def party_links_pending(request: HttpRequest) -> HttpResponse:
    """The contested links waiting for a colleague's decision."""
    staff_user(request)
    return render(request, "web/party_links.html", {"links": linking.pending_links()})


@login_required
@require_http_methods(["GET", "POST"])
def party_link_create(request: HttpRequest, party_id: int) -> HttpResponse:
    """Link this contact to another contact of the same citizen, whose identity the member
    of staff checked (e.g. the identity card at the counter). GET searches, POST links."""
    user = staff_user(request)
    if not permissions.may(user, Action.REGISTER_CONTACT):
        raise PermissionDenied(permissions.MESSAGES[Action.REGISTER_CONTACT])
    party = Party.objects.filter(pk=party_id).first()
    if party is None:
        raise Http404("Contact niet gevonden.")
    query = request.GET.get("q", "").strip()[:200]
    error, status = "", 200
    if request.method == "POST":
        other_id = request.POST.get("other", "")
        other = Party.objects.filter(pk=int(other_id)).first() if other_id.isdigit() else None
        try:
            if other is None:
                raise UserError("Kies het contact om mee te koppelen.", field="other")
            linking.staff_link(
                actor=user, party=party, other=other, proof=request.POST.get("proof", "")
            )
        except UserError as exc:
            error, status = exc.message, exc.status_code
            query = request.POST.get("q", "").strip()[:200]
        else:
            messages.success(request, "De contacten zijn gekoppeld.")
            return redirect("web:contact", party.pk)
    found = (
        [p for p in party_selectors.party_search(query=query, limit=20) if p.pk != party.pk]
        if query
        else []
    )
    return render(
        request,
        "web/party_link_create.html",
        {
            "party": party,
            "query": query,
            "found": found,
            "proofs": linking.STAFF_PROOFS.items(),
            "error": error,
            "chosen": request.POST.get("other", ""),
            "chosen_proof": request.POST.get("proof", ""),
        },
        status=status,
    )
