"""Midoffice speaks Dutch only: a browser set to English still gets Dutch dates and messages.

The pages' text exists in Dutch alone; letting the browser's Accept-Language choose the
locale made Django render the dates and its own messages in English in the middle of a
Dutch page ("Monday 7 December" on the portal's booking confirmation).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import translation

from tests.factories import UserFactory


@pytest.mark.django_db
def test_an_english_browser_gets_dutch_dates(client, settings):
    seen: list[str] = []

    def page(request):
        from django.http import HttpResponse

        seen.append(translation.get_language())
        day = Template('{{ day|date:"l j F Y" }}').render(Context({"day": dt.date(2026, 12, 7)}))
        return HttpResponse(day)

    from django.urls import path

    settings.ROOT_URLCONF = type("urls", (), {"urlpatterns": [path("dag/", page)]})
    response = client.get("/dag/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.content.decode() == "maandag 7 december 2026"
    assert not response.headers.get("Content-Language", "nl").startswith("en")


@pytest.mark.django_db
def test_an_english_browser_gets_dutch_form_errors(client):
    UserFactory(username="sofie")
    response = client.post(
        "/aanmelden/",
        {"username": "sofie", "password": "fout"},
        HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9",
    )
    text = response.content.decode()
    assert "Please enter a correct" not in text
    assert "gebruikersnaam" in text.lower()
