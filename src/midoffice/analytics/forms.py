"""The dashboards' GET filters (period, team, dossier type) and the list's extra choices."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from midoffice.analytics.periods import MAX_DAYS
from midoffice.analytics.selectors import LIVE_MEASURES, MEASURES
from midoffice.appointments.models import AppointmentStatus, Mode
from midoffice.correspondence.models import DeliveryChannel
from midoffice.dossiers.models import IntakeChannel

DATE_ERRORS = {"invalid": "Geef een datum op als dag-maand-jaar, bijvoorbeeld 01-03-2026."}
CHOICE_ERRORS = {"invalid_choice": "Kies een waarde uit de lijst."}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class FilterForm(forms.Form):
    van = forms.DateField(
        label="Van", required=False, widget=DateInput(), error_messages=DATE_ERRORS
    )
    tot = forms.DateField(
        label="Tot en met", required=False, widget=DateInput(), error_messages=DATE_ERRORS
    )
    team = forms.TypedChoiceField(
        label="Team", required=False, coerce=int, empty_value=None, error_messages=CHOICE_ERRORS
    )
    type = forms.TypedChoiceField(
        label="Dossiertype",
        required=False,
        coerce=int,
        empty_value=None,
        error_messages=CHOICE_ERRORS,
    )

    def __init__(
        self,
        *args: Any,
        team_choices: list[tuple[str, str]],
        type_choices: list[tuple[str, str]],
        all_teams_label: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", all_teams_label), *team_choices]  # type: ignore[attr-defined]
        self.fields["type"].choices = [("", "Alle types"), *type_choices]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: dt.date | None = data.get("van")
        end: dt.date | None = data.get("tot")
        if start and end and end < start:
            raise forms.ValidationError("De einddatum ligt voor de begindatum.")
        if start and end and (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError("Kies een periode van hoogstens vijf jaar.")
        return data


def _choices(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", "–"), *pairs]


class ListForm(FilterForm):
    """The list behind a number: the page's filters plus what the number was about."""

    m = forms.ChoiceField(
        choices=[*MEASURES.items(), *LIVE_MEASURES.items(), ("appointments", "Afspraken")],
        error_messages={
            "required": "Kies wat je wil zien.",
            "invalid_choice": "Deze lijst bestaat niet.",
        },
    )
    kanaal = forms.ChoiceField(
        required=False,
        choices=_choices(
            list({**dict(IntakeChannel.choices), **dict(DeliveryChannel.choices)}.items())
        ),
        error_messages=CHOICE_ERRORS,
    )
    op = forms.DateField(required=False, error_messages=DATE_ERRORS)
    status = forms.ChoiceField(
        required=False, choices=_choices(AppointmentStatus.choices), error_messages=CHOICE_ERRORS
    )
    wijze = forms.ChoiceField(
        required=False, choices=_choices(Mode.choices), error_messages=CHOICE_ERRORS
    )
    medewerker = forms.IntegerField(
        required=False, min_value=1, error_messages={"invalid": "Deze medewerker bestaat niet."}
    )
    volgorde = forms.ChoiceField(
        required=False, choices=[("", "nieuwste eerst"), ("duur", "langste doorlooptijd eerst")]
    )
    na = forms.CharField(required=False, max_length=40)
