"""Routing: rules, sender matching, the topic decision, training and activation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from midoffice.core.errors import UserError
from midoffice.parties.services import party_create
from midoffice.routing import services
from midoffice.routing.extract import extract_entities
from midoffice.routing.models import RoutingRule, TopicModelVersion, TrainingExample
from midoffice.routing.recognition import topic_decide
from midoffice.routing.rules import Rule, apply_rules, combine
from midoffice.routing.sender import Candidate, match_sender
from midoffice.routing.sender_lookup import sender_recognise
from midoffice.web.demo import load_demo_data

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "classification"


# --- pure cores ---------------------------------------------------------------------------


def test_rules_fire_on_folded_text_and_sender_domain():
    rules = [
        Rule("info-verbouwen", "keyword", "verbouwing", 0.5),
        Rule("stedenbouwkundige-inlichtingen", "sender_domain", "notaris.example", 1.0),
        Rule("vraag-financien", "phrase", "factuur betalen", 0.4),
    ]
    hits = apply_rules(
        rules=rules,
        text="Vraag over VERBOUWING; ik wil mijn factuur  betalen",
        sender="Jan@Kantoor.Notaris.Example",
    )
    assert {h.dossier_type for h in hits} == {
        "info-verbouwen",
        "stedenbouwkundige-inlichtingen",
        "vraag-financien",
    }
    assert apply_rules(rules=rules, text="financiën", sender=None) == []


def test_combine_lifts_the_rule_type_and_a_weight_one_rule_decides():
    ranking = combine(model_ranking=[("a", 0.9), ("b", 0.1)], hits=[])
    assert ranking[0][0] == "a"
    from midoffice.routing.rules import RuleHit

    decided = combine(model_ranking=[("a", 0.9), ("b", 0.1)], hits=[RuleHit("b", 1.0, "afzender")])
    assert decided[0][0] == "b"


def test_sender_known_address_is_confident_and_a_foreign_insz_weakens_it():
    emma = Candidate(
        1, "Emma De Smet", email_keys=frozenset({"emma@x.example"}), insz="85073003328"
    )
    strong = match_sender(
        email_key="emma@x.example",
        from_name="Emma De Smet",
        national_numbers=("85073003328",),
        enterprise_numbers=(),
        phones=(),
        postcodes=(),
        candidates=[emma],
    )
    assert strong.party_id == 1
    assert strong.confidence > 0.95
    assert strong.is_confident
    doubtful = match_sender(
        email_key="emma@x.example",
        from_name="Piet Peeters",
        national_numbers=("93051822361",),
        enterprise_numbers=(),
        phones=(),
        postcodes=(),
        candidates=[emma],
    )
    assert not doubtful.is_confident
    nobody = match_sender(
        email_key="x@y.example",
        from_name="",
        national_numbers=(),
        enterprise_numbers=(),
        phones=(),
        postcodes=(),
        candidates=[],
    )
    assert nobody.party_id is None


def test_two_contacts_with_the_same_evidence_are_contested_not_merged():
    a = Candidate(1, "Gezin Peeters", email_keys=frozenset({"gezin@x.example"}))
    b = Candidate(2, "Gezin Peeters", email_keys=frozenset({"gezin@x.example"}))
    result = match_sender(
        email_key="gezin@x.example",
        from_name="",
        national_numbers=(),
        enterprise_numbers=(),
        phones=(),
        postcodes=(),
        candidates=[a, b],
    )
    assert result.conflicting_party_ids == [2]
    assert not result.is_confident


# --- with the database -----------------------------------------------------------------------


@pytest.fixture
def demo(db):
    load_demo_data()


@pytest.fixture
def trained(demo):
    services.training_examples_import(path=SHARED / "train.jsonl")
    return services.classifier_train(note="test")


def test_sender_lookup_uses_plus_addressing_and_the_insz_in_the_text(demo):
    party = party_create(
        given_name="Jan",
        family_name="Peeters",
        email="jan.peeters@voorbeeld.example",
        insz="85.07.30-033.28",
    )
    text = "Mijn rijksregisternummer is 85.07.30-033.28."
    match = sender_recognise(
        from_address="Jan.Peeters+gemeente@voorbeeld.example",
        from_name="Jan Peeters",
        entities=extract_entities(text),
    )
    assert match.party_id == party.pk
    assert match.is_confident
    assert {e.kind for e in match.evidence} >= {"email", "insz"}


def test_import_maps_team_labels_and_refuses_unknown_ones_whole(demo, tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text(
        json.dumps(
            {"subject": "put", "body": "diepe put in het voetpad", "label": "openbaar_domein"}
        )
        + "\n"
    )
    assert services.training_examples_import(path=good) == 1
    assert services.training_examples_import(path=good) == 0  # twice adds nothing
    assert TrainingExample.objects.get().dossier_type.code == "melding-openbaar-domein"
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({"subject": "x", "body": "y", "label": "politie"}) + "\n" + good.read_text()
    )
    with pytest.raises(UserError, match="politie"):
        services.training_examples_import(path=bad)
    assert TrainingExample.objects.count() == 1
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{niet json\n")
    with pytest.raises(UserError, match="Regel 1"):
        services.training_examples_import(path=broken)


def test_trained_model_routes_the_renovation_question_and_doubts_the_vague_one(trained):
    assert trained.activated
    assert 0 < trained.version.threshold < 1
    renovation = topic_decide(
        subject="Verbouwing woning",
        body="We kochten een huis en willen renoveren. Wat mogen we doen zonder omgevingsvergunning?",
        sender="koppel@voorbeeld.example",
    )
    assert renovation.dossier_type_code == "info-verbouwen"
    assert renovation.team_code == "omgeving"
    assert "omgevingsvergunning" in renovation.reasons[0]
    vague = topic_decide(subject="vraag", body="hallo, test", sender="x@voorbeeld.example")
    assert vague.dossier_type_code is None
    assert len(vague.suggestions) == 3


def test_a_rule_chooses_the_dossier_type_within_the_team(trained):
    from midoffice.catalog.models import DossierType

    RoutingRule.objects.create(
        dossier_type=DossierType.objects.get(code="stedenbouwkundige-inlichtingen"),
        kind=RoutingRule.Kind.SENDER_DOMAIN,
        pattern="notaris-claes.example",
        weight=1,
    )
    decision = topic_decide(
        subject="Verkoop woning",
        body="Graag de stedenbouwkundige inlichtingen voor de verkoop.",
        sender="akte@notaris-claes.example",
    )
    assert decision.dossier_type_code == "stedenbouwkundige-inlichtingen"
    assert any("notaris-claes.example" in r for r in decision.reasons)


def test_a_worse_model_is_not_activated(trained):
    from midoffice.catalog.models import DossierType

    # Poison the data: a hundred corrections that call everything a complaint.
    wrong = DossierType.objects.get(code="klacht")
    for example in TrainingExample.objects.exclude(dossier_type__team__code="klachten")[:150]:
        services.routing_correction_record(
            actor=None, subject=example.subject, body=example.body, dossier_type=wrong
        )
    result = services.classifier_train(note="vergiftigd")
    assert not result.activated
    assert TopicModelVersion.objects.get(is_active=True) == trained.version
    assert (
        result.version.metrics["held_out"]["macro_f1"]
        < result.version.metrics["previous_held_out"]["macro_f1"]
    )


def test_too_few_examples_is_a_clear_error(db):
    with pytest.raises(UserError, match="Te weinig voorbeelden"):
        services.classifier_train()


def test_cli_evaluate_writes_the_json_report(tmp_path, capsys):
    report = tmp_path / "report.json"
    call_command(
        "classifier",
        "evaluate",
        "--train",
        str(SHARED / "train.jsonl"),
        "--test",
        str(SHARED / "dev.jsonl"),
        "--json",
        str(report),
    )
    data = json.loads(report.read_text())
    assert {
        "macro_f1",
        "accuracy",
        "baseline_macro_f1",
        "auto_share",
        "auto_precision",
        "per_label",
    } <= set(data)
    assert data["macro_f1"] >= 0.93
    assert data["macro_f1"] >= data["baseline_macro_f1"] + 0.05
    assert "macro" in capsys.readouterr().out.lower()
    with pytest.raises(CommandError, match="niet gevonden"):
        call_command(
            "classifier", "evaluate", "--train", str(tmp_path / "nope.jsonl"), "--test", str(report)
        )


def test_cli_train_and_status(demo, capsys):
    call_command("classifier", "train", "--from-jsonl", str(SHARED / "train.jsonl"))
    call_command("classifier", "status")
    out = capsys.readouterr().out
    assert "600 nieuwe voorbeelden" in out
    assert "actief" in out


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_fold_strips_exactly_the_combining_characters(text: str) -> None:
    """fold and fold_accents drop combining characters in one translate pass; the
    same as testing every character (their reference)."""
    import unicodedata

    from midoffice.routing.classifier import fold_accents
    from midoffice.routing.rules import fold

    def reference(value: str) -> str:
        return "".join(ch for ch in value if not unicodedata.combining(ch))

    assert fold(text) == reference(unicodedata.normalize("NFKD", text.lower()))
    expected = reference(unicodedata.normalize("NFKD", text))
    assert fold_accents(text) == expected.replace("\u2019", "'").replace("\u2018", "'").lower()
    assert fold("Financiën België") == "financien belgie"
