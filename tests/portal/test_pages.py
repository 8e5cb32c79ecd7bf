"""My dossiers, a dossier page, follow-up questions, preferences, and isolation."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, reverse

from midoffice.catalog.models import DossierType, StatusType
from midoffice.core.memo import memo_clear_all
from midoffice.correspondence.models import Letter
from midoffice.dossiers import services as dossier_services
from midoffice.dossiers.models import Dossier, DossierParty, Event, EventKind, Interaction
from midoffice.intake.models import Attachment, InboundMessage
from midoffice.intake.services import mail_source_for
from midoffice.portal import urls as portal_urls
from midoffice.portal.models import CitizenDocument, FollowUpQuestion
from tests.factories import UserFactory
from tests.portal.conftest import sign_in

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_my_dossiers_shows_own_dossiers_with_citizen_status_and_expected_date(
    client, emma, emma_dossier, lucas_dossier, django_assert_max_num_queries
):
    StatusType.objects.filter(code="ontvangen").update(citizen_text="We hebben je vraag ontvangen.")
    sign_in(client, emma)
    with django_assert_max_num_queries(8):
        page = client.get("/mijn/").content.decode()
    assert emma_dossier.reference in page
    assert "We hebben je vraag ontvangen." in page
    assert f"uiterlijk {emma_dossier.deadline.day} " in page
    assert lucas_dossier.reference not in page


def test_a_role_the_type_opens_to_the_portal_sees_the_dossier(client, lucas, emma_dossier):
    DossierParty.objects.create(dossier=emma_dossier, party=lucas, role=DossierParty.Role.ARCHITECT)
    sign_in(client, lucas)
    url = f"/mijn/dossiers/{emma_dossier.reference}"
    assert client.get(url).status_code == 404  # architects do not see it by default
    DossierType.objects.filter(pk=emma_dossier.dossier_type_id).update(
        portal_roles=["architect", "representative"]
    )
    memo_clear_all()  # (a change through the ORM's save clears it by itself)
    assert client.get(url).status_code == 200
    assert emma_dossier.reference in client.get("/mijn/").content.decode()


def test_a_replaced_requester_no_longer_sees_the_dossier(client, emma, lucas, emma_dossier):
    """Issue 19 #4: staff make another contact the requester; the old one stays on the
    dossier as "other" (for the record) but loses portal access, also to new documents."""
    sign_in(client, emma)
    url = f"/mijn/dossiers/{emma_dossier.reference}"
    assert client.get(url).status_code == 200
    lead = UserFactory(teams=[emma_dossier.team])
    dossier_services.dossier_requester_set(actor=lead, dossier=emma_dossier, party=lucas)
    assert DossierParty.objects.filter(dossier=emma_dossier, party=emma, role="other").exists()
    assert client.get(url).status_code == 404
    assert emma_dossier.reference not in client.get("/mijn/").content.decode()
    sign_in(client, lucas)
    assert client.get(url).status_code == 200


def test_a_mandated_representative_sees_it_where_the_type_allows(client, lucas, emma_dossier):
    DossierParty.objects.create(
        dossier=emma_dossier, party=lucas, role=DossierParty.Role.REPRESENTATIVE
    )
    sign_in(client, lucas)
    url = f"/mijn/dossiers/{emma_dossier.reference}"
    assert client.get(url).status_code == 200  # the default: representatives see it
    emma_dossier.dossier_type.portal_roles = []
    emma_dossier.dossier_type.save()
    assert client.get(url).status_code == 404


def test_dossier_page_shows_public_timeline_and_action_needed(client, emma, emma_dossier):
    StatusType.objects.filter(code="wacht-op-burger").update(
        action_needed=True, citizen_text="Bezorg ons de plannen van de verbouwing."
    )
    handler = UserFactory(teams=[emma_dossier.team])
    dossier_services.dossier_change_status(
        actor=handler, dossier=emma_dossier, status_code="in-behandeling"
    )
    dossier_services.dossier_change_status(
        actor=handler, dossier=emma_dossier, status_code="wacht-op-burger"
    )
    dossier_services.dossier_add_note(
        actor=handler, dossier=emma_dossier, text="Intern: lastige buur"
    )
    sign_in(client, emma)
    page = client.get(f"/mijn/dossiers/{emma_dossier.reference}").content.decode()
    assert "Actie nodig: wat verwachten we van jou?" in page
    assert page.count("Bezorg ons de plannen van de verbouwing.") >= 2
    assert "Vraag ontvangen: Renovatie van ons huis" in page
    assert "In behandeling" in page
    assert "De termijn staat stil" in page
    assert "lastige buur" not in page  # internal notes are never shown


def test_follow_up_question_with_attachment_lands_on_timeline_and_tells_the_handler(
    client, emma, emma_dossier, django_capture_on_commit_callbacks
):
    handler = UserFactory(teams=[emma_dossier.team], email="sofie@leemdonk.example")
    dossier_services.dossier_assign(actor=handler, dossier=emma_dossier, assignee=handler)
    sign_in(client, emma)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            f"/mijn/dossiers/{emma_dossier.reference}/vraag",
            {
                "text": "Mag de carport ook 4 meter breed zijn?",
                "about": "dossier",
                "attachment": SimpleUploadedFile("plan ../carport.pdf", PDF, "application/pdf"),
            },
        )
    assert answer.status_code == 302
    question = FollowUpQuestion.objects.get()
    interaction = Interaction.objects.get(dossier=emma_dossier)
    assert interaction.channel == Interaction.Channel.PORTAL
    assert interaction.direction == Interaction.Direction.INBOUND
    assert question.interaction == interaction
    assert Event.objects.filter(dossier=emma_dossier, kind=EventKind.INTERACTION).exists()
    assert mail.outbox[-1].to == ["sofie@leemdonk.example"]
    assert emma_dossier.reference in mail.outbox[-1].subject
    document = CitizenDocument.objects.get()
    assert document.name == "plan .._carport.pdf" or "/" not in document.name
    page = client.get(f"/mijn/dossiers/{emma_dossier.reference}").content.decode()
    assert "Mag de carport ook 4 meter breed zijn?" in page
    download = client.get(f"/mijn/dossiers/{emma_dossier.reference}/documenten/{document.pk}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert "attachment" in download["Content-Disposition"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("virus.exe", b"MZ....", "Dit soort bestand"),
        ("fake.pdf", b"<html>not a pdf</html>", "niet wat de naam belooft"),
        ("groot.pdf", b"%PDF-" + b"0" * (1024 * 1024), "te groot"),
    ],
)
def test_attachments_outside_the_limits_are_refused_clearly(
    client, emma, emma_dossier, settings, name, content, message
):
    settings.PORTAL_UPLOAD_MAX_MB = 1
    sign_in(client, emma)
    answer = client.post(
        f"/mijn/dossiers/{emma_dossier.reference}/vraag",
        {"text": "Zie bijlage", "attachment": SimpleUploadedFile(name, content)},
    )
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert not FollowUpQuestion.objects.exists()


def test_question_about_the_same_property_opens_a_linked_dossier(client, emma, dossier_type):
    from midoffice.dossiers.services import Location
    from tests.factories import open_dossier

    dossier = open_dossier(
        dossier_type=dossier_type,
        requester=emma,
        location=Location(street="Kastanjedreef", number="14", postcode="2640"),
    )
    sign_in(client, emma)
    answer = client.post(
        f"/mijn/dossiers/{dossier.reference}/vraag",
        {"text": "En mag ik ook een tuinhuis zetten?", "about": "property"},
    )
    new = Dossier.objects.exclude(pk=dossier.pk).get()
    assert answer["Location"] == f"/mijn/dossiers/{new.reference}"
    assert new.requester == emma
    assert new.channel == "portal"
    assert new.location_street == "Kastanjedreef"
    assert Event.objects.filter(dossier=dossier, kind=EventKind.LINK_ADDED, public=True).exists()
    assert Interaction.objects.get().dossier == new


def test_empty_question_is_a_clear_error(client, emma, emma_dossier):
    sign_in(client, emma)
    answer = client.post(f"/mijn/dossiers/{emma_dossier.reference}/vraag", {"text": "  "})
    assert answer.status_code == 400


def test_contact_preferences_are_stored_on_the_contact(client, emma):
    sign_in(client, emma)
    assert client.get("/mijn/voorkeuren/").status_code == 200
    answer = client.post(
        "/mijn/voorkeuren/",
        {"preferred_channel": "letter", "email_consent": "on"},
    )
    assert answer.status_code == 302
    emma.refresh_from_db()
    assert emma.preferred_channel == "letter"
    assert emma.email_consent is True
    assert emma.ebox_consent is False
    assert client.post("/mijn/voorkeuren/", {"preferred_channel": "duif"}).status_code == 400


# --- isolation ----------------------------------------------------------------------------


def _patterns(resolver, prefix=""):
    for entry in resolver:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def test_isolation_walk_every_portal_url_with_another_citizens_ids_is_not_found(
    client, emma, lucas, emma_dossier, lucas_dossier
):
    """Lucas tries every portal URL that takes an id with Emma's ids: 404 everywhere."""
    sign_in(client, emma)
    client.post(
        f"/mijn/dossiers/{emma_dossier.reference}/vraag",
        {"text": "Vraag met bijlage", "attachment": SimpleUploadedFile("a.pdf", PDF)},
    )
    emma_document = CitizenDocument.objects.get()
    emma_mail = InboundMessage.objects.create(
        source=mail_source_for(kind="import"),
        raw_name="x",
        sha256="0" * 64,
        size=1,
        from_address=emma.contact_points.get().value,
        dossier=emma_dossier,
    )
    emma_attachment = Attachment.objects.create(
        message=emma_mail, content_type="application/pdf", size=1, sha256="0" * 64
    )
    emma_letter = Letter.objects.create(
        dossier=emma_dossier, recipient=emma, subject="Antwoord", body="…", state="sent"
    )
    sign_in(client, lucas)
    values = {
        "reference": emma_dossier.reference,
        "document_id": emma_document.pk,
        "attachment_id": emma_attachment.pk,
        "letter_id": emma_letter.pk,
    }
    walked = 0
    for route, pattern in _patterns(portal_urls.urlpatterns):
        params = set(re.findall(r"<(?:\w+:)?(\w+)>", route))
        if not params or params == {"token"}:
            continue  # no citizen ids in the URL (the link token is tested by itself)
        assert params <= values.keys(), f"teach the isolation walk about {route}"
        url = reverse(f"portal:{pattern.name}", kwargs={p: values[p] for p in params})
        for method in (client.get, client.post):
            answer = method(url)
            assert answer.status_code == 404, f"{method.__name__} {url}"
        walked += 1
    assert walked >= 5
    # Lucas's own lists never mention Emma's dossier either.
    for page in ("/mijn/", "/mijn/voorkeuren/"):
        assert emma_dossier.reference not in client.get(page).content.decode()
    # And a reference that does not exist answers the same.
    assert client.get("/mijn/dossiers/2099-999999").status_code == 404
