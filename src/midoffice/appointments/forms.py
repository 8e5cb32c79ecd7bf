"""Forms of the appointment pages (citizen and staff): they check the shape of the input
in Dutch, next to each field; the booking services check the rules (free slot, role)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms

from midoffice.appointments.models import BookingQuestion, Mode
from midoffice.core import clock
from midoffice.core.errors import UserError
from midoffice.parties.identifiers import normalise_insz, normalise_phone

MAX_GUESTS = 6

# How each mode is explained to a citizen, in plain Dutch (the choice page and the summary).
MODE_HELP: dict[str, str] = {
    Mode.PHYSICAL: "Je komt naar het gemeentehuis. We houden een zaal voor jullie vrij.",
    Mode.DIGITAL: (
        "Je praat met ons via video, op je computer, tablet of smartphone. "
        "Je krijgt de link in je e-mail."
    ),
    Mode.HYBRID: (
        "Je komt naar het gemeentehuis, in een zaal met een scherm en een camera. "
        "Wie er niet bij kan zijn (je architect bijvoorbeeld), doet mee via een videolink."
    ),
}


def _required(message: str) -> dict[str, str]:
    return {"required": message}


class AnswerForm(forms.Form):
    """One question of the tree, its answers as radio buttons."""

    answer = forms.ChoiceField(
        widget=forms.RadioSelect, error_messages=_required("Kies een antwoord.")
    )

    def __init__(self, *args: Any, question: BookingQuestion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["answer"]
        field.label = question.text
        field.help_text = question.help_text
        field.choices = [(a.code, a.text) for a in question.answers.all()]  # type: ignore[attr-defined]
        field.error_messages["invalid_choice"] = "Kies een van de antwoorden."


class ModeForm(forms.Form):
    mode = forms.ChoiceField(
        label="Hoe wil je afspreken?",
        widget=forms.RadioSelect,
        error_messages=_required("Kies hoe je wil afspreken."),
    )

    def __init__(self, *args: Any, modes: Sequence[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["mode"]
        field.choices = [(m, Mode(m).label) for m in modes]  # type: ignore[attr-defined]
        field.error_messages["invalid_choice"] = "Kies een van de mogelijkheden."


@dataclass(frozen=True)
class ChosenSlot:
    """A start time as a form posts it, with the location when the service has several."""

    start: dt.datetime
    location_code: str = ""


def slot_value(start: dt.datetime, location_code: str = "") -> str:
    """How a free time travels in a form: ISO 8601 with its offset, then ``@location``."""
    value = start.isoformat(timespec="minutes")
    return f"{value}@{location_code}" if location_code else value


def slot_parse(value: str) -> ChosenSlot | None:
    """The posted time, or None for anything that is not an aware ISO time."""
    moment_text, _, code = str(value).partition("@")
    try:
        moment = dt.datetime.fromisoformat(moment_text)
    except ValueError:
        return None
    if moment.tzinfo is None or len(code) > 40:
        return None
    return ChosenSlot(start=moment, location_code=code)


class SlotForm(forms.Form):
    """The chosen start time; only one of the offered (free) times is valid."""

    start = forms.ChoiceField(
        label="Kies een tijdstip",
        widget=forms.RadioSelect,
        error_messages=_required("Kies een dag en een uur."),
    )

    def __init__(self, *args: Any, values: Iterable[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["start"]
        field.choices = [(v, v) for v in values]  # type: ignore[attr-defined]
        field.error_messages["invalid_choice"] = (
            "Dit tijdstip is niet (meer) vrij. Kies een ander tijdstip."
        )

    def chosen(self) -> ChosenSlot:
        found = slot_parse(self.cleaned_data["start"])
        assert found is not None  # only offered values pass validation
        return found


def _text_field(label: str, message: str, *, autocomplete: str, max_length: int = 200) -> Any:
    return lambda: forms.CharField(
        label=label,
        max_length=max_length,
        error_messages=_required(message),
        widget=forms.TextInput(attrs={"autocomplete": autocomplete}),
    )


#: The client fields an external agenda may require besides name, e-mail and phone
#: (JCC's ``GetRequiredClientFields``; keys as in ``Client.extra``), asked only then.
EXTRA_CLIENT_FIELDS: Mapping[str, Any] = {
    "initials": _text_field(
        "Je voornaam", "Vul je voornaam in.", autocomplete="given-name", max_length=100
    ),
    "birth_date": lambda: forms.DateField(
        label="Je geboortedatum",
        help_text="Bijvoorbeeld 1985-03-21.",
        error_messages={
            "required": "Vul je geboortedatum in.",
            "invalid": "Geef je geboortedatum als JJJJ-MM-DD (bijvoorbeeld 1985-03-21).",
        },
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
    ),
    "national_number": lambda: forms.CharField(
        label="Je rijksregisternummer",
        max_length=20,
        help_text="Op de achterkant van je identiteitskaart (11 cijfers).",
        error_messages=_required("Vul je rijksregisternummer in."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    ),
    "address": _text_field(
        "Je straat en huisnummer",
        "Vul je straat en huisnummer in.",
        autocomplete="street-address",
    ),
    "postcode": lambda: forms.RegexField(
        label="Je postcode",
        regex=r"^\s*\d{4}\s*$",
        max_length=10,
        error_messages={
            "required": "Vul je postcode in.",
            "invalid": "Een postcode heeft vier cijfers (bijvoorbeeld 9999).",
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    ),
    "city": _text_field("Je gemeente", "Vul je gemeente in.", autocomplete="address-level2"),
    "sex": lambda: forms.ChoiceField(
        label="Je geslacht",
        choices=[("", "Kies…"), ("M", "Man"), ("V", "Vrouw")],
        error_messages={
            "required": "Kies je geslacht: de afsprakenagenda van de gemeente vraagt het.",
            "invalid_choice": "Kies man of vrouw.",
        },
    ),
}


class ClientFieldsMixin:
    """The agenda's own client fields (``EXTRA_CLIENT_FIELDS``) on a form, checked."""

    cleaned_data: dict[str, Any]
    fields: dict[str, forms.Field]

    def client_extra(self) -> dict[str, str]:
        """The agenda's own client fields, as text (a date as YYYY-MM-DD)."""
        return {
            key: str(self.cleaned_data[key])
            for key in EXTRA_CLIENT_FIELDS
            if key in self.fields and self.cleaned_data.get(key)
        }

    def clean_national_number(self) -> str:
        value = str(self.cleaned_data.get("national_number") or "").strip()
        try:
            return normalise_insz(value)
        except UserError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_birth_date(self) -> dt.date:
        value: dt.date = self.cleaned_data["birth_date"]
        if not dt.date(1900, 1, 1) <= value <= clock.today():
            raise forms.ValidationError("Dit is geen geldige geboortedatum.")
        return value


