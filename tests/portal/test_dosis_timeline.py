"""DOSIS refusals and resends appear on the dossier's timeline (issue 16): staff see on
the dossier itself, in order, why Mijn Burgerprofiel does not show a status and when it
was sent again (automatically after a transient refusal, or by a person after a fix)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from midoffice.dossiers import services as dossier_services
from midoffice.dossiers.models import Event, EventKind
from midoffice.integrations.dosis.fake_server import Refusal
from midoffice.publication import services
from midoffice.publication.models import DosisRegistration
from tests.factories import UserFactory, open_dossier
from tests.portal.test_dosis_results import _make_polls_due, _send

pytestmark = pytest.mark.django_db


def _dosis_events(dossier) -> list[tuple[str, str, str]]:
    return [
        (e.kind, e.actor_label, e.summary)
        for e in Event.objects.filter(
            dossier=dossier, kind__in=[EventKind.DOSIS_REFUSED, EventKind.DOSIS_RESENT]
        ).order_by("id")
    ]


def test_a_transient_refusal_and_its_automatic_resend_are_on_the_timeline(
    fake_dosis, emma, dossier_type
):
    fake_dosis.state.pending_polls = 0
    fake_dosis.state.refusals.append(
        Refusal(code="30010", text="INSZ nog niet gekend bij DOSIS.", times=1)
    )
    dossier = open_dossier(dossier_type=dossier_type, requester=emma)
    _send()
    _make_polls_due()
    services.dosis_poll()
    assert _dosis_events(dossier) == [
        (
            EventKind.DOSIS_RESENT,
            "Midoffice",
            (
                "Status ONTVANGEN opnieuw naar DOSIS (poging 2): DOSIS weigerde tijdelijk "
                "(30010: INSZ nog niet gekend bij DOSIS.)"
            ),
        )
    ]


def test_a_refusal_and_the_retry_after_the_fix_are_on_the_timeline_in_order(
    fake_dosis, emma, dossier_type, handler, client
):
    fake_dosis.state.pending_polls = 0
    dossier = open_dossier(dossier_type=dossier_type, requester=emma)
    fake_dosis.state.refusals.append(
        Refusal(
            code="30020",
            text="Onbekende status.",
            reference=dossier.reference,
            status_code="IN-BEHANDELING",
            times=1,
        )
    )
    dossier_services.dossier_change_status(
        actor=None, dossier=dossier, status_code="in-behandeling"
    )
    _send()
    _make_polls_due()
    services.dosis_poll()
    refused = DosisRegistration.objects.get(state=DosisRegistration.State.REFUSED)
    admin = UserFactory(username="beheer", first_name="Bea", role="administrator")
    assert services.dosis_retry(registration_ids=[refused.pk], actor=admin) == (1, 0)
    assert _dosis_events(dossier) == [
        (
            EventKind.DOSIS_REFUSED,
            "DOSIS",
            "Status IN-BEHANDELING niet in Mijn Burgerprofiel: 30020: Onbekende status.",
        ),
        (
            EventKind.DOSIS_RESENT,
            admin.get_full_name(),
            "Status IN-BEHANDELING opnieuw naar DOSIS (poging 2): opnieuw verstuurd na herstel",
        ),
    ]
    # A second retry sends nothing and writes nothing.
    services.dosis_retry(registration_ids=[refused.pk], actor=admin)
    assert len(_dosis_events(dossier)) == 2

    client.force_login(handler)
    page = client.get(reverse("web:dossier", args=[dossier.reference])).content.decode()
    assert "niet in Mijn Burgerprofiel: 30020: Onbekende status." in page
    assert "opnieuw verstuurd na herstel" in page
