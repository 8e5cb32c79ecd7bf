"""`make run` loads the demo town before it starts anything: the demo's signed letters
(PAdES B-LT, as in production) must get their timestamps and OCSP answers all the same."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.once


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_demo_data_signs_its_letters_b_lt_without_a_running_demo_pki(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIDOFFICE_")}
    env.pop("DATABASE_URL", None)  # the embedded default, as `make run`
    env.update(
        {
            "MIDOFFICE_DEBUG": "true",
            "MIDOFFICE_DATA_DIR": str(tmp_path),
            # Nothing listens there: the demo PKI must be started for the load itself.
            "MIDOFFICE_SIGNING_TSA_URL": f"http://127.0.0.1:{_free_port()}/tsa",
        }
    )
    me = [sys.executable, "-m", "midoffice.manage"]

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*me, *argv], env=env, capture_output=True, text=True, timeout=600, check=False
        )

    assert run("migrate", "--no-input", "-v0").returncode == 0
    loaded = run("demo_data")
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    check = run(
        "shell",
        "-c",
        "from midoffice.correspondence.models import Letter\n"
        "from midoffice.correspondence.storage import file_read\n"
        "from midoffice.correspondence.plugins import trust_root_path\n"
        "from midoffice.integrations.signing.validation import signature_check\n"
        "signed = [l for l in Letter.objects.exclude(signed_sha256='')]\n"
        "assert signed, 'no signed demo letter'\n"
        "for l in signed:\n"
        "    pdf = file_read(name=l.signed_pdf_name, sha256=l.signed_sha256)\n"
        "    c = signature_check(pdf=pdf, trust_root_pem=trust_root_path().read_bytes())\n"
        "    print('SIGNATURE', l.pk, c.ok, c.level)\n",
    )
    assert check.returncode == 0, check.stderr[-3000:]
    rows = [row for row in map(str.split, check.stdout.splitlines()) if row[:1] == ["SIGNATURE"]]
    assert rows, check.stdout
    assert all(ok == "True" and level == "B-LT" for _tag, _pk, ok, level in rows), rows