def _add_client_fields(form: forms.Form, required: Sequence[str], *, staff: bool = False) -> None:
    """Add the fields of ``required`` that are not on the form yet, right after name,
    e-mail and phone. For staff, who fill them in for the citizen, the labels and
    messages speak of "de burger" instead of "je"."""
    extra = [key for key in EXTRA_CLIENT_FIELDS if key in required]
    for key in extra:
        field = EXTRA_CLIENT_FIELDS[key]()
        if staff:
            field.label = str(field.label).removeprefix("Je ").capitalize() + " van de burger"
            messages = field.error_messages.items()
            field.error_messages = {k: str(t).replace(" je ", " de ") for k, t in messages}
        form.fields[key] = field
    if extra:
        order = ["name", "email", "phone", *extra]
        form.order_fields(order + [k for k in form.fields if k not in order])


class ClientFieldsForm(ClientFieldsMixin, forms.Form):
    """Only the agenda's own client fields, each one given required (the REST API)."""

    def __init__(self, *args: Any, required: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _add_client_fields(self, required, staff=True)


class DetailsForm(ClientFieldsMixin, forms.Form):
    name = forms.CharField(
        label="Je naam",
        max_length=200,
        error_messages=_required("Vul je naam in."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label="Je e-mailadres",
        max_length=254,
        help_text="Hierop krijg je de bevestiging en de uitnodiging.",
        error_messages={
            "required": "Vul je e-mailadres in.",
            "invalid": "Dit is geen geldig e-mailadres (bijvoorbeeld naam@voorbeeld.be).",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label="Je telefoonnummer (niet verplicht)",
        max_length=40,
        required=False,
        help_text="Zo kunnen we je bellen als er iets verandert.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    remark = forms.CharField(
        label="Waarover wil je het hebben? (niet verplicht)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Houd het kort: hoogstens 2000 tekens."},
    )

    def __init__(self, *args: Any, required: Sequence[str] = (), **kwargs: Any) -> None:
        """``required``: the client fields the town's external agenda (JCC) asks for this
        service (``pages.client_fields_required``); the phone becomes required, and each
        other one is asked in a field of its own."""
        super().__init__(*args, **kwargs)
        if "phone" in required:
            phone = self.fields["phone"]
            phone.required = True
            phone.label = "Je telefoonnummer"
            phone.error_messages["required"] = "Vul je telefoonnummer in."
        _add_client_fields(self, required)

    def clean_name(self) -> str:
        name = " ".join(str(self.cleaned_data["name"]).split())
        if not name:
            raise forms.ValidationError("Vul je naam in.")
        return name

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()

    def clean_phone(self) -> str:
        value = str(self.cleaned_data.get("phone") or "").strip()
        if not value:
            return ""
        try:
            return normalise_phone(value)
        except UserError:
            raise forms.ValidationError(
                "Dit is geen geldig telefoonnummer (bijvoorbeeld 0470 12 34 56)."
            ) from None


class GuestForm(forms.Form):
    """One external guest (the architect): name and e-mail, both or neither."""

    name = forms.CharField(label="Naam", max_length=200, required=False)
    email = forms.EmailField(
        label="E-mailadres",
        max_length=254,
        required=False,
        error_messages={"invalid": "Dit is geen geldig e-mailadres."},
    )
    remote = forms.BooleanField(label="Doet mee via video", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        name = " ".join(str(data.get("name") or "").split())
        email = str(data.get("email") or "").strip().lower()
        data["name"], data["email"] = name, email
        if email and not name and "email" not in self.errors:
            self.add_error("name", "Vul de naam van je gast in.")
        if name and not email and "email" not in self.errors:
            self.add_error(
                "email", "Vul het e-mailadres van je gast in: zo krijgt die een uitnodiging."
            )
        return data

    @property
    def is_blank(self) -> bool:
        data = self.data
        return not any(str(data.get(self.add_prefix(f), "")).strip() for f in ("name", "email"))


def guest_forms(
    data: Mapping[str, Any] | None, *, count: int, initial: Sequence[Mapping[str, Any]] = ()
) -> list[GuestForm]:
    """``count`` guest rows (prefix ``guest-N``), bound to ``data`` or filled from
    ``initial``. No JavaScript: the page adds or removes a row by posting the count."""
    count = max(0, min(count, MAX_GUESTS))
    forms_: list[GuestForm] = []
    for i in range(count):
        prefix = f"guest-{i}"
        if data is not None:
            form = GuestForm(data, prefix=prefix)
        else:
            form = GuestForm(prefix=prefix, initial=dict(initial[i]) if i < len(initial) else None)
        # Each row's fields say whose they are ("Naam van gast 2"), also to a screen reader.
        form.fields["name"].label = f"Naam van gast {i + 1}"
        form.fields["email"].label = f"E-mailadres van gast {i + 1}"
        form.fields["remote"].label = f"Gast {i + 1} doet mee via video"
        forms_.append(form)
    return forms_


def guest_count(data: Mapping[str, Any], default: int = 0) -> int:
    try:
        return max(0, min(int(str(data.get("guest_count", default))), MAX_GUESTS))
    except ValueError:
        return default


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Waarom annuleer je? (niet verplicht)",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": "Houd het kort: hoogstens 300 tekens."},
    )


# --- staff ---------------------------------------------------------------------------------


class AgendaPickForm(forms.Form):
    """The agenda's plain date picker: whose agenda, which day, day or week."""

    agenda = forms.ChoiceField(label="Agenda van", required=False)
    datum = forms.DateField(
        label="Datum",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"],
        error_messages={"invalid": "Geef een geldige datum (dd-mm-jjjj)."},
    )
    weergave = forms.ChoiceField(
        label="Weergave",
        choices=[("dag", "Dag"), ("week", "Week")],
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, agenda_choices: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["agenda"]
        field.choices = agenda_choices  # type: ignore[attr-defined]
        field.error_messages["invalid_choice"] = "Kies een agenda uit de lijst."
        self.fields["weergave"].error_messages["invalid_choice"] = "Kies dag of week."


class StaffServiceForm(forms.Form):
    """The first step of booking for a dossier (a GET form): which service, which mode."""

    dienst = forms.ChoiceField(label="Dienst", error_messages=_required("Kies een dienst."))
    wijze = forms.ChoiceField(
        label="Wijze",
        choices=Mode.choices,
        widget=forms.RadioSelect,
        error_messages=_required("Kies op het gemeentehuis, via video of hybride."),
    )

    def __init__(self, *args: Any, service_choices: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dienst"].choices = service_choices  # type: ignore[attr-defined]
        self.fields["dienst"].error_messages["invalid_choice"] = "Kies een dienst uit de lijst."
        self.fields["wijze"].error_messages["invalid_choice"] = (
            "Kies op het gemeentehuis, via video of hybride."
        )


class StaffCitizenForm(ClientFieldsMixin, forms.Form):
    """Who the appointment is with, filled in from the dossier's requester."""

    name = forms.CharField(
        label="Naam van de burger", max_length=200, error_messages=_required("Vul de naam in.")
    )
    email = forms.EmailField(
        label="E-mailadres van de burger",
        max_length=254,
        required=False,
        help_text="Leeg: de burger krijgt geen uitnodiging per e-mail.",
        error_messages={"invalid": "Dit is geen geldig e-mailadres."},
    )
    remark = forms.CharField(
        label="Opmerking (niet verplicht)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, required: Sequence[str] = (), **kwargs: Any) -> None:
        """``required``: what the town's external agenda asks (``DetailsForm``)."""
        super().__init__(*args, **kwargs)
        if "phone" in required:
            self.fields["phone"] = forms.CharField(
                label="Telefoonnummer van de burger",
                max_length=40,
                error_messages=_required("Vul het telefoonnummer in."),
                widget=forms.TextInput(attrs={"type": "tel"}),
            )
        _add_client_fields(self, required, staff=True)

    def clean_phone(self) -> str:
        try:
            return normalise_phone(str(self.cleaned_data.get("phone") or "").strip())
        except UserError:
            raise forms.ValidationError(
                "Dit is geen geldig telefoonnummer (bijvoorbeeld 0470 12 34 56)."
            ) from None


class RescheduleReasonForm(forms.Form):
    reason = forms.CharField(label="Reden", max_length=300, required=False)
