"""Forms of the staff workbench: they check the shape of input; services check the rules."""

from __future__ import annotations

import html

from django import forms
from django.utils.safestring import SafeString, mark_safe

from midoffice.catalog.models import Phase
from midoffice.dossiers.models import Interaction
from midoffice.parties.models import Channel, Consent, ConsentChannel

REQUIRED = {"required": "Dit veld is verplicht."}


def _attrs(attrs: dict[str, object]) -> str:
    """As ``django/forms/widgets/attrs.html`` writes them: False left out, True bare."""
    return "".join(
        f" {html.escape(name)}"
        if value is True
        else f' {html.escape(name)}="{html.escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class ListSelect(forms.Select):
    """A ``<select>`` written in Python from the context Django's ``Select`` makes - the
    same choices, selection and attributes as its templates write them. The queue pages
    and the home page show three of these filters on every view; the template engine
    spent 0.7-0.9 ms on their some twenty options and attribute includes (ADR 32)."""

    def render(
        self,
        name: str,
        value: object,
        attrs: dict[str, object] | None = None,
        renderer: object = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{html.escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, options, _ in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{html.escape(str(group_name))}">')
            for option in options:
                parts.append(
                    f'\n  <option value="{html.escape(str(option["value"]))}"'
                    f"{_attrs(option['attrs'])}>{html.escape(str(option['label']))}</option>"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        required=False,
        widget=ListSelect,
        choices=[("", "Alle statussen")] + [(p.value, p.label) for p in Phase if p != Phase.CLOSED],
    )
    type = forms.TypedChoiceField(
        label="Type", required=False, coerce=int, empty_value=None, widget=ListSelect
    )
    assignee = forms.TypedChoiceField(
        label="Behandelaar", required=False, coerce=int, empty_value=None, widget=ListSelect
    )
    overdue = forms.BooleanField(label="Alleen over tijd", required=False)
    at_risk = forms.BooleanField(label="Alleen in gevaar", required=False)
    after = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: object,
        type_choices: list[tuple[str, str]],
        assignee_choices: list[tuple[str, str]],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's loose signature
        self.fields["type"].choices = [("", "Alle types"), *type_choices]  # type: ignore[attr-defined]
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", "Iedereen"),
            ("0", "Niet toegewezen"),
            *assignee_choices,
        ]
        for name in ("type", "assignee", "status"):
            self.fields[name].error_messages["invalid_choice"] = "Kies een waarde uit de lijst."


class StatusForm(forms.Form):
    status = forms.CharField(max_length=40, error_messages=REQUIRED)
    result = forms.CharField(max_length=40, required=False)
    reason = forms.CharField(
        max_length=2000,
        error_messages={"required": "Geef een reden voor de statuswijziging."},
    )


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)

    def __init__(self, *args: object, member_ids: list[int], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["assignee"]
        field.choices = [("", "Niemand"), *[(str(i), str(i)) for i in member_ids]]  # type: ignore[attr-defined]
        field.error_messages["invalid_choice"] = "Kies een medewerker van het team."


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=300, error_messages={"required": "Geef een reden voor de verlenging."}
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        max_length=5000, error_messages={"required": "Een notitie mag niet leeg zijn."}
    )


class InteractionForm(forms.Form):
    channel = forms.ChoiceField(
        choices=[
            (Interaction.Channel.PHONE, "Telefoon"),
            (Interaction.Channel.COUNTER, "Loket"),
        ],
        error_messages={"invalid_choice": "Kies telefoon of loket.", **REQUIRED},
    )
    direction = forms.ChoiceField(
        choices=Interaction.Direction.choices,
        error_messages={"invalid_choice": "Kies inkomend of uitgaand.", **REQUIRED},
    )
    summary = forms.CharField(
        max_length=5000, error_messages={"required": "Vat het contact kort samen."}
    )


class LinkForm(forms.Form):
    system = forms.CharField(
        max_length=80, error_messages={"required": "Geef de naam van het systeem op."}
    )
    external_id = forms.CharField(
        max_length=120, error_messages={"required": "Geef het kenmerk in dat systeem op."}
    )
    url = forms.URLField(
        required=False,
        assume_scheme="https",
        max_length=200,
        error_messages={"invalid": "Dit is geen geldig webadres (http of https)."},
    )


class RerouteForm(forms.Form):
    dossier_type = forms.IntegerField(
        error_messages={"required": "Kies een dossiertype.", "invalid": "Kies een dossiertype."}
    )


class FrontDeskForm(forms.Form):
    channel = forms.ChoiceField(
        choices=[(Interaction.Channel.PHONE, "Telefoon"), (Interaction.Channel.COUNTER, "Loket")],
        error_messages={"invalid_choice": "Kies telefoon of loket.", **REQUIRED},
    )
    dossier_type = forms.IntegerField(
        error_messages={"required": "Kies een dossiertype.", "invalid": "Kies een dossiertype."}
    )
    subject = forms.CharField(max_length=300, error_messages={"required": "Geef een onderwerp op."})
    summary = forms.CharField(
        max_length=5000, error_messages={"required": "Vat het gesprek kort samen."}
    )
    party = forms.IntegerField(required=False)
    given_name = forms.CharField(max_length=120, required=False)
    family_name = forms.CharField(max_length=120, required=False)
    email = forms.CharField(max_length=320, required=False)
    phone = forms.CharField(max_length=40, required=False)
    # Issue 15: where the question is about, picked from the Adressenregister (optional).
    address = forms.CharField(
        max_length=200, required=False, error_messages={"max_length": "Dit adres is te lang."}
    )
    address_id = forms.RegexField(
        regex=r"^\d{1,20}$",
        required=False,
        error_messages={"invalid": "Kies het adres opnieuw uit de lijst."},
    )


def first_error(form: forms.Form) -> str:
    """The first error of a form as one Dutch sentence."""
    for errors in form.errors.values():
        for error in errors:
            return str(error)
    return "De invoer is niet geldig."


# --- issue 20 #2: the contact edit and what the mail names ----------------------------------


class FoundInMailForm(forms.Form):
    key = forms.CharField(max_length=600, error_messages=REQUIRED)
    target = forms.ChoiceField(
        choices=[("contact", "contact"), ("location", "locatie")],
        error_messages={"invalid_choice": "Kies het contact of de locatie.", **REQUIRED},
    )


class ContactDetailsForm(forms.Form):
    given_name = forms.CharField(max_length=120, required=False)
    family_name = forms.CharField(max_length=120, required=False)
    organisation_name = forms.CharField(max_length=200, required=False)
    preferred_channel = forms.ChoiceField(
        choices=[("", "Geen voorkeur"), *Channel.choices],
        required=False,
        error_messages={"invalid_choice": "Kies een kanaal uit de lijst."},
    )


class AddressForm(forms.Form):
    street = forms.CharField(max_length=200, error_messages={"required": "Geef de straat op."})
    house_number = forms.CharField(
        max_length=20, error_messages={"required": "Geef het huisnummer op."}
    )
    box = forms.CharField(max_length=20, required=False)
    postcode = forms.CharField(max_length=10, error_messages={"required": "Geef de postcode op."})
    municipality = forms.CharField(
        max_length=120, error_messages={"required": "Geef de gemeente op."}
    )
    primary = forms.BooleanField(required=False)


class PhoneForm(forms.Form):
    phone = forms.CharField(
        max_length=40, error_messages={"required": "Geef een telefoonnummer op."}
    )
    primary = forms.BooleanField(required=False)


class EmailForm(forms.Form):
    # The service checks and normalises the address (one rule for every door).
    email = forms.CharField(max_length=320, error_messages={"required": "Geef een e-mailadres op."})
    primary = forms.BooleanField(required=False)


# Staff record what the citizen told them; the portal and the link record themselves.
STAFF_CONSENT_SOURCES = [
    (source.value, source.label)
    for source in Consent.Source
    if source not in (Consent.Source.PORTAL, Consent.Source.LINK)
]


class ConsentForm(forms.Form):
    channel = forms.ChoiceField(
        choices=ConsentChannel.choices,
        error_messages={"invalid_choice": "Kies e-mail of eBox.", **REQUIRED},
    )
    granted = forms.ChoiceField(
        choices=[("yes", "akkoord"), ("no", "geweigerd")],
        error_messages={
            "invalid_choice": "Kies akkoord of geweigerd.",
            "required": "Kies akkoord of geweigerd.",
        },
    )
    given_on = forms.DateField(
        input_formats=["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"],
        error_messages={
            "required": "Geef de datum op waarop de burger het liet weten.",
            "invalid": "Geef een geldige datum op (dag-maand-jaar).",
        },
    )
    source = forms.ChoiceField(
        choices=STAFF_CONSENT_SOURCES,
        error_messages={
            "invalid_choice": "Kies hoe de burger het liet weten.",
            "required": "Kies hoe de burger het liet weten.",
        },
    )
    note = forms.CharField(max_length=300, required=False)


class ContactPointForm(forms.Form):
    point = forms.IntegerField(
        error_messages={
            "required": "Kies een contactgegeven.",
            "invalid": "Kies een contactgegeven.",
        }
    )
