"""The demo's closed dossiers become E-ARK SIPs that pass eark-validator."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command

from midoffice.archive.sip.validation import validate_package
from midoffice.dossiers.models import Dossier
from midoffice.web.demo import load_demo_data
from midoffice.web.demo_archive import DOSSIERS

pytestmark = pytest.mark.django_db


def test_demo_dossiers_package_with_zero_errors(tmp_path: Path):
    load_demo_data()
    subjects = [d.subject for d in DOSSIERS]
    closed = list(Dossier.objects.filter(subject__in=subjects).order_by("reference"))
    assert len(closed) == len(DOSSIERS)
    out = tmp_path / "out"
    call_command("archive", "package", *[d.reference for d in closed], "--out", str(out))
    packages = sorted(out.glob("*.zip"))
    assert len(packages) == len(closed)
    for package in packages:
        result = validate_package(package)
        assert result.errors == [], (package.name, result.errors)
        with zipfile.ZipFile(package) as archive:
            names = archive.namelist()
        assert any(n.endswith(".eml") for n in names)
