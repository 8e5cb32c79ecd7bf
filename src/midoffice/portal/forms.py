"""Forms of the portal (Dutch labels; validation rules live in the services)."""

from __future__ import annotations

from django import forms

from midoffice.parties.models import Channel


class EmailSignInForm(forms.Form):
    email = forms.EmailField(
        label="Je e-mailadres",
        max_length=320,
        help_text="Het adres waarmee je ons contacteerde.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class QuestionForm(forms.Form):
    ABOUT_CHOICES = [
        ("dossier", "Over dit dossier"),
        ("property", "Een nieuwe vraag over hetzelfde adres of perceel"),
    ]
    text = forms.CharField(
        label="Je vraag",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    about = forms.ChoiceField(
        label="Waarover gaat je vraag?",
        choices=ABOUT_CHOICES,
        initial="dossier",
        widget=forms.RadioSelect,
        required=False,
    )
    # Issue 15: asked when the dossier has no address yet; the register's combobox
    # (``portal/_address_field.html``), a plain text field without JavaScript.
    address = forms.CharField(
        label="Over welk adres gaat je vraag? (niet verplicht)",
        max_length=300,
        required=False,
    )
    attachment = forms.FileField(
        label="Bijlage (niet verplicht)",
        required=False,
        help_text="PDF, JPG, PNG, DOCX, ODT of TXT.",
    )


class PreferencesForm(forms.Form):
    preferred_channel = forms.ChoiceField(
        label="Hoe wil je dat we contact met je opnemen?",
        choices=Channel.choices,
        widget=forms.RadioSelect,
    )
    email_consent = forms.BooleanField(
        label="Ik ga akkoord dat de gemeente mij over mijn dossiers e-mailt.", required=False
    )
    ebox_consent = forms.BooleanField(
        label="Ik ga akkoord dat de gemeente mij brieven in mijn eBox stuurt.", required=False
    )
