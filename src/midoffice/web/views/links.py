"""Staff decisions on linked citizen contacts (ADR 29): approve, refuse, undo; the list
of links waiting for a decision."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from midoffice.core.errors import UserError
from midoffice.parties import linking
from midoffice.parties.models import PartyLink
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
