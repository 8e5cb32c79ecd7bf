"""A worker loads what a mail needs before its first task, and leaves no trace."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command

from midoffice.core import warmup
from midoffice.intake.warmup import pipeline_warm_up
from midoffice.routing import selectors
from midoffice.routing.models import TopicModelVersion

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "classification"


@pytest.fixture
def trained_model(db):
    """A small active routing model (the full training set takes half a minute)."""
    if not (SHARED / "train.jsonl").exists():
        pytest.skip("the shared routing data is not beside the project")
    from midoffice.routing import classifier

    examples = classifier.load_jsonl(SHARED / "train.jsonl")[:300]
    blob = classifier.train_model(examples).to_bytes()
    TopicModelVersion.objects.create(
        examples=len(examples),
        labels=sorted({e.label for e in examples}),
        threshold=0.5,
        blob=blob,
        sha256=hashlib.sha256(blob).hexdigest(),
        is_active=True,
    )


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if not model._meta.proxy
    }


@pytest.mark.django_db
def test_the_pipeline_warm_up_loads_the_model_and_leaves_nothing(files_dir, trained_model):
    selectors._load.cache_clear()
    before = _row_counts()
    pipeline_warm_up()
    assert _row_counts() == before  # no mail, dossier, contact, task or outgoing mail
    assert not files_dir.exists() or not any(files_dir.rglob("*"))
    assert selectors._load.cache_info().currsize == 1  # the routing model is loaded
    assert "sklearn" in sys.modules


@pytest.mark.django_db
def test_the_warm_up_works_without_a_model_and_without_triage(files_dir):
    from midoffice.catalog.models import DossierType

    DossierType.objects.get(code="triage").delete()
    pipeline_warm_up()  # nothing to route to: it still returns, and writes nothing
    assert not DossierType.objects.filter(code="triage").exists()


@pytest.mark.parametrize(
    ("reload", "child", "warmed"), [(False, False, True), (True, False, False), (True, True, True)]
)
def test_the_worker_command_warms_up_before_it_takes_tasks(monkeypatch, reload, child, warmed):
    """``midoffice db_worker`` is ours; under --reload only the child (which runs the
    tasks) warms up, not the parent that watches the files."""
    from django_tasks_db.management.commands.db_worker import Command as TasksDbCommand

    calls: list[str] = []
    monkeypatch.setattr(warmup, "_WARM_UPS", {"probe": lambda: calls.append("warm")})
    monkeypatch.setattr(TasksDbCommand, "handle", lambda self, *a, **o: calls.append("run"))
    if child:
        monkeypatch.setenv("RUN_MAIN", "true")
    else:
        monkeypatch.delenv("RUN_MAIN", raising=False)
    call_command("db_worker", "--reload" if reload else "--no-reload")
    assert calls == (["warm", "run"] if warmed else ["run"])


@pytest.mark.django_db
def test_a_failing_warm_up_does_not_stop_the_worker(monkeypatch, caplog):
    def broken() -> None:
        raise RuntimeError("model file unreadable")

    monkeypatch.setattr(warmup, "_WARM_UPS", {"broken": broken})
    took = warmup.worker_warm_up()
    assert set(took) == {"broken"}
    assert "worker warm-up failed" in caplog.text


def test_intake_registers_its_warm_up():
    assert warmup._WARM_UPS["intake"] is pipeline_warm_up
