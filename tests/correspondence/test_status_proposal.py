"""Issue 20, item 9: once the answer has left, the dossier page proposes the next status
("Beantwoord", or closing with a result) — one click, as the role table allows; the
status never changes by itself."""

from __future__ import annotations

import pytest

from midoffice.accounts.models import Role
from midoffice.core.models import OutboxMessage
from midoffice.core.outbox import outbox_deliver
from midoffice.correspondence import services
from midoffice.dossiers import services as dossier_services
from midoffice.dossiers.models import Dossier, StatusChange
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROPOSAL = "Het antwoord"


@pytest.fixture
def unsigned(letter_template):
    letter_template.requires_signature = False
    letter_template.save(update_fields=["requires_signature"])
    return letter_template


def answer(dossier, handler, template):
    letter = services.letter_compose(actor=handler, dossier=dossier, template=template)
    return services.letter_submit(actor=handler, letter=letter)


def test_no_proposal_before_the_answer_leaves(client, dossier, handler, letter_template):
    dossier_services.dossier_assign(actor=handler, dossier=dossier, assignee=handler)
    letter = services.letter_compose(actor=handler, dossier=dossier, template=letter_template)
    services.letter_submit(actor=handler, letter=letter)  # waits for a signature
    client.force_login(handler)

    page = client.get(f"/dossiers/{dossier.reference}/").content.decode()

    assert "Dossier op ‘Beantwoord’ zetten?" not in page


def test_the_answer_queued_proposes_answered_and_closing_and_changes_nothing(
    client, dossier, handler, unsigned
):
    dossier_services.dossier_change_status(
        actor=handler, dossier=dossier, status_code="in-behandeling"
    )
    answer(dossier, handler, unsigned)
    client.force_login(handler)

    page = client.get(f"/dossiers/{dossier.reference}/").content.decode()

    assert "Het antwoord vertrekt. Dossier op ‘Beantwoord’ zetten?" in page
    assert "Op ‘Beantwoord’ zetten</button>" in page
    assert "Afsluiten: Beantwoord</button>" in page  # the type's one result
    assert Dossier.objects.get(pk=dossier.pk).status.code == "in-behandeling"


def test_one_click_sets_answered_and_the_proposal_is_gone(client, dossier, handler, unsigned):
    letter = answer(dossier, handler, unsigned)
    outbox_deliver(message_id=OutboxMessage.objects.get(idempotency_key=letter.outbox_key).pk)
    letter.refresh_from_db()
    assert letter.state == "sent"
    client.force_login(handler)
    page = client.get(f"/dossiers/{dossier.reference}/").content.decode()
    assert "Het antwoord is verstuurd. Dossier op ‘Beantwoord’ zetten?" in page

    response = client.post(
        f"/dossiers/{dossier.reference}/status/",
        {"status": "beantwoord", "reason": f"Antwoord verstuurd: {letter.subject}"},
    )

    assert response.status_code == 302
    assert Dossier.objects.get(pk=dossier.pk).status.code == "beantwoord"
    change = StatusChange.objects.filter(dossier=dossier).latest("id")
    assert change.actor == handler
    page = client.get(f"/dossiers/{dossier.reference}/").content.decode()
    assert PROPOSAL not in page


def test_closing_with_a_result_in_one_click(client, dossier, handler, unsigned):
    answer(dossier, handler, unsigned)
    client.force_login(handler)

    client.post(
        f"/dossiers/{dossier.reference}/status/",
        {"status": "afgesloten", "result": "beantwoord", "reason": "Antwoord verstuurd"},
    )

    closed = Dossier.objects.get(pk=dossier.pk)
    assert (closed.is_open, closed.result.code) == (False, "beantwoord")
    assert PROPOSAL not in client.get(f"/dossiers/{dossier.reference}/").content.decode()


def test_the_proposal_follows_the_role_table(client, dossier, handler, unsigned):
    answer(dossier, handler, unsigned)
    archivist = UserFactory(username="arne", role=Role.ARCHIVIST)
    client.force_login(archivist)
    assert PROPOSAL not in client.get(f"/dossiers/{dossier.reference}/").content.decode()

    # A dossier already answered: only closing is left to propose.
    dossier_services.dossier_change_status(actor=None, dossier=dossier, status_code="beantwoord")
    answer(dossier, handler, unsigned)  # a second answer leaves afterwards
    client.force_login(handler)
    page = client.get(f"/dossiers/{dossier.reference}/").content.decode()
    assert "Het antwoord vertrekt." in page
    assert "Op ‘Beantwoord’ zetten" not in page
    assert "Afsluiten: Beantwoord</button>" in page
