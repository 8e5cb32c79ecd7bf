"""The question tree: which question comes next, which rule decides, bad answers."""

from __future__ import annotations

import pytest

from midoffice.appointments.models import BookingAnswer, BookingQuestion, BookingRule, InfoPage
from midoffice.appointments.questions import answers_effective, decide, questions_for
from midoffice.core.errors import UserError
from tests.appointments.factories import make_service
from tests.factories import DossierTypeFactory

pytestmark = pytest.mark.django_db


class Tree:
    """ "Waarvoor?" → (verbouwen) "Heb je plannen?" and "Eigen woning?"; rules and a fallback."""

    def __init__(self, team) -> None:
        self.what = BookingQuestion.objects.create(
            order=1, code="wat", text="Waarvoor wil je een afspraak?"
        )
        self.build = BookingAnswer.objects.create(question=self.what, code="verbouwen", text="x")
        self.card = BookingAnswer.objects.create(question=self.what, code="id", text="x")
        self.move = BookingAnswer.objects.create(question=self.what, code="adres", text="x")
        self.other = BookingAnswer.objects.create(question=self.what, code="anders", text="x")
        self.plans = BookingQuestion.objects.create(
            order=2, code="plannen", text="Heb je al plannen?", ask_if=self.build
        )
        self.plans_yes = BookingAnswer.objects.create(question=self.plans, code="ja", text="Ja")
        self.plans_no = BookingAnswer.objects.create(question=self.plans, code="nee", text="Nee")
        self.own = BookingQuestion.objects.create(
            order=3, code="eigendom", text="Eigen woning?", ask_if=self.build
        )
        BookingAnswer.objects.create(question=self.own, code="ja", text="Ja")
        BookingAnswer.objects.create(question=self.own, code="nee", text="Nee")
        self.advice = make_service(team, modes=["physical", "digital", "hybrid"])
        self.counter = make_service(team, code="id", name="Identiteitskaart", duration=15)
        self.general = make_service(team, code="algemeen", name="Algemene vraag")
        self.online = InfoPage.objects.create(slug="online", title="Dit kan online", body="…")
        rules = [
            (10, [self.build, self.plans_yes], self.advice, "", None),
            (20, [self.build], self.advice, "digital", None),
            (30, [self.card], self.counter, "physical", None),
            (40, [self.move], None, "", self.online),
            (90, [], self.general, "", None),
        ]
        for order, answers, service, mode, page in rules:
            rule = BookingRule.objects.create(
                order=order, service=service, mode=mode, info_page=page
            )
            rule.answers.set(answers)


@pytest.fixture
def tree(team):
    return Tree(team)


def test_questions_come_in_order_and_ask_if_waits_for_its_answer(tree):
    assert questions_for({}) == tree.what
    assert questions_for({"wat": "id"}) is None  # the follow-ups are for building only
    assert questions_for({"wat": "verbouwen"}) == tree.plans
    assert questions_for({"wat": "verbouwen", "plannen": "nee"}) == tree.own
    assert questions_for({"wat": "verbouwen", "plannen": "nee", "eigendom": "ja"}) is None
    question = questions_for({})
    assert [a.code for a in question.answers.all()] == ["verbouwen", "id", "adres", "anders"]


def test_the_first_matching_rule_decides(tree):
    outcome = decide({"wat": "verbouwen", "plannen": "ja", "eigendom": "ja"})
    assert (outcome.service, outcome.mode) == (tree.advice, "")
    assert outcome.modes == ["physical", "digital", "hybrid"]
    outcome = decide({"wat": "verbouwen", "plannen": "nee", "eigendom": "ja"})
    assert (outcome.service, outcome.mode, outcome.modes) == (tree.advice, "digital", ["digital"])
    assert decide({"wat": "id"}).service == tree.counter
    page = decide({"wat": "adres"})
    assert (page.service, page.info_page) == (None, tree.online)
    assert page.modes == []
    assert decide({"wat": "anders"}).service == tree.general  # the fallback


def test_an_inactive_service_is_passed_over_and_no_rule_at_all_is_a_dutch_error(tree):
    tree.counter.active = False
    tree.counter.save()
    assert decide({"wat": "id"}).service == tree.general
    BookingRule.objects.filter(order=90).delete()
    with pytest.raises(UserError, match="geen afspraak die bij je antwoorden past"):
        decide({"wat": "id"})


def test_answers_the_dossier_type_implies_are_skipped(tree):
    verbouwen = DossierTypeFactory(team=tree.advice.team)
    tree.build.implied_by_types.add(verbouwen)
    assert questions_for({}, verbouwen) == tree.plans
    assert answers_effective({"plannen": "ja"}, verbouwen) == {"wat": "verbouwen", "plannen": "ja"}
    assert decide({"plannen": "ja"}, verbouwen).service == tree.advice
    # The citizen's own answer wins over what the type implies.
    assert questions_for({"wat": "id"}, verbouwen) is None
    assert decide({"wat": "id"}, verbouwen).service == tree.counter


def test_answers_to_questions_that_no_longer_apply_are_dropped(tree):
    # The citizen went back and chose "identiteitskaart": "plannen" no longer applies.
    assert answers_effective({"wat": "id", "plannen": "ja"}) == {"wat": "id"}
    assert decide({"wat": "id", "plannen": "ja"}).service == tree.counter


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"bestaat-niet": "ja"}, "Onbekende vraag"),
        ({"wat": "misschien"}, "is geen antwoord op de vraag"),
        ({"wat": 3}, "als code"),
        (["wat"], "vraag → antwoord"),
        ({f"q{i}": "a" for i in range(51)}, "Te veel antwoorden"),
    ],
)
def test_bad_answers_get_a_dutch_error(tree, answers, message):
    with pytest.raises(UserError, match=message) as caught:
        questions_for(answers)
    assert caught.value.field == "answers"
    with pytest.raises(UserError, match=message):
        decide(answers)


def test_a_question_without_answers_is_not_asked(tree):
    BookingQuestion.objects.create(order=0, code="leeg", text="Nog niet klaar")
    assert questions_for({}) == tree.what
