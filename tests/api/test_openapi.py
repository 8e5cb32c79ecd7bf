"""The committed OpenAPI document must match the code (regenerate: make openapi)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management import call_command


def test_openapi_document_has_not_drifted(tmp_path, db):
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(generated), "--validate", "--fail-on-warn")
    committed = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"
    assert committed.read_text() == generated.read_text(), "run `make openapi` and commit"
