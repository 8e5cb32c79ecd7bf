"""Issue 20, item 3: a letter waiting for a signature reaches those who may sign it —
a notice under *Meldingen*, their home page, the menu — and the notices are done once
one of them signs it or sends it back."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from midoffice.accounts.models import Role
from midoffice.correspondence import services
from midoffice.correspondence.selectors import letter_signers
from midoffice.dossiers.models import Notification
from tests.factories import TeamFactory, UserFactory, open_dossier

pytestmark = pytest.mark.django_db


@pytest.fixture
def others(team):
    """A second lead of the team, a lead of another team, a signing officer for every
    team, one who is no longer active, and one who cannot see the team's dossiers."""
    officer = UserFactory(username="directeur", role=Role.ADMINISTRATOR)
    gone = UserFactory(username="vroeger", role=Role.ADMINISTRATOR, is_active=False)
    blind = UserFactory(username="blind", role=Role.HANDLER)
    permission = Permission.objects.get(codename="sign_letter")
    for holder in (officer, gone, blind):
        holder.user_permissions.add(permission)
    return {
        "lead2": UserFactory(username="marc", role=Role.TEAM_LEAD, teams=[team]),
        "elsewhere": UserFactory(
            username="kim", role=Role.TEAM_LEAD, teams=[TeamFactory(code="burgerzaken")]
        ),
        "officer": officer,
    }


def submitted(dossier, handler, letter_template):
    letter = services.letter_compose(actor=handler, dossier=dossier, template=letter_template)
    return services.letter_submit(actor=handler, letter=letter)


def notified(kind=Notification.Kind.LETTER_TO_SIGN, *, unread_only=False) -> set[str]:
    notices = Notification.objects.filter(kind=kind)
    if unread_only:
        notices = notices.filter(read_at__isnull=True)
    return set(notices.values_list("user__username", flat=True))


def test_submitting_notifies_exactly_who_may_sign(
    dossier, handler, letter_template, signer, others
):
    letter = submitted(dossier, handler, letter_template)

    # The team's leads and the signing officer; not the handler, not another team's lead.
    assert notified() == {"lotte", "marc", "directeur"}
    assert {u.username for u in letter_signers(letter=letter)} == {"lotte", "marc", "directeur"}
    notice = Notification.objects.get(user=signer)
    assert notice.about == f"letter:{letter.pk}"
    assert notice.summary == letter.subject
    assert notice.dossier_id == dossier.pk


def test_a_confidential_dossier_is_not_announced_to_whom_cannot_see_it(
    dossier, handler, letter_template, signer, others
):
    dossier.confidential = True
    dossier.save(update_fields=["confidential"])

    submitted(dossier, handler, letter_template)

    # The officer outside the team cannot see the dossier, so it is not in their folder.
    assert notified() == {"lotte", "marc"}


def test_a_lead_who_submits_is_not_told_about_her_own_letter(
    dossier, letter_template, signer, others
):
    submitted(dossier, signer, letter_template)

    assert notified() == {"marc", "directeur"}


def test_signing_resolves_the_notice_for_every_signer(
    dossier, handler, letter_template, signer, others
):
    letter = submitted(dossier, handler, letter_template)

    services.letter_sign(actor=signer, letter=letter)

    assert notified(unread_only=True) == set()


def test_sending_back_resolves_it_and_a_new_submission_notifies_again(
    dossier, handler, letter_template, signer, others
):
    letter = submitted(dossier, handler, letter_template)
    letter = services.letter_refuse(actor=others["lead2"], letter=letter, reason="Termijn?")
    assert notified(unread_only=True) == set()

    services.letter_submit(actor=handler, letter=letter)

    assert notified(unread_only=True) == {"lotte", "marc", "directeur"}


def test_a_letter_sent_back_tells_its_author_why_until_she_submits_again(
    client, dossier, handler, letter_template, signer, others
):
    """The signer sent the letter back; the handler who wrote it heard nothing."""
    letter = submitted(dossier, handler, letter_template)
    letter = services.letter_refuse(actor=signer, letter=letter, reason="Vermeld de termijn.")
    refused = Notification.Kind.LETTER_REFUSED
    assert notified(refused, unread_only=True) == {handler.username}
    notice = Notification.objects.get(kind=refused)
    assert notice.summary.endswith(": Vermeld de termijn.")
    client.force_login(handler)
    assert "Vermeld de termijn." in client.get("/meldingen/").content.decode()
    services.letter_submit(actor=handler, letter=letter)
    assert notified(refused, unread_only=True) == set()


def test_a_letter_without_signature_notifies_nobody(dossier, handler, letter_template, signer):
    letter_template.requires_signature = False
    letter_template.save(update_fields=["requires_signature"])

    submitted(dossier, handler, letter_template)

    assert Notification.objects.count() == 0


def test_home_menu_and_notices_lead_the_signer_to_the_letter(
    client, dossier, handler, letter_template, signer, django_assert_max_num_queries
):
    other = open_dossier(dossier_type=dossier.dossier_type, requester=dossier.requester)
    first = submitted(dossier, handler, letter_template)
    submitted(other, handler, letter_template)
    client.force_login(signer)

    # The letters are read with their dossiers; the menu adds one query for a team lead
    # (are there destruction lists naming her as reviewer?). A first view in the process
    # also reads the names of types, statuses, teams and colleagues (core.memo).
    client.get("/")
    with django_assert_max_num_queries(15):
        home = client.get("/").content.decode()

    assert "Te ondertekenen: 2 brieven" in home
    assert "Handtekenmap (2)" in home
    assert f"/correspondentie/brieven/{first.pk}/ondertekenen/" in home
    assert f"/correspondentie/brieven/{first.pk}/" in home
    notices = client.get("/meldingen/").content.decode()
    assert notices.count("Brief te ondertekenen") == 2
    assert "Naar de handtekenmap" in notices

    # Signing from home: one letter fewer everywhere.
    client.post(f"/correspondentie/brieven/{first.pk}/ondertekenen/")
    home = client.get("/").content.decode()
    assert "Te ondertekenen: 1 brief" in home
    assert "Handtekenmap (1)" in home


def test_who_may_not_sign_sees_no_folder(client, dossier, handler, letter_template, signer):
    submitted(dossier, handler, letter_template)
    client.force_login(handler)

    home = client.get("/").content.decode()

    assert "Handtekenmap" not in home
    assert "Te ondertekenen" not in home
