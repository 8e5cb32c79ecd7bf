"""Linking a citizen's contacts: the mailed contact and the government login (ADR 29).

A link is made only when one portal session proved both a national number (the
government login) and control of an e-mail address (the mailed sign-in link or a
mailed code) — never on a name. Nothing is moved between contacts: a ``PartyLink``
points the e-mail's contact to the contact with the national number, so undoing is a
state change and each side keeps its own dossiers, contact points, consents and audit.
Contested cases wait for a staff decision instead of an automatic link.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.db.models import Q

from midoffice.accounts.models import User
from midoffice.accounts.permissions import Action, require
from midoffice.core import clock
from midoffice.core.errors import NotFound, UserError
from midoffice.parties.identifiers import email_match_key, mask_insz, normalise_insz
from midoffice.parties.models import ContactPoint, Party, PartyChange, PartyLink

#: Called (inside the transaction) with a contact whose dossiers just became reachable
#: under its national number: a link became active (the canonical contact) or staff
#: recorded the contact's national number. The publication layer registers the newly
#: reachable dossiers in DOSIS (explicit hook, appended in ``AppConfig.ready()``; must not
#: do I/O).
on_linked: list[Callable[[Party], object]] = []

#: How a member of staff established who the citizen is (``PartyLink.proof`` and the
#: national number's audit); the portal's own proofs are "link" and "code".
STAFF_PROOFS = {
    "id_card": "Identiteitskaart getoond aan het loket",
    "eid_read": "eID gelezen met de kaartlezer",
    "document": "Ander officieel document getoond (paspoort, verblijfskaart)",
}
PROOF_LABELS = {
    "link": "Aanmeldlink naar het e-mailadres",
    "code": "Code naar het e-mailadres",
    **STAFF_PROOFS,
}


def linked_party_ids(party: Party) -> tuple[int, ...]:
    """``party`` and the contacts actively linked to it (it being the canonical side).

    Only the contact with the national number sees the linked contacts' dossiers; a
    sign-in by e-mail link alone still shows only that address's contact.
    """
    ids = PartyLink.objects.filter(canonical=party, state=PartyLink.State.ACTIVE).values_list(
        "linked_id", flat=True
    )
    return (party.pk, *sorted(ids))


def canonical_insz(party: Party) -> str | None:
    """The national number of the contact ``party`` is actively linked to, if any."""
    if party.insz:
        return party.insz
    link = (
        PartyLink.objects.filter(linked=party, state=PartyLink.State.ACTIVE)
        .select_related("canonical")
        .first()
    )
    return link.canonical.insz if link else None


def _audit(party: Party, actor: User | None, summary: str, link: PartyLink) -> None:
    label = (actor.get_full_name() or actor.username)[:120] if actor else "Burger (portaal)"
    PartyChange.objects.create(
        party=party,
        actor=actor,
        actor_label=label,
        summary=summary[:300],
        data={"link": link.pk, "state": link.state, "reason": link.reason, "proof": link.proof},
    )


def _activate(link: PartyLink, actor: User | None) -> None:
    other = PartyLink.objects.filter(linked=link.linked, state=PartyLink.State.ACTIVE)
    if other.exclude(pk=link.pk).exists():
        raise UserError("Dit contact is al aan een ander contact gekoppeld. Ontkoppel dat eerst.")
    link.state = PartyLink.State.ACTIVE
    link.save(update_fields=["state", "decided_at", "decided_by"])
    masked = mask_insz(link.canonical.insz or "")
    _audit(link.linked, actor, f"Gekoppeld aan {link.canonical.display_name} ({masked})", link)
    how = link.email or PROOF_LABELS.get(link.proof, link.proof)
    _audit(link.canonical, actor, f"Gekoppeld: {link.linked.display_name} ({how})", link)
    for hook in on_linked:
        hook(link.canonical)


def _contest_reason(canonical: Party, candidate: Party, shared: bool) -> str:
    if shared:
        return PartyLink.Reason.SHARED
    if candidate.insz and candidate.insz != canonical.insz:
        return PartyLink.Reason.OTHER_RRN
    if candidate.kind == Party.Kind.ORGANISATION or candidate.kbo:
        return PartyLink.Reason.ORGANISATION
    active = PartyLink.objects.filter(linked=candidate, state=PartyLink.State.ACTIVE)
    if active.exclude(canonical=canonical).exists():
        return PartyLink.Reason.ALREADY_LINKED
    return PartyLink.Reason.NONE


@transaction.atomic
def identity_link(*, canonical: Party, email: str, proof: str) -> list[PartyLink]:
    """Link the contacts of the proven ``email`` to ``canonical`` (proven by national number).

    Returns the links concerned (active or pending; an earlier refusal stands and is
    returned as is). Idempotent: proving the same pair again changes nothing.
    """
    if proof not in ("link", "code"):
        raise ValueError(proof)
    canonical = Party.objects.select_for_update().get(pk=canonical.pk)
    if not canonical.insz:
        raise UserError("Meld je eerst aan met je rijksregisternummer.", code="no_rrn")
    key = email_match_key(email)
    candidate_ids = (
        ContactPoint.objects.filter(kind=ContactPoint.Kind.EMAIL, match_key=key)
        .exclude(party_id=canonical.pk)
        .values_list("party_id", flat=True)
        .distinct()
    )
    candidates = list(Party.objects.filter(pk__in=candidate_ids).order_by("pk"))
    shared = len(candidates) > 1
    now = clock.now()
    result: list[PartyLink] = []
    for candidate in candidates:
        existing = (
            PartyLink.objects.filter(canonical=canonical, linked=candidate)
            .exclude(state=PartyLink.State.UNDONE)
            .order_by("-pk")
            .first()
        )
        if existing is not None:  # active, pending, or a refusal that stands
            result.append(existing)
            continue
        reason = _contest_reason(canonical, candidate, shared)
        link = PartyLink.objects.create(
            canonical=canonical,
            linked=candidate,
            email=email.strip().lower(),
            proof=proof,
            state=PartyLink.State.PENDING,
            reason=reason,
            created_at=now,
        )
        if reason == PartyLink.Reason.NONE:
            link.decided_at = now
            _activate(link, None)
        else:
            _audit(
                candidate,
                None,
                f"Koppeling aan {canonical.display_name} wacht op een medewerker "
                f"({link.get_reason_display()})",
                link,
            )
        result.append(link)
    return result


def _open_link(link_id: int, state: str) -> PartyLink:
    link = (
        PartyLink.objects.select_for_update()
        .select_related("canonical", "linked")
        .filter(pk=link_id, state=state)
        .first()
    )
    if link is None:
        raise NotFound("Deze koppeling vonden we niet (meer).")
    return link


@transaction.atomic
def link_approve(*, actor: User, link_id: int) -> PartyLink:
    """A colleague approves a contested link: it becomes active (audited on both sides)."""
    require(actor, Action.REGISTER_CONTACT)
    link = _open_link(link_id, PartyLink.State.PENDING)
    link.decided_at = clock.now()
    link.decided_by = actor
    _activate(link, actor)
    return link


@transaction.atomic
def link_refuse(*, actor: User, link_id: int) -> PartyLink:
    """A colleague refuses a contested link; the refusal stands for that pair."""
    require(actor, Action.REGISTER_CONTACT)
    link = _open_link(link_id, PartyLink.State.PENDING)
    link.state = PartyLink.State.REFUSED
    link.decided_at = clock.now()
    link.decided_by = actor
    link.save(update_fields=["state", "decided_at", "decided_by"])
    _audit(link.linked, actor, f"Koppeling aan {link.canonical.display_name} geweigerd", link)
    _audit(link.canonical, actor, f"Koppeling met {link.linked.display_name} geweigerd", link)
    return link


@transaction.atomic
def link_undo(*, actor: User, link_id: int) -> PartyLink:
    """Undo an active link: each side shows only its own dossiers again (audited)."""
    require(actor, Action.REGISTER_CONTACT)
    link = _open_link(link_id, PartyLink.State.ACTIVE)
    link.state = PartyLink.State.UNDONE
    link.undone_at = clock.now()
    link.undone_by = actor
    link.save(update_fields=["state", "undone_at", "undone_by"])
    _audit(link.linked, actor, f"Ontkoppeld van {link.canonical.display_name}", link)
    _audit(link.canonical, actor, f"Ontkoppeld: {link.linked.display_name}", link)
    return link


def party_links(party: Party) -> list[PartyLink]:
    """The links of ``party`` on either side, newest first (for the contact page)."""
    return list(
        PartyLink.objects.filter(Q(canonical=party) | Q(linked=party))
        .select_related("canonical", "linked", "decided_by", "undone_by")
        .order_by("-created_at", "-pk")
    )


def pending_links() -> list[PartyLink]:
    """The contested links waiting for a staff decision, oldest first."""
    return list(
        PartyLink.objects.filter(state=PartyLink.State.PENDING)
        .select_related("canonical", "linked")
        .order_by("created_at", "pk")
    )


def _staff_proof(proof: str) -> str:
    if proof not in STAFF_PROOFS:
        raise UserError("Kies hoe je de identiteit van de burger controleerde.", field="proof")
    return proof


@transaction.atomic
def national_number_record(*, actor: User, party: Party, insz: str, proof: str) -> Party:
    """A member of staff records the national number of a contact that had none (checked
    with ``proof``): audited, and its open dossiers (and those of its linked contacts)
    are registered in DOSIS like after a link (``on_linked``)."""
    require(actor, Action.REGISTER_CONTACT)
    number = normalise_insz(insz)
    proof = _staff_proof(proof)
    party = Party.objects.select_for_update().get(pk=party.pk)
    if party.insz == number:
        return party
    if party.insz:
        raise UserError(
            "Dit contact heeft al een ander rijksregisternummer. Een rijksregisternummer "
            "wijzigen we niet: vraag het na bij de beheerder.",
            field="insz",
        )
    if party.kind == Party.Kind.ORGANISATION or party.kbo:
        raise UserError("Een organisatie heeft geen rijksregisternummer.", field="insz")
    if Party.objects.filter(insz=number).exclude(pk=party.pk).exists():
        raise UserError(
            "Er bestaat al een contact met dit rijksregisternummer. Koppel de twee "
            "contacten in plaats daarvan.",
            field="insz",
        )
    linked_to = canonical_insz(party)
    if linked_to and linked_to != number:
        raise UserError(
            "Dit contact is gekoppeld aan een contact met een ander rijksregisternummer. "
            "Ontkoppel eerst.",
            field="insz",
        )
    party.insz = number
    party.save(update_fields=["insz", "updated_at"])
    label = (actor.get_full_name() or actor.username)[:120]
    PartyChange.objects.create(
        party=party,
        actor=actor,
        actor_label=label,
        summary=f"Rijksregisternummer geregistreerd ({mask_insz(number)}): {STAFF_PROOFS[proof]}"[
            :300
        ],
        data={"insz": mask_insz(number), "proof": proof},
    )
    for hook in on_linked:
        hook(party)
    return party


def _staff_link_refusal(canonical: Party, other: Party) -> str:
    """Why staff may not link these two by hand (ADR 29's contested cases), or ""."""
    if canonical.pk == other.pk:
        return "Kies een ander contact: een contact koppel je niet aan zichzelf."
    for party in (canonical, other):
        if party.kind == Party.Kind.ORGANISATION or party.kbo:
            return "Een organisatie koppel je niet aan een burger."
    if not canonical.insz:
        return (
            "Geen van beide contacten heeft een rijksregisternummer. Registreer eerst het "
            "rijksregisternummer bij een van beide."
        )
    if other.insz:
        return (
            "Beide contacten hebben een rijksregisternummer: dat zijn twee verschillende "
            "personen. Ze worden niet gekoppeld."
        )
    open_links = PartyLink.objects.filter(
        state__in=[PartyLink.State.ACTIVE, PartyLink.State.PENDING]
    )
    if open_links.filter(canonical=canonical, linked=other).exists():
        return (
            "Deze contacten zijn al gekoppeld of hun koppeling wacht op een beslissing: "
            "beslis daar."
        )
    if open_links.filter(linked=other, state=PartyLink.State.ACTIVE).exists():
        return "Dit contact is al aan een ander contact gekoppeld. Ontkoppel dat eerst."
    if open_links.filter(linked=canonical, state=PartyLink.State.ACTIVE).exists():
        return "Het contact met het rijksregisternummer is zelf aan een ander contact gekoppeld."
    return ""


@transaction.atomic
def staff_link(*, actor: User, party: Party, other: Party, proof: str) -> PartyLink:
    """A member of staff links two contacts of one citizen after checking the citizen's
    identity (``proof``, e.g. the identity card at the counter): the contact with the
    national number becomes canonical, nothing is merged, the link is active at once,
    audited on both contacts and undoable like any other. Contested cases are refused."""
    require(actor, Action.REGISTER_CONTACT)
    proof = _staff_proof(proof)
    locked = {
        p.pk: p for p in Party.objects.select_for_update().filter(pk__in=[party.pk, other.pk])
    }
    first, second = locked[party.pk], locked[other.pk]
    canonical, linked = (second, first) if second.insz and not first.insz else (first, second)
    refusal = _staff_link_refusal(canonical, linked)
    if refusal:
        raise UserError(refusal, field="other")
    # A citizen's own refusal of this pair does not bind staff who saw the identity card;
    # the new link stands beside the old rows (the states are the history). No e-mail
    # address was proven here: the proof is the staff member's check.
    now = clock.now()
    link = PartyLink.objects.create(
        canonical=canonical,
        linked=linked,
        email="",
        proof=proof,
        state=PartyLink.State.PENDING,
        reason=PartyLink.Reason.NONE,
        created_at=now,
        decided_at=now,
        decided_by=actor,
    )
    _activate(link, actor)
    return link
