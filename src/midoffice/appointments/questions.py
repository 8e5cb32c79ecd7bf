"""The questions before a booking, and the rule that turns the answers into a service.

Administrators configure the tree in the admin: ordered ``BookingQuestion``s (a question
with ``ask_if`` is only asked after that answer), their ``BookingAnswer``s, and ordered
``BookingRule``s. The booking flow asks ``questions_for(answers)`` until it answers None,
then ``decide(answers)``: the first rule whose answers were all given wins; a rule
without answers is the fallback.

Answers are a mapping of question code → answer code (what a form or the API sends).
An answer the dossier's type already implies (``BookingAnswer.implied_by_types``) counts
as given, so "book an appointment for this dossier" skips what is already known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from midoffice.appointments.models import (
    BookingAnswer,
    BookingQuestion,
    BookingRule,
    InfoPage,
    Service,
)
from midoffice.catalog.models import DossierType
from midoffice.core.errors import UserError

#: More answers than this cannot come from a real form: refuse before reading them.
MAX_ANSWERS = 50


@dataclass(frozen=True)
class Outcome:
    """Where the answers lead: a service (``mode`` "" = the citizen chooses among the
    service's modes) or an information page."""

    service: Service | None = None
    mode: str = ""
    info_page: InfoPage | None = None
    rule_id: int | None = None

    @property
    def modes(self) -> list[str]:
        """The modes the citizen can choose from (one when the rule fixes it)."""
        if self.service is None:
            return []
        return [self.mode] if self.mode else self.service.modes


def _questions() -> list[BookingQuestion]:
    return list(
        BookingQuestion.objects.select_related("ask_if__question").prefetch_related("answers")
    )


def answers_validate(answers: object) -> dict[str, str]:
    """The answers as question code → answer code, each checked against the tree.

    A question or answer that does not exist gets a Dutch UserError naming it (a form
    sent by hand, an outdated link, an API client with a typo).
    """
    if answers is None:
        return {}
    if not isinstance(answers, Mapping):
        raise UserError("Geef de antwoorden als vraag → antwoord.", field="answers")
    if len(answers) > MAX_ANSWERS:
        raise UserError("Te veel antwoorden.", field="answers")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in answers.items()):
        raise UserError("Geef elke vraag en elk antwoord als code (tekst).", field="answers")
    if not answers:
        return {}
    known = {
        (question_code, answer_code)
        for question_code, answer_code in BookingAnswer.objects.filter(
            question__code__in=list(answers)
        ).values_list("question__code", "code")
    }
    questions = {question for question, _ in known}
    for question, answer in answers.items():
        if question not in questions:
            raise UserError(f"Onbekende vraag: “{question[:40]}”.", field="answers")
        if (question, answer) not in known:
            raise UserError(
                f"“{answer[:40]}” is geen antwoord op de vraag “{question[:40]}”.",
                field="answers",
            )
    return dict(answers)


def implied_answers(dossier_type: DossierType | None) -> dict[str, str]:
    """The answers a dossier of this type already gives (question code → answer code)."""
    if dossier_type is None:
        return {}
    implied: dict[str, str] = {}
    rows = (
        BookingAnswer.objects.filter(implied_by_types=dossier_type)
        .order_by("question__order", "question_id", "order", "id")
        .values_list("question__code", "code")
    )
    for question, answer in rows:
        implied.setdefault(question, answer)
    return implied


def _applicable(question: BookingQuestion, answers: Mapping[str, str]) -> bool:
    condition = question.ask_if
    return condition is None or answers.get(condition.question.code) == condition.code


def answers_effective(
    answers: Mapping[str, str] | None, dossier_type: DossierType | None = None
) -> dict[str, str]:
    """The given answers plus those the dossier's type implies (the citizen's own answer
    wins), without answers to questions that no longer apply (their ``ask_if`` answer
    was changed), in the order of the questions."""
    given = answers_validate(answers)
    merged = {**implied_answers(dossier_type), **given}
    questions = _questions()
    effective = {q.code: merged[q.code] for q in questions if q.code in merged}
    # Drop answers whose question no longer applies, until nothing changes (an answer
    # dropped can make a question further down the tree inapplicable in turn).
    changed = True
    while changed:
        changed = False
        for question in questions:
            if question.code in effective and not _applicable(question, effective):
                del effective[question.code]
                changed = True
    return effective


def questions_for(
    answers: Mapping[str, str] | None, dossier_type: DossierType | None = None
) -> BookingQuestion | None:
    """The next question to ask, or None when every applicable question is answered.

    Questions come in their order; one with ``ask_if`` only after that answer; answers
    the dossier's type implies are taken as given and their questions skipped. The
    question's answers are prefetched (``question.answers.all()``).
    """
    effective = answers_effective(answers, dossier_type)
    for question in _questions():
        if (
            question.code not in effective
            and _applicable(question, effective)
            and question.answers.all()  # a question without answers cannot be answered
        ):
            return question
    return None


def decide(answers: Mapping[str, str] | None, dossier_type: DossierType | None = None) -> Outcome:
    """The first rule (in order) whose answers were all given; a rule without answers
    matches always (the fallback). Rules for a service that is no longer active are
    passed over. No rule at all: a UserError (the tree has no fallback)."""
    effective = answers_effective(answers, dossier_type)
    given = set(effective.items())
    rules = BookingRule.objects.select_related("service__team", "info_page").prefetch_related(
        "answers__question"
    )
    for rule in rules:
        if rule.service is not None and not rule.service.active:
            continue
        needed = {(answer.question.code, answer.code) for answer in rule.answers.all()}
        if needed <= given:
            mode = rule.mode
            if rule.service is not None and mode and mode not in rule.service.modes:
                mode = ""  # misconfigured: let the citizen choose what the service allows
            return Outcome(
                service=rule.service, mode=mode, info_page=rule.info_page, rule_id=rule.pk
            )
    raise UserError(
        "We vonden geen afspraak die bij je antwoorden past. Neem contact op met het onthaal.",
        code="no_outcome",
    )
