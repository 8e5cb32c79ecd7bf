from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from midoffice.catalog.models import DossierType


@pytest.fixture
def files_dir(tmp_path, settings):
    """Stored files (raw mail, attachments) in a fresh folder per test."""
    folder = tmp_path / "files"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder)},
        },
    }
    return folder


@pytest.fixture
def triage_type(db, files_dir):
    """The triage type every install has after ``migrate`` (catalog.defaults)."""
    return DossierType.objects.get(code="triage")


def make_mail(
    *,
    subject: str = "Vraag over mijn verbouwing",
    sender: str = "Emma Peeters <emma.peeters@example.org>",
    to: str = "onthaal@leemdonk.example",
    body: str = "Beste, mogen we onze garage ombouwen tot keuken?",
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
    message_id: str | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = to
    msg["Message-ID"] = message_id or make_msgid(domain="example.org")
    msg["Date"] = "Mon, 02 Feb 2026 10:00:00 +0100"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for filename, ctype, data in attachments or []:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def receive(raw: bytes, source):
    """Store and process one mail, as the listener and the worker do."""
    from midoffice.intake import services

    message = services.inbound_store(raw, source=source)
    return services.inbound_process(inbound_id=message.pk)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


DOVECOT = "/usr/sbin/dovecot"
IMAP_USER = "onthaal"
IMAP_PASSWORD = "imap-test-geheim"

# One config for every test Dovecot: {auth} says how logins are checked.
DOVECOT_CONF = """\
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
mail_location = maildir:{base}/mail/%u
first_valid_uid = 1
first_valid_gid = 1
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={base}/home/%u
}}
{auth}
"""

PASSWORD_AUTH = """\
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/passwd
}}
"""


@contextmanager
def running_dovecot(
    *, auth: str, files: dict[str, str], prefix: str = "midoffice-dovecot-"
) -> Iterator[int]:
    """Start a real Dovecot on a loopback high port, as root without systemd, from a
    standalone config (``auth`` and ``files`` may use ``{base}``, its folder); yield
    its port; stop it with ``kill $(cat master.pid)``. Skips when it cannot run here."""
    if not Path(DOVECOT).exists():
        pytest.skip("Dovecot is not installed (apt-get install -y dovecot-imapd)")
    if os.geteuid() != 0:
        pytest.skip("Dovecot is started as root by the tests; not running as root")
    import tempfile

    base = Path(tempfile.mkdtemp(prefix=prefix))
    base.chmod(0o755)
    for sub in ("mail", "home"):
        (base / sub).mkdir()
        shutil.chown(base / sub, "dovecot", "dovecot")
    port = free_port()
    conf = DOVECOT_CONF.format(base=base, port=port, auth=auth.format(base=base))
    (base / "dovecot.conf").write_text(conf)
    for name, text in files.items():
        (base / name).write_text(text)
    subprocess.run([DOVECOT, "-c", str(base / "dovecot.conf")], check=True)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    else:
        pytest.fail(f"Dovecot did not start: {(base / 'dovecot.log').read_text()}")
    try:
        yield port
    finally:
        log = base / "dovecot.log"
        if log.exists() and "Error" in log.read_text():
            print(log.read_text()[-3000:])  # noqa: T201 - shown by pytest on failure
        pid_file = base / "run" / "master.pid"
        if pid_file.exists():
            subprocess.run(["kill", pid_file.read_text().strip()], check=False)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot():
    """A real Dovecot IMAP server with a password user, for the whole session."""
    with running_dovecot(
        auth=PASSWORD_AUTH, files={"passwd": f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}\n"}
    ) as port:
        yield {"host": "127.0.0.1", "port": port, "user": IMAP_USER, "password": IMAP_PASSWORD}
