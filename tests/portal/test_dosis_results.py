"""DOSIS complete: results polled, refusals retried or flagged, code lists checked, and
the publication state on the dossier page (ADR 24)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.checks import Tags, run_checks
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from midoffice.catalog.admin import StatusTypeForm
from midoffice.catalog.models import StatusType
from midoffice.core import outbox
from midoffice.core.models import OutboxMessage
from midoffice.dossiers import services as dossier_services
from midoffice.integrations.dosis.base import CodeListEntry, DosisUnavailable
from midoffice.integrations.dosis.fake_server import Refusal
from midoffice.parties.services import party_create
from midoffice.publication import services
from midoffice.publication.models import DosisCode, DosisRegistration
from tests.factories import UserFactory, open_dossier

pytestmark = pytest.mark.django_db

State = DosisRegistration.State


def _send() -> None:
    """Let the outbox deliver everything that is due (the worker's job)."""
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    outbox.outbox_sweep()


def _make_polls_due() -> None:
    DosisRegistration.objects.filter(next_poll_at__isnull=False).update(
        next_poll_at=timezone.now() - timedelta(seconds=1)
    )


def _page(client, dossier) -> str:
    html = client.get(reverse("web:dossier", args=[dossier.reference])).content.decode()
    match = re.search(r'<dd id="dosis-state"[^>]*>(.*?)</dd>', html, re.S)
    assert match, "the dossier page has no Mijn Burgerprofiel line"
    return re.sub(r"<[^>]+>", "", match.group(1))


@pytest.fixture
def mapped(dossier_type):
    """The dossier type maps its statuses to codes of the fake's DossierStatus list."""
    codes = {"in-behandeling": "IN_BEHANDELING", "wacht-op-burger": "ACTIE_NODIG"}
    for code, dosis in codes.items():
        StatusType.objects.filter(dossier_type=dossier_type, code=code).update(dosis_code=dosis)
    return dossier_type


def test_a_registration_is_pending_with_backoff_then_accepted(fake_dosis, emma, dossier_type):
    fake_dosis.state.pending_polls = 2
    dossier = open_dossier(dossier_type=dossier_type, requester=emma)
    row = DosisRegistration.objects.get(dossier=dossier)
    assert row.state == State.QUEUED

    _send()
    row.refresh_from_db()
    assert row.state == State.WAITING
    assert row.registration_id.startswith("DOSIS-")
    assert services.dosis_poll().accepted == 0  # not due yet: the first poll waits a minute

    _make_polls_due()
    report = services.dosis_poll()
    row.refresh_from_db()
    assert (report.pending, row.state, row.polls) == (1, State.WAITING, 1)
    first_wait = row.next_poll_at - timezone.now()
    assert timedelta(seconds=50) < first_wait <= timedelta(minutes=1)

    _make_polls_due()
    services.dosis_poll()
    row.refresh_from_db()
    assert row.polls == 2
    assert row.next_poll_at - timezone.now() > timedelta(minutes=1, seconds=50)  # backed off

    _make_polls_due()
    assert services.dosis_poll().accepted == 1
    row.refresh_from_db()
    assert row.state == State.ACCEPTED
    assert row.resolved_at is not None
    assert services.dosis_poll().accepted == 0  # nothing left to ask


def test_a_transient_refusal_is_sent_again_and_then_accepted(fake_dosis, emma, dossier_type):
    fake_dosis.state.pending_polls = 0
    fake_dosis.state.refusals.append(
        Refusal(code="30010", text="INSZ nog niet gekend bij DOSIS.", times=1)
    )
    dossier = open_dossier(dossier_type=dossier_type, requester=emma)
    _send()
    _make_polls_due()
    assert services.dosis_poll().resent == 1
    row = DosisRegistration.objects.get(dossier=dossier)
    assert (row.state, row.attempts, row.reason_code) == (State.QUEUED, 2, "30010")

    _send()
    _make_polls_due()
    assert services.dosis_poll().accepted == 1
    row.refresh_from_db()
    assert row.state == State.ACCEPTED
    # Two questions with two references, the second accepted; the first was refused.
    references = [r["question_reference"] for r in fake_dosis.state.received]
    assert references == [f"dosis:{dossier.reference}:{row.status_change_id}", row.idempotency_key]


def test_transient_refusals_beyond_the_retry_limit_are_flagged(
    fake_dosis, emma, dossier_type, settings
):
    settings.DOSIS_RETRY_LIMIT = 1
    fake_dosis.state.pending_polls = 0
    fake_dosis.state.refusals.append(Refusal(code="30010", text="INSZ nog niet gekend."))
    dossier = open_dossier(dossier_type=dossier_type, requester=emma)
    for _ in range(2):
        _send()
        _make_polls_due()
        services.dosis_poll()
    row = DosisRegistration.objects.get(dossier=dossier)
    assert row.state == State.REFUSED
    assert row.reason_text == "INSZ nog niet gekend. (na 2 pogingen)"


def test_a_permanent_refusal_is_flagged_shown_and_retried_by_an_admin_after_the_fix(
    fake_dosis, emma, dossier_type, client, admin_client, handler
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
    report = services.dosis_poll()
    assert (report.accepted, report.refused) == (1, 1)
    refused = DosisRegistration.objects.get(state=State.REFUSED)
    assert (refused.reason_code, refused.reason_text) == ("30020", "Onbekende status.")

    client.force_login(handler)
    assert _page(client, dossier) == "geweigerd door DOSIS: 30020: Onbekende status."

    listing = admin_client.get(
        reverse("admin:publication_dosisregistration_changelist"), {"flagged": "yes"}
    ).content.decode()
    assert "Onbekende status." in listing
    assert dossier.reference in listing

    answer = admin_client.post(
        reverse("admin:publication_dosisregistration_changelist"),
        {"action": "retry", "_selected_action": [refused.pk]},
        follow=True,
    )
    assert "1 registratie(s) opnieuw verstuurd." in answer.content.decode()
    refused.refresh_from_db()
    assert (refused.state, refused.attempts) == (State.QUEUED, 2)
    # A second retry of the same registration (two admins at once) sends nothing more.
    assert services.dosis_retry(registration_ids=[refused.pk], actor=None) == (0, 0)
    assert "wacht op DOSIS" in _page(client, dossier)

    _send()
    _make_polls_due()
    assert services.dosis_poll().accepted == 1
    assert DosisRegistration.objects.filter(state=State.ACCEPTED).count() == 2
    assert _page(client, dossier).startswith("gepubliceerd op ")
    sent = [r["status_code"] for r in fake_dosis.state.received]
    assert sent == ["ONTVANGEN", "IN-BEHANDELING", "IN-BEHANDELING"]


def test_retrying_an_older_refusal_does_not_set_dosis_back(fake_dosis, emma, dossier_type):
    fake_dosis.state.pending_polls = 0
    dossier = open_dossier(dossier_type=dossier_type, requester=emma)
    fake_dosis.state.refusals.append(Refusal(code="30020", text="Fout.", times=1))
    _send()
    _make_polls_due()
    services.dosis_poll()
    old = DosisRegistration.objects.get(state=State.REFUSED)
    dossier_services.dossier_change_status(
        actor=None, dossier=dossier, status_code="in-behandeling"
    )
    _send()
    assert services.dosis_retry(registration_ids=[old.pk], actor=None) == (0, 1)
    old.refresh_from_db()
    assert old.state == State.SUPERSEDED
    assert len(fake_dosis.state.received) == 2


def test_no_result_within_the_maximum_age_is_flagged(fake_dosis, emma, dossier_type, settings):
    settings.DOSIS_RESULT_MAX_AGE_HOURS = 1
    fake_dosis.state.pending_polls = 1000
    dossier = open_dossier(dossier_type=dossier_type, requester=emma)
    late = open_dossier(dossier_type=dossier_type, requester=emma)
    _send()
    DosisRegistration.objects.update(sent_at=timezone.now() - timedelta(hours=2))
    # DOSIS finished the second one while we were not asking: that still counts.
    fake_dosis.state.polls[DosisRegistration.objects.get(dossier=late).registration_id] = 1000
    _make_polls_due()
    report = services.dosis_poll()
    assert (report.given_up, report.accepted) == (1, 1)
    row = DosisRegistration.objects.get(dossier=dossier)
    assert row.state == State.GIVEN_UP
    assert "binnen 1 uur geen resultaat" in row.reason_text
    assert DosisRegistration.objects.get(dossier=late).state == State.ACCEPTED


def test_dosis_down_during_the_poll_leaves_the_rows_due(fake_dosis, emma, dossier_type):
    open_dossier(dossier_type=dossier_type, requester=emma)
    _send()
    _make_polls_due()
    before = DosisRegistration.objects.get().next_poll_at
    fake_dosis.state.down = True
    report = services.dosis_poll()
    row = DosisRegistration.objects.get()
    assert report.unavailable
    assert row.state == State.WAITING
    assert row.next_poll_at == before


def test_code_lists_are_loaded_and_kept_when_dosis_fails(fake_dosis, dossier_type):
    counts = services.dosis_code_lists_load()
    assert counts == {"DossierStatus": 6, "DossierType": 1}
    assert DosisCode.objects.filter(list_name="DossierStatus", code="ACTIE_NODIG").exists()

    fake_dosis.state.down = True
    with pytest.raises(DosisUnavailable):
        services.dosis_code_lists_load()
    assert DosisCode.objects.count() == 7  # the lists loaded before stay

    fake_dosis.state.down = False
    fake_dosis.state.code_lists["DossierStatus"] = (CodeListEntry("ONTVANGEN", "Ontvangen"),)
    services.dosis_code_lists_load()
    assert list(
        DosisCode.objects.filter(list_name="DossierStatus").values_list("code", flat=True)
    ) == ["ONTVANGEN"]


def test_the_mapping_check_names_statuses_with_unknown_codes(fake_dosis, dossier_type, capsys):
    assert services.dosis_mapping_problems() == []  # nothing loaded: nothing to judge
    call_command("dosis_codes", "--check-only")

    with pytest.raises(CommandError, match="map to an unknown DOSIS code"):
        call_command("dosis_codes")  # loads the lists, then checks
    problems = [str(p) for p in services.dosis_mapping_problems()]
    assert any("status ‘in-behandeling’: DOSIS-statuscode ‘IN-BEHANDELING’" in p for p in problems)
    errors = list(run_checks(tags=[Tags.database], databases=["default"]))
    assert {m.id for m in errors if m.id.startswith("publication.")} == {"publication.E001"}

    for code, dosis in {
        "in-behandeling": "IN_BEHANDELING",
        "wacht-op-burger": "ACTIE_NODIG",
        "beantwoord": "BEANTWOORD",
        "afgesloten": "AFGESLOTEN",
    }.items():
        StatusType.objects.filter(dossier_type=dossier_type, code=code).update(dosis_code=dosis)
    assert services.dosis_mapping_problems() == []
    call_command("dosis_codes", "--check-only")


def test_the_catalog_admin_refuses_a_status_mapped_to_an_unknown_code(fake_dosis, dossier_type):
    status = StatusType.objects.get(dossier_type=dossier_type, code="in-behandeling")
    data = {
        "dossier_type": dossier_type.pk,
        "order": status.order,
        "code": status.code,
        "name": status.name,
        "phase": status.phase,
        "citizen_text": "",
        "notify_citizen": "on",
        "dosis_code": "IN_BEHANDELNG",
    }
    assert StatusTypeForm(data=data, instance=status).is_valid()  # no list loaded yet
    services.dosis_code_lists_load()
    form = StatusTypeForm(data=data, instance=status)
    assert not form.is_valid()
    assert (
        "‘IN_BEHANDELNG’ staat niet in de codelijst DossierStatus" in form.errors["dosis_code"][0]
    )
    assert StatusTypeForm(data={**data, "dosis_code": "IN_BEHANDELING"}, instance=status).is_valid()
    quiet = {key: value for key, value in data.items() if key != "notify_citizen"}
    assert StatusTypeForm(data=quiet, instance=status).is_valid()  # never sent to DOSIS


def test_a_status_mapped_to_an_unknown_code_is_not_sent_but_flagged(
    fake_dosis, emma, mapped, admin_client
):
    services.dosis_code_lists_load()
    StatusType.objects.filter(dossier_type=mapped, code="in-behandeling").update(
        dosis_code="IN_BEHANDELNG"
    )
    dossier = open_dossier(dossier_type=mapped, requester=emma)
    dossier_services.dossier_change_status(
        actor=None, dossier=dossier, status_code="in-behandeling"
    )
    _send()
    assert [r["status_code"] for r in fake_dosis.state.received] == ["ONTVANGEN"]
    blocked = DosisRegistration.objects.get(status_code="IN_BEHANDELNG")
    assert blocked.state == State.BLOCKED
    assert "‘IN_BEHANDELNG’ staat niet in de codelijst" in blocked.reason_text
    assert OutboxMessage.objects.filter(state="failed").count() == 1
    changelist = admin_client.get(reverse("admin:publication_dosisregistration_changelist"))
    assert "DOSIS-statuscode ‘IN_BEHANDELNG’ staat niet in de codelijst" in (
        changelist.content.decode()
    )

    # The fix in the catalog, then the retry sends the corrected code, exactly once.
    StatusType.objects.filter(dossier_type=mapped, code="in-behandeling").update(
        dosis_code="IN_BEHANDELING"
    )
    assert services.dosis_retry(registration_ids=[blocked.pk], actor=None) == (1, 0)
    _send()
    _send()
    assert [r["status_code"] for r in fake_dosis.state.received] == [
        "ONTVANGEN",
        "IN_BEHANDELING",
    ]


def test_the_dossier_page_says_why_a_dossier_is_not_registered(
    fake_dosis, dossier_type, client, handler
):
    mailer = party_create(given_name="An", family_name="Mailt", email="an@example.org")
    dossier = open_dossier(dossier_type=dossier_type, requester=mailer)
    client.force_login(handler)
    assert _page(client, dossier) == (
        "niet geregistreerd (geen rijksregisternummer of ondernemingsnummer van de aanvrager "
        "bekend)"
    )


def test_the_dossier_page_shows_waiting_and_published(fake_dosis, emma, dossier_type, client):
    dossier = open_dossier(dossier_type=dossier_type, requester=emma)
    client.force_login(UserFactory(teams=[dossier.team]))
    assert _page(client, dossier).startswith("wacht op DOSIS sinds ")
    fake_dosis.state.pending_polls = 0
    _send()
    _make_polls_due()
    services.dosis_poll()
    assert _page(client, dossier).startswith("gepubliceerd op ")
    html = client.get(reverse("web:dossier", args=[dossier.reference])).content.decode()
    assert "<dt>Mijn Burgerprofiel</dt>" in html
    assert re.search(r'gepubliceerd</span> op <time datetime="\d{4}-\d\d-\d\dT', html)


def test_the_demo_town_checks_its_dosis_mapping_from_the_first_start(settings):
    """`make run` loads the lists its fake DOSIS serves: no W001 warning at every command,
    and the demo catalog maps every status the citizen hears about to a known code."""
    from midoffice.publication.demo import load_demo_code_lists
    from midoffice.web.demo import load_demo_data

    settings.DOSIS_ENDPOINT = "http://127.0.0.1:8082/dosis"
    load_demo_data()
    assert DosisCode.objects.filter(code="IN_BEHANDELING").exists()
    assert load_demo_code_lists() == {"dosis_codes": 0}
    ids = [m.id for m in run_checks(tags=[Tags.database], databases=["default"])]
    assert not [i for i in ids if i.startswith("publication.")], ids
