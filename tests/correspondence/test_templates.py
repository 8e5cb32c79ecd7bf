"""Templates are checked when they are saved, never when a letter is sent."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from midoffice.correspondence.models import LetterTemplate, TemplateKind
from midoffice.correspondence.templating import template_check
from tests.factories import UserFactory


def _template(body: str, subject: str = "Dossier {{ dossier.reference }}") -> LetterTemplate:
    return LetterTemplate(name="t", kind=TemplateKind.LETTER, subject=subject, body=body)


def test_a_valid_template_passes_the_check():
    assert (
        template_check(subject="{{ dossier.reference }}", body="Beste {{ requester.name }},") == []
    )


def test_a_syntax_error_is_refused_with_its_line_and_reason():
    body = "Beste {{ requester.name }},\n\nTekst\n{% if dossier.deadline %}\nnog geen endif"
    with pytest.raises(ValidationError) as caught:
        _template(body).clean()
    messages = caught.value.message_dict["body"]
    assert len(messages) == 1
    assert messages[0].startswith("Regel 4:")
    assert "endif" in messages[0]


def test_an_unknown_tag_is_refused_with_its_line():
    problems = template_check(subject="ok", body="regel een\n{% vandaag %}\n")
    assert [(p.field, p.line) for p in problems] == [("body", 2)]
    assert "Onbekende tag" in problems[0].message


def test_an_unknown_variable_is_refused_with_its_line():
    problems = template_check(subject="ok", body="een\ntwee {{ dossier.referentie }}\n")
    assert [(p.line, "dossier.referentie" in p.message) for p in problems] == [(2, True)]


def test_tags_that_could_leak_or_load_are_refused():
    for body in ("{% debug %}", "{% load static %}", 'x\n{% include "web/base.html" %}'):
        problems = template_check(subject="ok", body=body)
        assert problems, body
        assert "niet toegestaan" in problems[0].message


def test_an_error_in_the_subject_names_the_subject_field():
    with pytest.raises(ValidationError) as caught:
        _template("ok", subject="{{ dossier.reference|bestaatniet }}").clean()
    assert "subject" in caught.value.message_dict


@pytest.mark.django_db
def test_admin_refuses_a_broken_template_and_previews_a_good_one(client):
    admin = UserFactory(admin=True)
    client.force_login(admin)
    url = "/admin/correspondence/lettertemplate/add/"
    response = client.post(
        url,
        {
            "name": "Kapot",
            "kind": "letter",
            "subject": "Onderwerp",
            "body": "Beste,\n{% for x in dossier %}\n",
            "requires_signature": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "Regel 2:" in response.content.decode()
    assert not LetterTemplate.objects.exists()

    response = client.post(
        url,
        {
            "name": "Goed",
            "kind": "letter",
            "subject": "Dossier {{ dossier.reference }}",
            "body": "Beste {{ requester.name }},\n\nTot ziens.",
            "requires_signature": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    template = LetterTemplate.objects.get(name="Goed")
    page = client.get(f"/admin/correspondence/lettertemplate/{template.pk}/change/")
    assert "Beste Emma De Smet," in page.content.decode()
    pdf = client.get(f"/admin/correspondence/lettertemplate/{template.pk}/voorbeeld.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
