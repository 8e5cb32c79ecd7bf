"""Reads for correspondence: access-checked letters, the signature folder, reach of a contact."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from midoffice.accounts.models import User
from midoffice.accounts.permissions import (
    RULES,
    SIGNING_OFFICER_PERMISSION,
    Action,
    Scope,
    may,
    scope_for,
    user_team_ids,
)
from midoffice.catalog.models import DossierType
from midoffice.core.errors import NotFound
from midoffice.correspondence.channels import EmailPoint, PostalLines, Reach, email_pick
from midoffice.correspondence.models import Letter, LetterState, LetterTemplate, TemplateKind
from midoffice.dossiers.models import Dossier
from midoffice.dossiers.selectors import dossier_visible_q
from midoffice.parties.models import ContactPoint, Party
from midoffice.parties.selectors import consent_current


def letter_get_for_user(*, user: User, letter_id: int) -> Letter:
    """A letter of a dossier the user may see; "not found" for missing and forbidden alike."""
    visible = Letter.objects.filter(dossier__in=Dossier.objects.filter(dossier_visible_q(user)))
    letter = (
        visible.select_related("dossier", "dossier__dossier_type", "dossier__team", "recipient")
        .filter(pk=letter_id)
        .first()
    )
    if letter is None:
        raise NotFound("Brief niet gevonden.")
    return letter


def user_can_sign(*, user: User, letter: Letter) -> bool:
    """Team leads of the dossier's team, and signing officers (accounts.permissions)."""
    return may(user, Action.SIGN_LETTER, letter.dossier)


def signature_folder(*, user: User) -> QuerySet[Letter]:
    """Letters waiting for a signature that ``user`` may sign, oldest first."""
    letters = Letter.objects.filter(
        state=LetterState.TO_SIGN, dossier__in=Dossier.objects.filter(dossier_visible_q(user))
    )
    scope = scope_for(user, Action.SIGN_LETTER)
    if scope is None:
        return letters.none()
    if scope is not Scope.ANY:
        letters = letters.filter(
            Q(dossier__team_id__in=user_team_ids(user)) | Q(dossier__assignee_id=user.pk)
        )
    return letters.select_related("dossier", "created_by", "recipient").order_by("updated_at", "id")


def letter_signers(*, letter: Letter) -> list[User]:
    """Everyone who finds ``letter`` in their signature folder (see ``signature_folder``):
    who may sign it by the role table and can see its dossier.

    The candidates are read in one query (the roles that may sign, in the dossier's team
    or everywhere as the table says, and holders of the signing permission); each is then
    held to the same two checks the folder makes.
    """
    dossier = letter.dossier
    own_roles = [r for r, scope in RULES[Action.SIGN_LETTER].items() if scope is Scope.OWN]
    any_roles = [r for r, scope in RULES[Action.SIGN_LETTER].items() if scope is Scope.ANY]
    app_label, codename = SIGNING_OFFICER_PERMISSION.split(".")
    holds_permission = Q(
        user_permissions__codename=codename,
        user_permissions__content_type__app_label=app_label,
    ) | Q(
        groups__permissions__codename=codename,
        groups__permissions__content_type__app_label=app_label,
    )
    candidates = (
        User.objects.filter(is_active=True)
        .filter(
            Q(role__in=own_roles, teams=dossier.team_id)
            | Q(role__in=own_roles, pk=dossier.assignee_id or 0)
            | Q(role__in=any_roles)
            | holds_permission
        )
        .distinct()
        .order_by("id")
    )
    return [
        user
        for user in candidates
        if user_can_sign(user=user, letter=letter)
        and Dossier.objects.filter(dossier_visible_q(user), pk=dossier.pk).exists()
    ]


def letter_last_left(*, dossier_id: int) -> Letter | None:
    """The answer that left the dossier last: queued for delivery, sent or delivered."""
    return (
        Letter.objects.filter(
            dossier_id=dossier_id,
            state__in=[LetterState.QUEUED, LetterState.SENT, LetterState.DELIVERED],
        )
        .order_by("-updated_at", "-id")
        .first()
    )


def letters_for_dossier(*, dossier_id: int) -> QuerySet[Letter]:
    return Letter.objects.filter(dossier_id=dossier_id).order_by("-created_at", "-id")


def templates_for(*, dossier_type: DossierType, kind: str) -> QuerySet[LetterTemplate]:
    """Active templates of ``kind`` for the type, type-specific ones first."""
    return LetterTemplate.objects.filter(
        Q(dossier_type=dossier_type) | Q(dossier_type__isnull=True), kind=kind, is_active=True
    ).order_by("dossier_type_id", "name")


def email_template_for(*, dossier_type: DossierType) -> LetterTemplate | None:
    return (
        templates_for(dossier_type=dossier_type, kind=TemplateKind.EMAIL)
        .order_by("-dossier_type_id", "name")
        .first()
    )


def party_reach(*, party: Party) -> Reach:
    """What we know to reach ``party``: preference, consents and refusals, the e-mail
    address an answer goes to (and whether the citizen wrote from it), the postal address."""
    points = list(party.contact_points.order_by("-is_primary", "id"))
    refused = frozenset(
        channel for channel, c in consent_current(party=party).items() if not c.granted
    )
    email, written_from = email_pick(
        [
            EmailPoint(address=p.value, primary=p.is_primary, last_inbound_at=p.last_inbound_at)
            for p in points
            if p.kind == ContactPoint.Kind.EMAIL
        ],
        agreed=party.email_consent or party.preferred_channel == "email",
    )
    address_point = next((p for p in points if p.kind == ContactPoint.Kind.ADDRESS), None)
    address = (
        PostalLines(
            street=address_point.street,
            house_number=address_point.house_number,
            box=address_point.box,
            postcode=address_point.postcode,
            municipality=address_point.municipality,
            country=address_point.country,
        )
        if address_point
        else None
    )
    return Reach(
        name=party.display_name,
        preferred=party.preferred_channel,
        ebox_consent=party.ebox_consent,
        email_consent=party.email_consent,
        insz=party.insz or "",
        kbo=party.kbo or "",
        email=email,
        address=address,
        email_written_from=written_from,
        refused=refused,
    )
