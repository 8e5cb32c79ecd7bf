"""``midoffice intake import``: files that are not mail are refused with nothing written,
and the report says what was parsed for every message, whatever became of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from midoffice.catalog.models import DossierType
from midoffice.dossiers.models import Dossier
from midoffice.intake.importer import refusal_reason
from midoffice.intake.models import InboundMessage

DATA = Path(__file__).resolve().parent.parent / "data" / "mail"


def run_import(tmp_path: Path, *files: Path) -> list[dict]:
    report = tmp_path / "report.json"
    call_command("intake", "import", *map(str, files), "--report", str(report))
    return json.loads(report.read_text(encoding="utf-8"))


def stored_files(files_dir: Path) -> list[Path]:
    return [p for p in files_dir.rglob("*") if p.is_file()] if files_dir.exists() else []


@pytest.mark.parametrize(
    "name",
    ["import-contact-list.txt", "import-form-notes.txt", "import-empty.eml", "import-scan.pdf"],
)
def test_a_file_that_is_not_mail_is_refused_and_nothing_is_written(
    name, triage_type, files_dir, tmp_path
):
    [row] = run_import(tmp_path, DATA / name)
    assert row["state"] == "refused"
    assert row["reason"].startswith("Geen e-mailbericht")
    assert row["dossier"] is None
    assert InboundMessage.objects.count() == 0
    assert Dossier.objects.count() == 0
    assert stored_files(files_dir) == []


def test_the_summary_counts_refused_files_beside_imported_ones(triage_type, tmp_path, capsys):
    rows = run_import(
        tmp_path, DATA / "import-contact-list.txt", DATA / "import-three-attachments.eml"
    )
    assert [r["state"] for r in rows] == ["refused", "routed"]
    assert "geweigerd (geen e-mail): 1, nieuw dossier: 1" in capsys.readouterr().out


def test_a_message_saved_as_text_is_still_taken(triage_type, tmp_path):
    [row] = run_import(tmp_path, DATA / "import-saved-as-text.txt")
    assert row["state"] == "routed"
    assert row["subject"] == "Vraag over de afvalophaling"


def test_a_folder_walk_refuses_the_readme_and_imports_the_mail(triage_type, tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "LEESMIJ.txt").write_text("Export van de postbus onthaal, 3 november 2026.\n")
    (folder / "bericht.eml").write_bytes((DATA / "import-three-attachments.eml").read_bytes())
    rows = run_import(tmp_path, folder)
    assert {Path(r["file"]).name: r["state"] for r in rows} == {
        "LEESMIJ.txt": "refused",
        "bericht.eml": "routed",
    }


def test_an_outlook_file_gets_a_reason_that_says_what_to_do():
    reason = refusal_reason(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    assert reason is not None
    assert ".eml" in reason


@pytest.mark.parametrize(
    "raw",
    [
        b"\r\n\r\nFrom: a@example.org\r\nSubject: x\r\n\r\nbody",  # blank lines first
        b"From a@example.org Mon Jan  1 00:00:00 2026\nSubject: x\n\nbody",  # mbox line
        b"\xef\xbb\xbfReceived: from x\n\tby y\nX-Other: 1\nDate: today\n\nbody",  # BOM
        b"X-Mailer : old\nTo: onthaal@leemdonk.example\n\nbody",  # obsolete field syntax
    ],
)
def test_mail_with_an_unusual_start_is_not_refused(raw):
    assert refusal_reason(raw) is None


def test_every_corpus_file_but_the_empty_one_is_taken_as_mail():
    corpus = Path(__file__).resolve().parents[3] / "shared" / "data" / "email-corpus"
    if not corpus.exists():
        pytest.skip("shared corpus not beside the project")
    refused = [
        name
        for name in (corpus / "all.txt").read_text().split()
        if refusal_reason((corpus / name).read_bytes(), declared=True)
    ]
    assert refused == ["messages/flanker/dkim__email.01.eml"]  # 0 bytes


def test_the_report_of_a_rejected_message_has_its_subject_sender_and_attachments(
    triage_type, settings, tmp_path
):
    settings.INTAKE_MAX_ATTACHMENTS = 2
    [row] = run_import(tmp_path, DATA / "import-three-attachments.eml")
    assert row["state"] == "quarantined"
    assert row["subject"] == "Bouwplannen voor onze veranda"
    assert (row["from_address"], row["from_name"]) == ("marc.smith@example.org", "Marc Smith")
    assert row["attachment_count"] == 3  # the third is past the limit: counted, not read
    assert row["attachment_names"] == ["grondplan.pdf", "zijgevel.pdf"]
    assert row["message_id"] == "import-three-attachments@example.org"
    assert row["reason"]


def test_a_message_quarantined_while_processing_keeps_what_was_parsed(files_dir, tmp_path, db):
    DossierType.objects.get(code="triage").delete()  # the catalog lacks what intake needs
    [row] = run_import(tmp_path, DATA / "import-three-attachments.eml")
    assert row["state"] == "quarantined"
    assert row["subject"] == "Bouwplannen voor onze veranda"
    assert row["from_address"] == "marc.smith@example.org"
    assert row["attachment_names"] == ["grondplan.pdf", "zijgevel.pdf", "foto tuin.png"]
    # Staff see the same on the quarantined message itself.
    message = InboundMessage.objects.get()
    assert (message.subject, message.from_name) == ("Bouwplannen voor onze veranda", "Marc Smith")
    assert message.to_addresses == ["onthaal@leemdonk.example"]
    assert message.sent_at is not None
    # Importing the same file again reports the same, from the stored message.
    [again] = run_import(tmp_path, DATA / "import-three-attachments.eml")
    assert again["attachment_names"] == row["attachment_names"]
