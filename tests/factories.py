"""factory_boy factories with traits for the core domain."""

from __future__ import annotations

import factory
from django.utils import timezone

from midoffice.accounts.models import Role, Team, User
from midoffice.catalog.models import (
    DayUnit,
    DossierType,
    Phase,
    ResultType,
    RetentionRule,
    StatusType,
)
from midoffice.parties.models import Party

STATUS_STEPS = [
    ("ontvangen", "Ontvangen", Phase.NEW),
    ("in-behandeling", "In behandeling", Phase.IN_PROGRESS),
    ("wacht-op-burger", "Wacht op burger", Phase.WAITING),
    ("beantwoord", "Beantwoord", Phase.ANSWERED),
    ("afgesloten", "Afgesloten", Phase.CLOSED),
]


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"team{n}")
    name = factory.LazyAttribute(lambda o: o.code.title())


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Medewerker{n}")
    role = Role.HANDLER
    password = factory.PostGenerationMethodCall("set_password", "geheim-wachtwoord-1")

    class Params:
        front_desk = factory.Trait(role=Role.FRONT_DESK)
        team_lead = factory.Trait(role=Role.TEAM_LEAD)
        admin = factory.Trait(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
        system = factory.Trait(role=Role.SYSTEM)

    @factory.post_generation
    def teams(self, create: bool, extracted: list[Team] | None, **kwargs: object) -> None:
        self.save()
        if create and extracted:
            self.teams.set(extracted)


class RetentionRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RetentionRule
        django_get_or_create = ("code",)

    code = "test-5j"
    name = "Test: 5 jaar"
    action = RetentionRule.Action.DESTROY
    period_years = 5


class DossierTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DossierType
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"type-{n}")
    name = factory.Sequence(lambda n: f"Dossiertype {n}")
    team = factory.SubFactory(TeamFactory)
    processing_days = 30
    day_unit = DayUnit.WORKING
    retention_rule = factory.SubFactory(RetentionRuleFactory)
    extension_allowed = True
    extension_days = 10

    class Params:
        confidential_type = factory.Trait(confidential=True)
        calendar_days = factory.Trait(day_unit=DayUnit.CALENDAR)

    @factory.post_generation
    def statuses(self, create: bool, extracted: object, **kwargs: object) -> None:
        if not create:
            return
        for order, (code, name, phase) in enumerate(STATUS_STEPS, start=1):
            StatusType.objects.create(
                dossier_type=self, order=order, code=code, name=name, phase=phase, citizen_text=name
            )
        ResultType.objects.create(dossier_type=self, code="beantwoord", name="Beantwoord")


def triage_type(*, team: Team | None = None, name: str | None = None) -> DossierType:
    """The triage type ``migrate`` makes on every install (``catalog.defaults``),
    moved to ``team`` and renamed when asked."""
    dossier_type = DossierType.objects.get(code="triage")
    if team is not None:
        dossier_type.team = team
    if name is not None:
        dossier_type.name = name
    dossier_type.save()
    return dossier_type


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Party

    given_name = "Emma"
    family_name = factory.Sequence(lambda n: f"Burger{n}")
    display_name = factory.LazyAttribute(lambda o: f"{o.given_name} {o.family_name}")


def open_dossier(
    *, dossier_type: DossierType | None = None, actor: User | None = None, **kwargs: object
):
    """Open a dossier through the real service."""
    from midoffice.dossiers.services import dossier_open

    return dossier_open(
        actor=actor,
        dossier_type=dossier_type or DossierTypeFactory(),
        subject=str(kwargs.pop("subject", "Vraag over verbouwing")),
        received_at=kwargs.pop("received_at", timezone.now()),  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )
