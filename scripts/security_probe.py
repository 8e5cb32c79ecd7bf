#!/usr/bin/env python
# A command-line report: it prints (T201), and it starts the product's own commands (S603).
# ruff: noqa: T201, S603
"""Re-run of issue 19's outside probes against a live Midoffice, over HTTP and SMTP.

What an attacker, a careless colleague and a curious citizen would try, from outside:

  cross-team   every demo staff user × every dossier: web page, API detail, API events,
               letters, attachment downloads; then every write (take, assign, status,
               close, note, contact, link, requester, extend, letter compose/edit) through
               the web (signed in, with the CSRF token) and the API (token), each on a
               fresh dossier of five kinds, compared with the ground truth
               (dossiers.selectors.dossier_visible_q, accounts.permissions.may)
  citizens     two citizens signed in through the portal's own mailed links try each
               other's dossiers, documents and questions; a replaced requester loses access
  mail-page    /intake/post/ is for administrators; sign-in links are never shown
  throttle     more than 60 anonymous API requests a minute: 429 with Retry-After
  schemathesis the OpenAPI document against the live API, all operations, all checks
  mail-xss     crafted mails (script tags, attribute breakers, CRLF in display names,
               right-to-left override, zero-width-only subjects) through the SMTP listener;
               the workbench and portal pages must show them escaped and neutralised
  csrf         every POST form seen while crawling, without its token: 403
  redirects    next= to https://evil.example, //evil.example, /\\evil.example: stays here
  races        16 colleagues take the same dossier at once (web, API, both): one winner
  bad-values   implausible received_at, 5,000-character locations, page_size=false, CR/LF
               in names: 400, never 5xx, never stored
  brute-force  25 wrong passwords for the administrator at /admin/login/, then the right
               one; one lockout shared with the workbench; per user name and per address

A leak is a read of something the ground truth hides, or a write that took effect where
the role table says no. The script may use the product's ORM on the same database only
to set up what an attacker would otherwise obtain legitimately (API tokens, colleagues,
dossiers of the kinds to try) and to read the ground truth.

By default it starts its own production-like server (MIDOFFICE_DEBUG=false, gunicorn, a
task worker, the SMTP listener) on a fresh data folder and private ports, from the code
of the commit under test (HEAD, through git archive: colleagues' unfinished edits in the
work tree stay out), and stops it at the end. Requests that count per client address
(the throttle, the sign-in lockout) come from their own loopback addresses (127.0.0.2-6).
Exit status: 0 when there is no leak and no 5xx, 1 otherwise (2: the run broke off).

    .venv/bin/python scripts/security_probe.py                 # everything, SQLite, HEAD
    .venv/bin/python scripts/security_probe.py --fresh-database \\
        --database-url postgres://postgres@127.0.0.1:5432/probe_issue19
    .venv/bin/python scripts/security_probe.py --code worktree   # uncommitted edits too
    .venv/bin/python scripts/security_probe.py --st-cases 500    # a quick run
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import contextlib
import html
import json
import os
import re
import secrets
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
DEMO_PASSWORD = "leemdonk-demo"  # noqa: S105 - the demo's published password
STAFF = ["onthaal", "sofie", "jan", "lotte", "ahmed", "karel", "ines", "archivaris", "beheerder"]
TIMEOUT = 60

# Loopback source addresses, one per probe that counts per client address, so one probe's
# lockout or throttle window does not spill into another's.
ADDR_MAIN = "127.0.0.1"
ADDR_THROTTLE = "127.0.0.5"
ADDR_BRUTE_ADMIN = "127.0.0.2"
ADDR_BRUTE_SHARED = "127.0.0.3"
ADDR_BRUTE_OTHER = "127.0.0.4"
ADDR_BRUTE_SPRAY = "127.0.0.6"


# --- bookkeeping ----------------------------------------------------------------------------


@dataclass
class Kind:
    name: str
    requests: int = 0
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    server_errors: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checks: int = 0


class Tally:
    def __init__(self) -> None:
        self.kinds: dict[str, Kind] = {}
        self.lock = threading.Lock()

    def kind(self, name: str) -> Kind:
        with self.lock:
            if name not in self.kinds:
                self.kinds[name] = Kind(name)
            return self.kinds[name]

    def leak(self, kind: str, text: str) -> None:
        with self.lock:
            self.kind_unlocked(kind).leaks.append(text)

    def unexpected(self, kind: str, text: str) -> None:
        with self.lock:
            self.kind_unlocked(kind).unexpected.append(text)

    def note(self, kind: str, text: str) -> None:
        with self.lock:
            self.kind_unlocked(kind).notes.append(text)

    def check(self, kind: str, ok: bool, text: str, *, leak: bool = False) -> bool:
        """One assertion: counted; when false a leak or an unexpected answer."""
        with self.lock:
            k = self.kind_unlocked(kind)
            k.checks += 1
            if not ok:
                (k.leaks if leak else k.unexpected).append(text)
        return ok

    def kind_unlocked(self, name: str) -> Kind:
        if name not in self.kinds:
            self.kinds[name] = Kind(name)
        return self.kinds[name]


TALLY = Tally()


class SourceAdapter(HTTPAdapter):
    """Connections from one loopback address (the server sees it as the client address)."""

    def __init__(self, source: str, **kwargs: Any) -> None:
        self.source = source
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


class Client:
    """One HTTP client (a browser or an API client); every request is counted."""

    def __init__(
        self, base: str, *, source: str = ADDR_MAIN, token: str | None = None, label: str = ""
    ) -> None:
        self.base = base.rstrip("/")
        self.session = requests.Session()
        adapter = SourceAdapter(source, pool_maxsize=4)
        self.session.mount("http://", adapter)
        self.label = label
        if token:
            self.session.headers["Authorization"] = f"Token {token}"

    @property
    def csrf(self) -> str:
        return self.session.cookies.get("csrftoken", "")

    def request(self, kind: str, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", TIMEOUT)
        url = path if path.startswith("http") else self.base + path
        k = TALLY.kind(kind)
        with TALLY.lock:
            k.requests += 1
        try:
            response = self.session.request(method, url, **kwargs)
        except requests.RequestException as exc:
            with TALLY.lock:
                k.statuses[0] += 1
                k.unexpected.append(f"{self.label} {method} {path}: no answer ({exc!r})")
            raise
        with TALLY.lock:
            k.statuses[response.status_code] += 1
            if response.status_code >= 500:
                k.server_errors.append(
                    f"{self.label} {method} {path} -> {response.status_code}: "
                    f"{response.text[:300]!r}"
                )
        return response

    def get(self, kind: str, path: str, **kwargs: Any) -> requests.Response:
        return self.request(kind, "GET", path, **kwargs)

    def post(self, kind: str, path: str, **kwargs: Any) -> requests.Response:
        return self.request(kind, "POST", path, **kwargs)

    def form_post(
        self, kind: str, path: str, data: dict[str, Any], **kwargs: Any
    ) -> requests.Response:
        """A form post as the browser sends it: with the CSRF token (and Referer)."""
        data = {"csrfmiddlewaretoken": self.csrf, **data}
        headers = {"Referer": self.base + path}
        return self.post(kind, path, data=data, headers=headers, **kwargs)


def csrf_from(text: str) -> str:
    m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
    return m.group(1) if m else ""


def web_sign_in(
    client: Client,
    username: str,
    password: str,
    *,
    kind: str,
    path: str = "/aanmelden/",
    next_url: str | None = None,
) -> requests.Response:
    page = client.get(kind, path)
    data = {
        "csrfmiddlewaretoken": csrf_from(page.text) or client.csrf,
        "username": username,
        "password": password,
    }
    if next_url is not None:
        data["next"] = next_url
    return client.post(kind, path, data=data, headers={"Referer": client.base + path})


def signed_in(client: Client, kind: str) -> bool:
    """Whether the workbench session is signed in (home page, not the sign-in redirect)."""
    r = client.get(kind, "/")
    return r.status_code == 200


# --- the server under test --------------------------------------------------------------------


class Server:
    """gunicorn, a task worker and the SMTP listener, each in its own process group."""

    def __init__(self, args: argparse.Namespace, env: dict[str, str]) -> None:
        self.args = args
        self.env = env
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.logs: list[Any] = []

    def run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        out = subprocess.run(
            [str(VENV_BIN / "midoffice"), *argv],
            env=self.env,
            cwd=ROOT,
            check=False,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if check and out.returncode:
            raise RuntimeError(
                f"midoffice {' '.join(argv)} failed ({out.returncode}):\n{out.stderr[-2000:]}"
            )
        return out

    def prepare(self) -> None:
        out = self.run("migrate", "--no-input", "-v0")
        out = self.run("demo_data")
        print(f"  {out.stdout.strip()}")
        train = Path(
            os.environ.get("ROUTING_DATA", ROOT.parent / "shared/data/classification/train.jsonl")
        )
        argv = ["classifier", "train", "--if-missing"]
        if train.exists():
            argv += ["--from-jsonl", str(train)]
        result = self.run(*argv, check=False)
        if result.returncode:
            print(
                "  routing model not trained (mail goes to triage):",
                result.stderr.strip().splitlines()[-1:] or "",
            )

    def start(self) -> None:
        data = Path(self.env["MIDOFFICE_DATA_DIR"])
        a = self.args
        commands = [
            (
                "web",
                [
                    str(VENV_BIN / "gunicorn"),
                    "midoffice.wsgi",
                    "-b",
                    f"127.0.0.1:{a.port}",
                    "-k",
                    "gthread",
                    "-w",
                    str(a.gunicorn_workers),
                    "--threads",
                    "8",
                    "--timeout",
                    "120",
                    "--graceful-timeout",
                    "5",
                    # Longer than the pauses between probes: a kept-alive connection the
                    # server drops just as the client reuses it is a client-side error.
                    "--keep-alive",
                    "75",
                    # Not the shared ~/.gunicorn control socket: other servers run here.
                    "--no-control-socket",
                ],
            ),
            (
                "worker",
                [
                    str(VENV_BIN / "midoffice"),
                    "db_worker",
                    "--queue-name",
                    "*",
                    "--interval",
                    "0.5",
                ],
            ),
            (
                "smtp",
                [
                    str(VENV_BIN / "midoffice"),
                    "intake",
                    "listen",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(a.smtp_port),
                ],
            ),
        ]
        for name, argv in commands:
            log = open(data / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop()
            self.logs.append(log)
            proc = subprocess.Popen(
                argv,
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self.procs.append((name, proc))
            print(f"  started {name} (pid {proc.pid}, process group {proc.pid})")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for name, proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} stopped at start (see {data}/{name}.log)")
            try:
                r = requests.get(f"http://127.0.0.1:{a.port}/healthz", timeout=2)
                with contextlib.closing(smtplib.SMTP("127.0.0.1", a.smtp_port, timeout=2)):
                    pass
                if r.status_code == 200:
                    return
            except (requests.RequestException, OSError):
                pass
            time.sleep(0.5)
        raise RuntimeError("the server did not come up in 60 s")

    def stop(self) -> None:
        for _name, proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _name, proc in self.procs:
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        for log in self.logs:
            log.close()
        self.procs = []


def git_state() -> str:
    """The commit under test, and whether the work tree differs from it."""

    def git(*argv: str) -> str:
        git_bin = shutil.which("git") or "git"
        out = subprocess.run([git_bin, *argv], cwd=ROOT, capture_output=True, text=True)
        return out.stdout.strip()

    changed = git("status", "--porcelain", "--untracked-files=no")
    return f"{git('rev-parse', '--short', 'HEAD')} (uncommitted changes: {bool(changed)})"


def fresh_postgres(url: str) -> None:
    """An empty PostgreSQL database of our own: dropped and created again."""
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith("probe"):
        raise SystemExit(
            f"--fresh-database drops the database: use a name starting with 'probe' ({name!r})"
        )
    common = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    common += ["-U", parts.username or "postgres"]
    env = dict(os.environ, PGPASSWORD=urllib.parse.unquote(parts.password or ""))
    for tool, extra in (("dropdb", ["--if-exists", "--force"]), ("createdb", [])):
        binary = shutil.which(tool) or tool
        subprocess.run([binary, *common, *extra, name], env=env, check=True)


def django_setup(code: Path) -> None:
    sys.path.insert(0, str(code))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "midoffice.settings")
    import django

    django.setup()


# --- ground truth (ORM, read-only except for fixtures) ----------------------------------------


class Truth:
    """Reads of the ground truth; fresh objects every time (no caches across requests)."""

    def __init__(self) -> None:
        from midoffice.accounts.models import User
        from midoffice.dossiers.models import Dossier

        self.User = User
        self.Dossier = Dossier

    def user(self, username: str) -> Any:
        return self.User.objects.get(username=username)

    def dossier(self, pk: int) -> Any:
        return self.Dossier.objects.select_related("status", "team").get(pk=pk)

    def visible(self, username: str, dossier_pk: int) -> bool:
        from midoffice.dossiers.selectors import dossier_visible_q

        return self.Dossier.objects.filter(
            dossier_visible_q(self.user(username)), pk=dossier_pk
        ).exists()

    def visible_refs(self, username: str) -> set[str]:
        from midoffice.dossiers.selectors import dossier_visible_q

        return set(
            self.Dossier.objects.filter(dossier_visible_q(self.user(username))).values_list(
                "reference", flat=True
            )
        )

    def may(self, username: str, action: str, dossier_pk: int | None) -> bool:
        from midoffice.accounts.permissions import Action, may

        dossier = self.dossier(dossier_pk) if dossier_pk else None
        return may(self.user(username), Action(action), dossier)

    def may_handle(self, username: str, team_id: int) -> bool:
        from midoffice.accounts.permissions import may_handle

        return may_handle(self.user(username), team_id=team_id)

    def citizen_sees(self, party_pk: int, dossier_pk: int) -> bool:
        from midoffice.parties.models import Party
        from midoffice.portal.selectors import citizen_dossier_q

        party = Party.objects.get(pk=party_pk)
        return self.Dossier.objects.filter(citizen_dossier_q(party), pk=dossier_pk).exists()


class Fixtures:
    """What an attacker would have obtained legitimately: tokens, colleagues, dossiers."""

    def __init__(self) -> None:
        self.tag = secrets.token_hex(3)

    def token(self, username: str) -> str:
        from rest_framework.authtoken.models import Token

        from midoffice.accounts.models import User

        token, _ = Token.objects.get_or_create(user=User.objects.get(username=username))
        return token.key

    def colleague(
        self, username: str, *, team: str, role: str = "handler", is_staff: bool = False
    ) -> Any:
        from midoffice.accounts.models import Team, User

        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "role": role,
                "first_name": username.capitalize(),
                "last_name": "Probe",
                "email": f"{username}@leemdonk.example",
                "is_staff": is_staff,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            if team:
                user.teams.set([Team.objects.get(code=team)])
        return user

    def dossier(
        self, type_code: str, subject: str, *, requester: Any = None, assignee: str | None = None
    ) -> Any:
        from midoffice.accounts.models import User
        from midoffice.catalog.models import DossierType
        from midoffice.dossiers import services

        dossier = services.dossier_open(
            actor=None,
            actor_label="probe fixture",
            dossier_type=DossierType.objects.get(code=type_code),
            subject=f"{subject} [{self.tag}]",
            requester=requester,
            channel="counter",
        )
        if assignee:
            services.dossier_assign(
                actor=None, dossier=dossier, assignee=User.objects.get(username=assignee)
            )
        return dossier

    def letter(self, dossier: Any, author: str) -> Any:
        from midoffice.accounts.models import User
        from midoffice.correspondence import services
        from midoffice.correspondence.models import LetterTemplate

        template = LetterTemplate.objects.filter(name="Algemeen antwoord").first()
        return services.letter_compose(
            actor=User.objects.get(username=author), dossier=dossier, template=template
        )

    def party(self, name: str) -> Any:
        from midoffice.parties.models import Party

        return Party.objects.get(given_name=name)


# --- page checks ------------------------------------------------------------------------------

RAW_PAYLOADS = ["<script>alert(", "<img src=x onerror", "<svg/onload", "<iframe src=javascript"]
SPOOF_CHARS = {
    "\u202e": "RIGHT-TO-LEFT OVERRIDE",
    "\u202d": "LEFT-TO-RIGHT OVERRIDE",
    "\u2066": "LEFT-TO-RIGHT ISOLATE",
    "\u2067": "RIGHT-TO-LEFT ISOLATE",
    "\u200b": "ZERO WIDTH SPACE",
    "\u2060": "WORD JOINER",
    "\ufeff": "ZERO WIDTH NO-BREAK SPACE",
    "\u200e": "LEFT-TO-RIGHT MARK",
    "\u200f": "RIGHT-TO-LEFT MARK",
}


MESSAGE_BODY = re.compile(r'<pre class="mail-text">.*?</pre>', re.S)


def page_findings(text: str) -> list[str]:
    """Unescaped payloads, and spoofing characters (raw or as character references).

    Spoofing characters count in one-line text (subjects, names, file names, summaries:
    what core.display_text is for); inside a message body (``<pre class="mail-text">``)
    they are reported as "in a message body", a note, since bodies are shown as received.
    """
    found = [f"unescaped {p!r}" for p in RAW_PAYLOADS if p.lower() in text.lower()]
    bodies = html.unescape("".join(MESSAGE_BODY.findall(text)))
    rest = html.unescape(MESSAGE_BODY.sub("", text))
    for char, name in SPOOF_CHARS.items():
        if char in rest:
            found.append(f"{name} (U+{ord(char):04X}) shown")
        elif char in bodies:
            found.append(f"{name} (U+{ord(char):04X}) in a message body")
    return found


def check_page(
    kind: str, who: str, path: str, response: requests.Response, *, own_text: bool = False
) -> None:
    """``own_text``: the page shows the visitor's own multi-line text back to them (their
    question in the portal); spoofing characters there are noted, not counted."""
    if response.status_code != 200:
        return
    ctype = response.headers.get("Content-Type", "")
    if "html" not in ctype:
        return
    for finding in page_findings(response.text):
        if (own_text and "unescaped" not in finding) or "message body" in finding:
            why = "the visitor's own question text" if own_text else "shown as received"
            TALLY.note(kind, f"{who} GET {path}: {finding} ({why})")
            continue
        TALLY.check(kind, False, f"{who} GET {path}: {finding}", leak="unescaped" in finding)
    TALLY.check(kind, True, "")


FORMS_SEEN: dict[str, tuple[str, str]] = {}  # action -> (who, page)


def collect_forms(who: str, page: str, text: str) -> None:
    for m in re.finditer(r'<form[^>]*method="post"[^>]*>', text, re.I):
        tag = m.group(0)
        action = re.search(r'action="([^"]*)"', tag)
        target = html.unescape(action.group(1)) if action else page
        if not target:
            target = page
        if target.startswith("/") and target not in FORMS_SEEN:
            FORMS_SEEN[target] = (who, page)


# --- probe: mail (XSS, header injection, spoofing) --------------------------------------------


def _mail(
    subject_header: str,
    from_header: str,
    body: str,
    attachments: list[tuple[str, str, bytes]] = (),
    *,  # type: ignore[assignment]
    html_body: str | None = None,
    extra: str = "",
) -> bytes:
    """A raw MIME message; headers given as they go on the wire (encoded words and all)."""
    boundary = "probe-" + secrets.token_hex(8)
    head = (
        f"From: {from_header}\r\nTo: Gemeente Leemdonk <onthaal@leemdonk.example>\r\n"
        f"Subject: {subject_header}\r\nDate: {formatdate(localtime=True)}\r\n"
        f"Message-ID: {make_msgid(domain='burger.example')}\r\nMIME-Version: 1.0\r\n{extra}"
    )
    parts = [
        (
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
        )
    ]
    if html_body:
        parts.append(
            f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Transfer-Encoding: 8bit\r\n\r\n{html_body}\r\n"
        )
    import base64

    for name_header, ctype, data in attachments:
        parts.append(
            f"--{boundary}\r\nContent-Type: {ctype}\r\n"
            f"Content-Disposition: attachment; {name_header}\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n"
            f"{base64.b64encode(data).decode()}\r\n"
        )
    return (
        head
        + f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
        + "".join(parts)
        + f"--{boundary}--\r\n"
    ).encode("utf-8")


def _ew(text: str) -> str:
    """An RFC 2047 encoded word (base64, UTF-8): how a sender smuggles CR/LF or U+202E."""
    import base64

    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def _rfc2231(name: str) -> str:
    return "filename*=utf-8''" + urllib.parse.quote(name, safe="")


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

MAILS: list[dict[str, Any]] = [
    {
        "sender": "xss.script@burger.example",
        "subject": _ew('<script>alert("xss-subject")</script> Put in het voetpad'),
        "from": _ew("\"><img src=x onerror=alert('xss-name')>") + " <xss.script@burger.example>",
        "body": "Er zit een diepe put in het voetpad aan de Kastanjedreef.\n"
        "<script>alert('xss-body')</script>\n\"><img src=x onerror=alert('body')>",
        "html": "<p>Put</p><script>alert('xss-html')</script><img src=x onerror=alert(1)>",
        "attachments": [
            (_rfc2231("<script>alert('file')</script>.pdf"), "application/pdf", PDF),
            (_rfc2231("\"><img src=x onerror=alert('file2')>.txt"), "text/plain", b"hallo"),
        ],
    },
    {
        "sender": "crlf.inject@burger.example",
        "subject": _ew("Vraag over afval\r\nBcc: victim@evil.example\r\nX-Injected: yes"),
        "from": _ew("Jan\r\nBcc: victim@evil.example\r\nX-Injected: yes")
        + " <crlf.inject@burger.example>",
        "body": "Mijn GFT-container werd niet geledigd. Wanneer komen jullie langs?",
        "extra": "Reply-To: "
        + _ew("Jan\r\nBcc: victim2@evil.example")
        + " <crlf.inject@burger.example>\r\n",
        "attachments": [(_rfc2231("brief\r\nX-Injected: yes.pdf"), "application/pdf", PDF)],
    },
    {
        "sender": "rlo.spoof@burger.example",
        "subject": _ew("Factuur \u202egnp.exe belasting bezwaar"),
        "from": _ew("Dienst Financi\u00ebn \u202eteknaB") + " <rlo.spoof@burger.example>",
        "body": "Ik teken bezwaar aan tegen het aanslagbiljet van de afvalbelasting.",
        "attachments": [(_rfc2231("factuur\u202efdp.exe"), "application/octet-stream", b"MZ..")],
    },
    {
        "sender": "zero.width@burger.example",
        "subject": _ew("\u200b\u200b\u2060\ufeff\u200b"),
        "from": _ew("\u200b\u200b") + " <zero.width@burger.example>",
        "body": "De straatlamp in onze straat brandt niet.",
        "attachments": [(_rfc2231("\u200b\u200b.pdf"), "application/pdf", PDF)],
    },
    {
        "sender": "hulp.vraag@burger.example",
        "subject": "Ik kan mijn energiefactuur niet betalen",
        "from": "Probe Hulpvrager <hulp.vraag@burger.example>",
        "body": "Ik kan mijn energiefactuur niet betalen en zoek hulp van het sociaal huis.",
        "attachments": [('filename="loonbrief.pdf"', "application/pdf", PDF)],
        "confidential": True,
    },
]


def probe_mail_send(args: argparse.Namespace) -> dict[str, Any]:
    """Send the crafted mails to the SMTP listener; wait until the worker handled them."""
    from midoffice.intake.models import InboundMessage

    kind = "mail-xss"
    before = set(InboundMessage.objects.values_list("pk", flat=True))
    for mail in MAILS:
        raw = _mail(
            mail["subject"],
            mail["from"],
            mail["body"],
            mail.get("attachments", []),
            html_body=mail.get("html"),
            extra=mail.get("extra", ""),
        )
        k = TALLY.kind(kind)
        with TALLY.lock:
            k.requests += 1
        try:
            with smtplib.SMTP("127.0.0.1", args.smtp_port, timeout=30) as smtp:
                refused = smtp.sendmail(mail["sender"], ["onthaal@leemdonk.example"], raw)
            TALLY.check(kind, not refused, f"SMTP refused {mail['sender']}: {refused}")
            with TALLY.lock:
                k.statuses[250] += 1
        except smtplib.SMTPException as exc:
            code = getattr(exc, "smtp_code", 0) or 0
            with TALLY.lock:
                k.statuses[code] += 1
                if code >= 500 or code == 451:
                    k.server_errors.append(f"SMTP {mail['sender']}: {exc!r}")
                else:
                    k.unexpected.append(f"SMTP {mail['sender']}: {exc!r}")
    deadline = time.monotonic() + 120
    pending = ("received", "parsed")
    while time.monotonic() < deadline:
        new = InboundMessage.objects.exclude(pk__in=before)
        if new.count() >= len(MAILS) and not new.filter(state__in=pending).exists():
            break
        time.sleep(0.5)
    result: dict[str, Any] = {}
    for message in InboundMessage.objects.exclude(pk__in=before).select_related("dossier"):
        result[message.from_address] = message
        TALLY.check(
            kind,
            message.state not in pending,
            f"mail from {message.from_address} still {message.state} after 120 s",
        )
        if message.state == "quarantined":
            TALLY.note(
                kind,
                f"mail from {message.from_address} quarantined: "
                f"{message.reason_code} {message.reason[:120]}",
            )
    return result


def probe_mail_pages(
    base: str, staff: dict[str, Client], inbound: dict[str, Any], fx: Fixtures, data_dir: Path
) -> None:
    """Open every page that shows the crafted mails; nothing unescaped, nothing spoofing."""
    from midoffice.intake.models import Attachment

    kind = "mail-xss"
    dossiers = [m.dossier for m in inbound.values() if m.dossier_id]
    pages = [
        "/",
        "/triage/",
        "/meldingen/",
        "/zoeken/?q=xss",
        "/zoeken/?q=Factuur",
        "/zoeken/?q=burger.example",
        "/correspondentie/handtekenmap/",
    ]
    for code in sorted({d.team.code for d in dossiers}):
        pages.append(f"/wachtrij/{code}/")
    for who in ("onthaal", "beheerder", "sofie", "ahmed", "ines"):
        for path in pages:
            r = staff[who].get(kind, path)
            check_page(kind, who, path, r)
            collect_forms(who, path, r.text)
    admin = staff["beheerder"]
    r = admin.get(kind, "/intake/post/")
    check_page(kind, "beheerder", "/intake/post/", r)
    collect_forms("beheerder", "/intake/post/", r.text)
    for d in dossiers:
        team_member = next(
            (
                u
                for u in ("sofie", "ahmed", "karel", "ines", "jan", "onthaal")
                if d.team.code in {t.code for t in fx_user_teams(u)}
            ),
            "beheerder",
        )
        for who in {team_member, "beheerder", "onthaal"}:
            r = staff[who].get(kind, f"/dossiers/{d.reference}/")
            if r.status_code == 200:
                check_page(kind, who, f"/dossiers/{d.reference}/", r)
                collect_forms(who, f"/dossiers/{d.reference}/", r.text)
                for m in re.finditer(r'href="(/dossiers/[^"]+/bijlagen/\d+/)"', r.text):
                    path = m.group(1)
                    a = staff[who].get(kind, path)
                    disposition = a.headers.get("Content-Disposition", "")
                    raw = urllib.parse.unquote(disposition)
                    bad = [n for c, n in SPOOF_CHARS.items() if c in raw]
                    TALLY.check(
                        kind,
                        not bad and "\r" not in raw and "\n" not in raw,
                        f"{who} GET {path}: Content-Disposition {disposition!r} {bad}",
                    )
                    TALLY.check(
                        kind,
                        a.headers.get("Content-Type", "").startswith("application/octet-stream")
                        or a.status_code != 200,
                        f"{who} GET {path}: attachment served as "
                        f"{a.headers.get('Content-Type')} (may render in our origin)",
                        leak=True,
                    )
        for party in d.parties.select_related("party"):
            r = staff["beheerder"].get(kind, f"/contacten/{party.party_id}/")
            check_page(kind, "beheerder", f"/contacten/{party.party_id}/", r)
    # The sender's own view: the portal, signed in with the link the town mails them.
    for address, message in inbound.items():
        if not message.dossier_id or message.dossier.confidential:
            continue
        citizen = Client(base, label=f"citizen {address}")
        if portal_sign_in(citizen, address, data_dir, kind=kind):
            ref = message.dossier.reference
            for path in ("/mijn/", f"/mijn/dossiers/{ref}"):
                r = citizen.get(kind, path)
                check_page(kind, f"citizen {address}", path, r)
            # The sender asks a follow-up question full of payloads; staff read it.
            path = f"/mijn/dossiers/{ref}/vraag"
            page = citizen.get(kind, f"/mijn/dossiers/{ref}")
            r = citizen.post(
                kind,
                path,
                data={
                    "csrfmiddlewaretoken": csrf_from(page.text) or citizen.csrf,
                    "about": "dossier",
                    "text": "<script>alert('vraag')</script> \"><img src=x onerror=alert(9)> "
                    "\u202eFactuur\u200b",
                },
                files={"attachment": ("bijlage\u202etxt.exe.txt", b"tekst\n", "text/plain")},
                headers={"Referer": citizen.base + path},
            )
            TALLY.check(
                kind, r.status_code in (302, 400), f"{address} POST {path}: {r.status_code}"
            )
            for path in (f"/mijn/dossiers/{ref}", "/mijn/"):
                check_page(kind, f"citizen {address}", path, citizen.get(kind, path), own_text=True)
            for who in ("beheerder", "onthaal", "sofie", "ahmed", "ines"):
                path = f"/dossiers/{ref}/"
                check_page(kind, who, path, staff[who].get(kind, path))
            for p in message.dossier.parties.all():
                path = f"/contacten/{p.party_id}/"
                check_page(kind, "beheerder", path, staff["beheerder"].get(kind, path))
        else:
            TALLY.note(kind, f"no portal sign-in link for {address} (no contact with a dossier?)")
    # Outgoing mail (acknowledgements) must not carry injected headers.
    for path in sorted((data_dir / "mail-out").glob("*.log")):
        text = path.read_text(errors="replace")
        for block in text.split("\n" + "-" * 79 + "\n"):
            headers = block.split("\n\n", 1)[0]
            injected = re.findall(r"^(Bcc|X-Injected):.*$", headers, re.M | re.I)
            TALLY.check(
                kind,
                not injected and "victim" not in headers,
                f"outgoing mail {path.name}: injected header(s) {injected}",
                leak=True,
            )
    # Stored attachments: names from outside never reach the file system as given.
    for a in Attachment.objects.filter(message__in=[m.pk for m in inbound.values()]):
        TALLY.check(
            kind,
            "/" not in a.stored_name.split("/")[-1] and ".." not in a.stored_name,
            f"attachment {a.pk} stored as {a.stored_name!r}",
            leak=True,
        )


def fx_user_teams(username: str) -> list[Any]:
    from midoffice.accounts.models import User

    return list(User.objects.get(username=username).teams.all())


# --- probe: portal sign-in (the citizen's own mailbox is the caught mail) ----------------------


def _mail_links(data_dir: Path, address: str) -> list[str]:
    links = []
    folder = data_dir / "mail-out"
    for path in sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime):
        text = path.read_text(errors="replace")
        for block in text.split("\n" + "-" * 79 + "\n"):
            if address.lower() not in block.lower():
                continue
            joined = re.sub(r"=\r?\n", "", block)  # quoted-printable soft breaks
            links += re.findall(r"/mijn/aanmelden/link/([A-Za-z0-9_\-]{20,})/", joined)
    return links


def portal_sign_in(client: Client, address: str, data_dir: Path, *, kind: str) -> bool:
    known = set(_mail_links(data_dir, address))
    page = client.get(kind, "/mijn/aanmelden/")
    r = client.post(
        kind,
        "/mijn/aanmelden/",
        data={"csrfmiddlewaretoken": csrf_from(page.text) or client.csrf, "email": address},
        headers={"Referer": client.base + "/mijn/aanmelden/"},
    )
    if r.status_code != 200:
        TALLY.unexpected(kind, f"portal sign-in request for {address}: {r.status_code}")
        return False
    token = None
    for _ in range(40):
        fresh = [t for t in _mail_links(data_dir, address) if t not in known]
        if fresh:
            token = fresh[-1]
            break
        time.sleep(0.25)
    if token is None:
        return False
    path = f"/mijn/aanmelden/link/{token}/"
    page = client.get(kind, path)
    r = client.post(
        kind,
        path,
        data={"csrfmiddlewaretoken": csrf_from(page.text) or client.csrf},
        headers={"Referer": client.base + path},
    )
    return r.status_code == 302 and client.get(kind, "/mijn/").status_code == 200


# --- probe: cross-team reads ---------------------------------------------------------------


def probe_reads(staff: dict[str, Client], api: dict[str, Client], truth: Truth) -> None:
    from midoffice.correspondence.models import Letter
    from midoffice.dossiers.models import Dossier
    from midoffice.intake.models import Attachment

    kind = "cross-team read"
    dossiers = list(
        Dossier.objects.order_by("pk").values_list("pk", "reference", "confidential", "subject")
    )
    letters = list(Letter.objects.values_list("pk", "dossier_id"))
    attachments = list(
        Attachment.objects.filter(message__dossier__isnull=False).values_list(
            "pk", "message__dossier_id"
        )
    )
    refs = {pk: ref for pk, ref, _c, _s in dossiers}
    print(
        f"  {len(dossiers)} dossiers, {len(letters)} letters, {len(attachments)} attachments,"
        f" {len(STAFF)} staff users"
    )

    def expect(who: str, what: str, path: str, r: requests.Response, visible: bool) -> None:
        if r.status_code >= 500:
            return
        if visible:
            TALLY.check(
                kind,
                r.status_code == 200,
                f"{who} {what} {path}: {r.status_code}, expected 200 (visible)",
            )
        else:
            TALLY.check(
                kind,
                r.status_code == 404,
                f"{who} {what} {path}: {r.status_code} for an invisible dossier "
                f"{'(CONTENT SERVED)' if r.status_code == 200 else ''}",
                leak=r.status_code == 200,
            )

    for who in STAFF:
        web, tok = staff[who], api[who]
        seen = truth.visible_refs(who)
        for _pk, ref, _confidential, _subject in dossiers:
            visible = ref in seen
            path = f"/dossiers/{ref}/"
            r = web.get(kind, path)
            expect(who, "web", path, r, visible)
            if r.status_code == 200:
                collect_forms(who, path, r.text)
            for path in (f"/api/v1/dossiers/{ref}/", f"/api/v1/dossiers/{ref}/events/"):
                expect(who, "api", path, tok.get(kind, path), visible)
            path = f"/correspondentie/dossiers/{ref}/antwoord/"
            r = web.get(kind, path)
            expect(who, "web", path, r, visible)
            if r.status_code == 200:
                collect_forms(who, path, r.text)
        for letter_pk, dossier_pk in letters:
            path = f"/correspondentie/brieven/{letter_pk}/"
            r = web.get(kind, path)
            expect(who, "web", path, r, refs[dossier_pk] in seen)
            if r.status_code == 200:
                collect_forms(who, path, r.text)
        for attachment_pk, dossier_pk in attachments:
            path = f"/dossiers/{refs[dossier_pk]}/bijlagen/{attachment_pk}/"
            r = web.get(kind, path)
            if r.status_code == 403 and refs[dossier_pk] in seen:
                # A dangerous attachment held until someone releases it: refused, no leak.
                TALLY.check(kind, True, "")
                TALLY.note(kind, f"{who} GET {path}: 403 (a held attachment)")
            else:
                expect(who, "web", path, r, refs[dossier_pk] in seen)
            # Through a dossier the user does see, the attachment of another one: never.
            other = next(
                (ref for pk, ref, _c, _s in dossiers if ref in seen and pk != dossier_pk), None
            )
            if other:
                path = f"/dossiers/{other}/bijlagen/{attachment_pk}/"
                r = web.get(kind, path)
                TALLY.check(
                    kind,
                    r.status_code == 404,
                    f"{who} GET {path}: {r.status_code} (attachment of another dossier)",
                    leak=r.status_code == 200,
                )
        # The API list: only visible dossiers, however far one pages.
        url: str | None = "/api/v1/dossiers/?page_size=200"
        listed: set[str] = set()
        while url:
            r = tok.get(kind, url)
            if r.status_code != 200:
                TALLY.unexpected(kind, f"{who} GET {url}: {r.status_code}")
                break
            body = r.json()
            listed |= {row["reference"] for row in body["results"]}
            url = body.get("next")
        extra = listed - seen
        TALLY.check(
            kind, not extra, f"{who} API list shows invisible dossiers {sorted(extra)}", leak=True
        )
        # Search and queues: an invisible dossier's reference never appears.
        for path in ("/zoeken/?q=probe", "/zoeken/?q=hulp", "/"):
            r = web.get(kind, path)
            shown = set(re.findall(r"/dossiers/(\d{4}-\d{6})/", r.text))
            TALLY.check(
                kind,
                not (shown - seen),
                f"{who} GET {path} lists invisible dossiers {sorted(shown - seen)}",
                leak=True,
            )
        r = web.get(kind, "/correspondentie/handtekenmap/")
        shown = set(re.findall(r"/correspondentie/brieven/(\d+)/", r.text))
        hidden = {str(pk) for pk, d in letters if refs[d] not in seen}
        TALLY.check(
            kind,
            not (shown & hidden),
            f"{who} signature folder lists letters of invisible dossiers",
            leak=True,
        )


# --- probe: cross-team writes ----------------------------------------------------------------

WRITE_KINDS = [
    # label, dossier type, team handler who drafts the letter, assigned to
    ("omgeving", "omgevingsvergunning-vooroverleg", "sofie", None),
    ("burgerzaken", "adreswijziging", "ahmed", None),
    ("welzijn-confidential", "sociale-hulpvraag", "karel", None),
    ("onthaal-triage", "triage", None, None),
    ("evenementen-assigned", "evenementenvergunning", "ines", "ines"),
]


@dataclass
class WriteCase:
    who: str
    label: str
    web_pk: int
    api_pk: int
    letter_pk: int | None


def make_write_fixtures(fx: Fixtures) -> list[WriteCase]:
    cases = []
    emma = fx.party("Emma")
    # A second colleague in the events team, so its dossier (assigned to ines) can be
    # reassigned to someone: assign is then tested on it too.
    fx.colleague("probe-eva", team="evenementen")
    for who in STAFF:
        for label, type_code, author, assignee in WRITE_KINDS:
            web = fx.dossier(
                type_code, f"Schrijfproef web {who} {label}", requester=emma, assignee=assignee
            )
            api = fx.dossier(
                type_code, f"Schrijfproef API {who} {label}", requester=emma, assignee=assignee
            )
            letter = fx.letter(web, author) if author else None
            cases.append(WriteCase(who, label, web.pk, api.pk, letter.pk if letter else None))
    return cases


def _member(truth: Truth, dossier: Any, not_user: str) -> Any:
    """A colleague the dossier may be given to (team member whose role may take it)."""
    for u in dossier.team.members.filter(is_active=True).order_by("username"):
        if (
            u.username != not_user
            and u.pk != dossier.assignee_id
            and not u.username.startswith("race")
            and truth.may_handle(u.username, dossier.team_id)
        ):
            return u
    return None


def _outsiders(truth: Truth, dossier: Any) -> list[str]:
    out = []
    for name in ("sofie", "ahmed", "onthaal", "archivaris", "karel"):
        if not truth.may_handle(name, dossier.team_id):
            out.append(name)
    return out[:2]


WRITE_OUTCOMES: collections.Counter[tuple[str, str]] = collections.Counter()


def _probe_write_case(
    staff: dict[str, Client],
    api: dict[str, Client],
    truth: Truth,
    case: WriteCase,
    general: int,
    noor: Any,
) -> None:
    """Every write on the two fixture dossiers of one (user, kind of dossier) case."""
    from midoffice.correspondence.models import Letter
    from midoffice.dossiers.models import Event, ExternalLink, Interaction

    kind = "cross-team write"
    who, web, tok = case.who, staff[case.who], api[case.who]
    d = truth.dossier(case.web_pk)
    ref = d.reference
    marker = f"probe-{secrets.token_hex(5)}"

    def attempt(
        action: str | tuple[str, ...],
        path: str,
        data: dict[str, Any],
        effect: Callable[[], bool],
        *,
        client: Client = web,
        api_json: bool = False,
        extra_rule: bool = True,
        pk: int = case.web_pk,
        what: str = "",
    ) -> None:
        actions = (action,) if isinstance(action, str) else action
        visible = truth.visible(who, pk)
        rule = visible and all(truth.may(who, a, pk) for a in actions) and extra_rule
        if effect():
            # Already so before the request: this attempt cannot show an effect.
            via = "API" if api_json else "web"
            WRITE_OUTCOMES[(f"{via} {what or '/'.join(actions)}", "skipped: already so")] += 1
            return
        r = client.post(kind, path, json=data) if api_json else client.form_post(kind, path, data)
        done = effect()
        via = "API" if api_json else "web"
        name = what or "/".join(actions)
        label = f"{who} ({case.label}) {name} POST {path} -> {r.status_code}"
        if done and not rule:
            TALLY.leak(kind, f"{label}: took effect, the role table says no")
            outcome = "LEAK"
        elif not visible:
            TALLY.check(kind, r.status_code == 404, f"{label}: expected 404 (invisible)")
            outcome = f"invisible, {r.status_code}"
        elif not rule:
            ok = r.status_code in (403, 400, 409)
            if not ok and r.status_code in (200, 302) and not api_json:
                # Refused, said on the page (a message) rather than with an error status:
                # the letter pages do this; counted in the outcome table below.
                ok = True
            TALLY.check(kind, ok, f"{label}: refused without an error status")
            outcome = f"refused, {r.status_code}"
        else:
            ok = done or r.status_code in (400, 409)
            TALLY.check(kind, ok, f"{label}: allowed by the table but no effect")
            outcome = f"done, {r.status_code}" if done else f"allowed, not done, {r.status_code}"
        WRITE_OUTCOMES[(f"{via} {name}", outcome)] += 1

    def fresh() -> Any:
        return truth.dossier(case.web_pk)

    base = f"/dossiers/{ref}"
    attempt(
        "note",
        f"{base}/notitie/",
        {"text": marker},
        lambda: any(
            marker in (e.summary + json.dumps(e.data))
            for e in Event.objects.filter(dossier_id=case.web_pk)
        ),
    )
    attempt(
        "log_contact",
        f"{base}/contact/",
        {"channel": "phone", "direction": "in", "summary": marker},
        lambda: Interaction.objects.filter(
            dossier_id=case.web_pk, summary__contains=marker
        ).exists(),
    )
    attempt(
        "link",
        f"{base}/koppeling/",
        {"system": "probe", "external_id": marker, "url": ""},
        lambda: ExternalLink.objects.filter(dossier_id=case.web_pk, external_id=marker).exists(),
    )
    extendable = d.dossier_type.extension_allowed and d.dossier_type.extension_days > 0
    attempt(
        "extend",
        f"{base}/verlengen/",
        {"reason": marker},
        lambda: fresh().extended,
        extra_rule=extendable,
    )
    if case.letter_pk:
        attempt(
            "write_letter",
            f"/correspondentie/brieven/{case.letter_pk}/",
            {"action": "save", "subject": marker, "body": "Tekst van de proef."},
            lambda: Letter.objects.get(pk=case.letter_pk).subject == marker,
            what="edit another's draft letter",
        )
    n_letters = Letter.objects.filter(dossier_id=case.web_pk).count()
    attempt(
        "write_letter",
        f"/correspondentie/dossiers/{ref}/antwoord/",
        {"template": general},
        lambda: Letter.objects.filter(dossier_id=case.web_pk).count() > n_letters,
        what="compose letter",
    )
    attempt(
        "set_requester",
        f"{base}/aanvrager/",
        {"contact": "noor.jacobs@voorbeeld.example"},
        lambda: fresh().requester_id == noor.pk,
    )
    unassigned = d.assignee_id is None
    attempt(
        "take",
        f"{base}/nemen/",
        {},
        lambda: fresh().assignee_id == truth.user(who).pk,
        extra_rule=unassigned,
    )
    member = _member(truth, fresh(), who)
    if member is not None:
        attempt(
            "assign",
            f"{base}/toewijzen/",
            {"assignee": member.pk},
            lambda m=member: fresh().assignee_id == m.pk,
        )
    attempt(
        "change_status",
        f"{base}/status/",
        {"status": "in-behandeling", "reason": marker, "result": ""},
        lambda: fresh().status.code == "in-behandeling",
    )
    attempt(
        ("change_status", "close"),
        f"{base}/status/",
        {"status": "afgesloten", "reason": marker, "result": "beantwoord"},
        lambda: not fresh().is_open,
        what="close",
    )

    # The API: take, assign (to a colleague, and to outsiders), status, close.
    a = truth.dossier(case.api_pk)
    aref = a.reference

    def afresh() -> Any:
        return truth.dossier(case.api_pk)

    api_base = f"/api/v1/dossiers/{aref}"
    attempt(
        "take",
        f"{api_base}/take/",
        {},
        lambda: afresh().assignee_id == truth.user(who).pk,
        client=tok,
        api_json=True,
        pk=case.api_pk,
        extra_rule=a.assignee_id is None,
    )
    for outsider in _outsiders(truth, a):
        attempt(
            "assign",
            f"{api_base}/assign/",
            {"assignee": outsider},
            lambda o=outsider: afresh().assignee_id == truth.user(o).pk,
            client=tok,
            api_json=True,
            pk=case.api_pk,
            extra_rule=False,
            what=f"assign to outsider {outsider}",
        )
    member = _member(truth, afresh(), who)
    if member is not None:
        attempt(
            "assign",
            f"{api_base}/assign/",
            {"assignee": member.username},
            lambda m=member: afresh().assignee_id == m.pk,
            client=tok,
            api_json=True,
            pk=case.api_pk,
        )
    attempt(
        "change_status",
        f"{api_base}/status/",
        {"status": "in-behandeling", "reason": marker},
        lambda: afresh().status.code == "in-behandeling",
        client=tok,
        api_json=True,
        pk=case.api_pk,
    )
    attempt(
        ("change_status", "close"),
        f"{api_base}/status/",
        {"status": "afgesloten", "reason": marker, "result": "beantwoord"},
        lambda: not afresh().is_open,
        client=tok,
        api_json=True,
        pk=case.api_pk,
        what="close",
    )


def probe_writes(
    staff: dict[str, Client], api: dict[str, Client], truth: Truth, cases: list[WriteCase]
) -> None:
    from midoffice.correspondence.models import LetterTemplate

    kind = "cross-team write"
    general = LetterTemplate.objects.get(name="Algemeen antwoord").pk
    noor = Fixtures().party("Noor")
    for case in cases:
        _probe_write_case(staff, api, truth, case, general, noor)
    rows: dict[str, list[str]] = collections.defaultdict(list)
    for (name, outcome), n in sorted(WRITE_OUTCOMES.items()):
        rows[name].append(f"{outcome} ×{n}")
    for name, outcomes in rows.items():
        TALLY.note(kind, f"{name}: " + "; ".join(outcomes))


def probe_confidential_assign(api: dict[str, Client], truth: Truth, fx: Fixtures) -> None:
    """The finding of issue 19 item 3, head on: another team's confidential dossier, assigned
    through the API to an outsider (a handler of another team, the front desk)."""
    kind = "cross-team write"
    d = fx.dossier("sociale-hulpvraag", "Vertrouwelijk toewijzen", requester=fx.party("Lucas"))
    for actor in ("karel", "beheerder"):
        for outsider in ("sofie", "onthaal", "archivaris", "ines"):
            path = f"/api/v1/dossiers/{d.reference}/assign/"
            r = api[actor].post(kind, path, json={"assignee": outsider})
            got = truth.dossier(d.pk).assignee
            TALLY.check(
                kind,
                got is None or got.username != outsider,
                f"{actor} API assign confidential {d.reference} to {outsider}: "
                f"{r.status_code}, assignee now {got}",
                leak=True,
            )
            TALLY.check(
                kind,
                r.status_code in (400, 403, 404),
                f"{actor} API assign confidential to {outsider}: {r.status_code}",
            )


# --- probe: cross-citizen ------------------------------------------------------------------


def probe_citizens(
    base: str, staff: dict[str, Client], truth: Truth, fx: Fixtures, data_dir: Path
) -> None:
    from midoffice.dossiers.models import Dossier
    from midoffice.portal.models import CitizenDocument, FollowUpQuestion

    kind = "cross-citizen"
    emma, lucas = fx.party("Emma"), fx.party("Lucas")
    citizens = {}
    for party, address in (
        (emma, "emma.desmet@voorbeeld.example"),
        (lucas, "lucas.vdb@voorbeeld.example"),
    ):
        client = Client(base, label=f"citizen {party.given_name}")
        ok = portal_sign_in(client, address, data_dir, kind=kind)
        TALLY.check(kind, ok, f"{party.given_name} could not sign in to the portal")
        if ok:
            citizens[party.given_name] = (party, client)
    if len(citizens) < 2:
        return
    # Each asks a question with a document on each of their own open dossiers (legitimately).
    for _name, (party, client) in citizens.items():
        own = [
            d
            for d in Dossier.objects.filter(requester=party, is_open=True).order_by("pk")
            if not d.subject.startswith("Schrijfproef")
        ][:2]
        for d in own:
            path = f"/mijn/dossiers/{d.reference}/vraag"
            page = client.get(kind, f"/mijn/dossiers/{d.reference}")
            r = client.post(
                kind,
                path,
                data={
                    "csrfmiddlewaretoken": csrf_from(page.text) or client.csrf,
                    "text": f"Vraag van {party.given_name}",
                    "about": "dossier",
                },
                files={
                    "attachment": (
                        f"{party.given_name.lower()}.txt",
                        b"mijn document\n",
                        "text/plain",
                    )
                },
                headers={"Referer": client.base + path},
            )
            TALLY.check(
                kind,
                r.status_code == 302,
                f"{party.given_name} asks on own {d.reference}: {r.status_code}",
            )
            collect_forms(f"citizen {party.given_name}", f"/mijn/dossiers/{d.reference}", page.text)

    def sweep(tag: str) -> None:
        documents = list(CitizenDocument.objects.select_related("dossier").order_by("pk"))
        dossiers = list(Dossier.objects.order_by("pk").values_list("pk", "reference"))
        for name, (party, client) in citizens.items():
            home = client.get(kind, "/mijn/")
            listed = set(re.findall(r"/mijn/dossiers/(\d{4}-\d{6})", home.text))
            allowed = {ref for pk, ref in dossiers if truth.citizen_sees(party.pk, pk)}
            TALLY.check(
                kind,
                not (listed - allowed),
                f"{tag}{name}'s portal home lists {sorted(listed - allowed)}",
                leak=True,
            )
            for pk, ref in dossiers:
                sees = truth.citizen_sees(party.pk, pk)
                if sees and ref not in listed and tag == "":
                    continue  # skip the bulk of own dossiers on the first sweep only
                path = f"/mijn/dossiers/{ref}"
                r = client.get(kind, path)
                if sees:
                    TALLY.check(
                        kind,
                        r.status_code == 200,
                        f"{tag}{name} GET {path}: {r.status_code}, expected 200",
                    )
                else:
                    TALLY.check(
                        kind,
                        r.status_code == 404,
                        f"{tag}{name} GET {path}: {r.status_code} (not theirs)",
                        leak=r.status_code == 200,
                    )
            for doc in documents:
                sees = truth.citizen_sees(party.pk, doc.dossier_id)
                path = f"/mijn/dossiers/{doc.dossier.reference}/documenten/{doc.pk}"
                r = client.get(kind, path)
                TALLY.check(
                    kind,
                    (r.status_code == 200) == sees,
                    f"{tag}{name} GET {path}: {r.status_code} "
                    f"({'theirs' if sees else 'not theirs'})",
                    leak=r.status_code == 200 and not sees,
                )
                # The other's document through one's own dossier reference.
                own = next(
                    (
                        ref
                        for pk, ref in dossiers
                        if truth.citizen_sees(party.pk, pk) and pk != doc.dossier_id
                    ),
                    None,
                )
                if own and not sees:
                    path = f"/mijn/dossiers/{own}/documenten/{doc.pk}"
                    r = client.get(kind, path)
                    TALLY.check(
                        kind,
                        r.status_code == 404,
                        f"{tag}{name} GET {path}: "
                        f"{r.status_code} (another's document via own dossier)",
                        leak=r.status_code == 200,
                    )

    sweep("")
    # Writes on the other's dossiers: a question (with and without a new dossier), the page.
    for name, (party, client) in citizens.items():
        other = next(p for n, (p, _c) in citizens.items() if n != name)
        for d in Dossier.objects.filter(requester=other).order_by("pk")[:3]:
            if truth.citizen_sees(party.pk, d.pk):
                continue
            for about in ("dossier", "property"):
                before_q = FollowUpQuestion.objects.count()
                before_d = Dossier.objects.count()
                path = f"/mijn/dossiers/{d.reference}/vraag"
                r = client.post(
                    kind,
                    path,
                    data={
                        "csrfmiddlewaretoken": client.csrf,
                        "text": "Ik lees mee",
                        "about": about,
                    },
                    headers={"Referer": client.base + path},
                )
                took = (
                    FollowUpQuestion.objects.count() != before_q
                    or Dossier.objects.count() != before_d
                )
                TALLY.check(
                    kind,
                    not took and r.status_code == 404,
                    f"{name} POST {path} about={about}: {r.status_code}"
                    f"{' and it was stored' if took else ''}",
                    leak=took,
                )
    # A replaced requester: the handler makes Noor the requester of Emma's dossier.
    party, client = citizens["Emma"]
    target = next(
        d
        for d in Dossier.objects.filter(
            requester=party, is_open=True, team__code="omgeving"
        ).order_by("pk")
        if not d.subject.startswith("Schrijfproef")
    )
    TALLY.check(kind, truth.citizen_sees(party.pk, target.pk), "Emma should see her dossier first")
    r = staff["sofie"].form_post(
        kind,
        f"/dossiers/{target.reference}/aanvrager/",
        {"contact": "noor.jacobs@voorbeeld.example"},
    )
    changed = truth.dossier(target.pk).requester_id == fx.party("Noor").pk
    TALLY.check(
        kind,
        changed,
        f"sofie could not replace the requester of {target.reference}: {r.status_code}",
    )
    if changed:
        for path in [f"/mijn/dossiers/{target.reference}"] + [
            f"/mijn/dossiers/{target.reference}/documenten/{doc.pk}"
            for doc in CitizenDocument.objects.filter(dossier=target)
        ]:
            r = client.get(kind, path)
            TALLY.check(
                kind,
                r.status_code == 404,
                f"replaced requester Emma GET {path}: {r.status_code}",
                leak=r.status_code == 200,
            )
        home = client.get(kind, "/mijn/")
        TALLY.check(
            kind,
            target.reference not in home.text,
            f"replaced requester Emma still sees {target.reference} on /mijn/",
            leak=True,
        )
        path = f"/mijn/dossiers/{target.reference}/vraag"
        r = client.post(
            kind,
            path,
            data={"csrfmiddlewaretoken": client.csrf, "text": "nog iets?"},
            headers={"Referer": client.base + path},
        )
        TALLY.check(
            kind,
            r.status_code == 404,
            f"replaced requester Emma POST {path}: {r.status_code}",
            leak=r.status_code in (200, 302),
        )
    sweep("after the requester change: ")


# --- probe: caught-mail page ----------------------------------------------------------------


def probe_mail_page(staff: dict[str, Client], truth: Truth) -> None:
    from midoffice.intake.models import InboundMessage

    kind = "mail-page"
    quarantined = InboundMessage.objects.filter(state="quarantined").first()
    for who in STAFF:
        r = staff[who].get(kind, "/intake/post/")
        admin = truth.may(who, "manage_mail", None)
        if not admin:
            TALLY.check(
                kind,
                r.status_code == 403,
                f"{who} GET /intake/post/: {r.status_code}",
                leak=r.status_code == 200,
            )
        else:
            TALLY.check(kind, r.status_code == 200, f"{who} GET /intake/post/: {r.status_code}")
            links = re.findall(r"/mijn/aanmelden/link/[A-Za-z0-9_\-]{20,}", r.text)
            TALLY.check(
                kind,
                not links,
                f"{who} sees portal sign-in links on /intake/post/: {len(links)}",
                leak=True,
            )
            TALLY.check(
                kind,
                "Je aanmeldlink" in r.text or "aanmeldlink" in r.text.lower(),
                "the sign-in mail is not among the caught mail (nothing hidden to check)",
            )
        target = quarantined.pk if quarantined else 999999
        path = f"/intake/post/{target}/opnieuw/"
        r = staff[who].form_post(kind, path, {})
        if not admin:
            TALLY.check(
                kind,
                r.status_code == 403,
                f"{who} POST {path}: {r.status_code}",
                leak=r.status_code in (200, 302),
            )


# --- probe: races ----------------------------------------------------------------------------


def probe_races(base: str, fx: Fixtures, truth: Truth, rounds: int) -> None:
    from midoffice.dossiers.models import Event

    kind = "races"
    names = [f"race{i:02d}" for i in range(1, 17)]
    webs, apis = {}, {}
    for name in names:
        fx.colleague(name, team="omgeving")
        client = Client(base, label=name)
        r = web_sign_in(client, name, DEMO_PASSWORD, kind=kind)
        TALLY.check(kind, r.status_code == 302, f"{name} sign-in: {r.status_code}")
        webs[name] = client
        apis[name] = Client(base, token=fx.token(name), label=f"{name} (API)")
    for round_no in range(rounds):
        for mode in ("web", "api", "mixed"):
            d = fx.dossier("info-verbouwen", f"Wedloop {mode} {round_no}")
            barrier = threading.Barrier(len(names))

            def take(
                i: int,
                name: str,
                ref: str = d.reference,
                mode: str = mode,
                barrier: threading.Barrier = barrier,
            ) -> tuple[str, str, int, str]:
                use_api = mode == "api" or (mode == "mixed" and i % 2)
                barrier.wait()
                if use_api:
                    r = apis[name].post(kind, f"/api/v1/dossiers/{ref}/take/")
                else:
                    r = webs[name].form_post(kind, f"/dossiers/{ref}/nemen/", {})
                return name, "api" if use_api else "web", r.status_code, r.text

            with concurrent.futures.ThreadPoolExecutor(len(names)) as pool:
                results = list(pool.map(lambda a: take(*a), enumerate(names)))
            winners = [
                (n, via)
                for n, via, status, _t in results
                if (via == "web" and status == 302) or (via == "api" and status == 200)
            ]
            losers = [
                (n, via, status, text)
                for n, via, status, text in results
                if (n, via) not in winners
            ]
            holder = truth.dossier(d.pk).assignee
            assigned = Event.objects.filter(dossier_id=d.pk, kind="dossier.assigned").count()
            label = f"race {mode} #{round_no} on {d.reference}"
            TALLY.check(
                kind,
                len(winners) == 1
                and holder is not None
                and holder.username == winners[0][0]
                and assigned == 1,
                f"{label}: winners {winners}, assignee {holder}, {assigned} assignment events",
                leak=len(winners) > 1,
            )
            for n, via, status, text in losers:
                clear = status == 409 and ("genomen" in text or "al" in text)
                TALLY.check(kind, clear, f"{label}: {n} via {via} got {status} {text[:120]!r}")


# --- probe: CSRF and open redirects -------------------------------------------------------


def probe_csrf(base: str, staff: dict[str, Client], citizen_data: tuple[str, Path]) -> None:
    kind = "csrf"
    portal = Client(base, label="citizen (csrf)")
    # Forms a visitor sees before signing in.
    for path in ("/aanmelden/", "/mijn/aanmelden/", "/admin/login/"):
        r = portal.get(kind, path)
        collect_forms("anonymous", path, r.text)
    extra = {
        "/aanmelden/": "anonymous",
        "/mijn/aanmelden/": "anonymous",
        "/admin/login/": "anonymous",
        "/afmelden/": "sofie",
        "/admin/logout/": "beheerder",
        "/onthaal/registreren/": "onthaal",
        "/api/v1/dossiers/": "sofie",
    }
    for path, who in extra.items():
        FORMS_SEEN.setdefault(path, (who, path))
    for action, (who, page) in sorted(FORMS_SEEN.items()):
        if who.startswith("citizen"):
            continue  # the portal forms are tried below with a signed-in citizen
        client = staff.get(who, portal)
        # As a foreign site would: the cookies go along, the token does not.
        body: dict[str, Any] = (
            {"json": {"dossier_type": "triage", "subject": "csrf"}}
            if action.startswith("/api/")
            else {"data": {"probe": "csrf"}}
        )
        r = client.post(kind, action, **body)
        TALLY.check(
            kind,
            r.status_code == 403,
            f"{who} POST {action} without CSRF token (form on {page}): {r.status_code}",
            leak=r.status_code in (200, 201, 302),
        )
        if action.startswith("/api/"):
            r = client.post(kind, action, headers={"X-CSRFToken": "x" * 64}, **body)
        else:
            r = client.post(kind, action, data={"probe": "csrf", "csrfmiddlewaretoken": "x" * 64})
        TALLY.check(
            kind,
            r.status_code == 403,
            f"{who} POST {action} with a forged CSRF token: {r.status_code}",
            leak=r.status_code in (200, 201, 302),
        )
    # The API with a session (not a token) is a browser too.
    r = staff["sofie"].post(
        kind, "/api/v1/dossiers/", json={"dossier_type": "triage", "subject": "csrf"}
    )
    TALLY.check(
        kind,
        r.status_code == 403,
        f"sofie session POST /api/v1/dossiers/ without CSRF: {r.status_code}",
        leak=r.status_code == 201,
    )
    # The portal's forms with a signed-in citizen.
    address, data_dir = citizen_data
    citizen = Client(base, label="citizen (csrf)")
    if portal_sign_in(citizen, address, data_dir, kind=kind):
        home = citizen.get(kind, "/mijn/")
        refs = re.findall(r"/mijn/dossiers/(\d{4}-\d{6})", home.text)
        paths = ["/mijn/afmelden/", "/mijn/voorkeuren/"] + [
            f"/mijn/dossiers/{r}/vraag" for r in refs[:2]
        ]
        for path in paths:
            r = citizen.post(kind, path, data={"text": "csrf", "preferred_channel": "post"})
            TALLY.check(
                kind,
                r.status_code == 403,
                f"citizen POST {path} without CSRF token: {r.status_code}",
                leak=r.status_code in (200, 302),
            )


EVIL = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "https:evil.example",
    "\\\\evil.example",
    "http://127.0.0.1.evil.example/",
    "/%2F%2Fevil.example",
]


def _offsite(location: str, base: str) -> bool:
    if not location:
        return False
    target = urllib.parse.urljoin(base + "/aanmelden/", location.replace("\\", "/"))
    host = urllib.parse.urlsplit(target).netloc
    return host not in (urllib.parse.urlsplit(base).netloc, "")


def probe_redirects(base: str) -> None:
    kind = "redirects"
    for evil in EVIL:
        # Workbench sign-in with next= (a fresh browser each time; the password is right).
        c = Client(base, label="redirect probe")
        r = web_sign_in(
            c,
            "jan",
            DEMO_PASSWORD,
            kind=kind,
            path="/aanmelden/?" + urllib.parse.urlencode({"next": evil}),
            next_url=evil,
        )
        loc = r.headers.get("Location", "")
        TALLY.check(
            kind,
            r.status_code == 302 and not _offsite(loc, base),
            f"POST /aanmelden/ next={evil!r}: {r.status_code} Location {loc!r}",
            leak=_offsite(loc, base),
        )
        # Already signed in: the sign-in page forwards to next=.
        r = c.get(kind, "/aanmelden/?" + urllib.parse.urlencode({"next": evil}))
        loc = r.headers.get("Location", "")
        TALLY.check(
            kind,
            not _offsite(loc, base),
            f"GET /aanmelden/ signed in next={evil!r}: Location {loc!r}",
            leak=True,
        )
        # Signing out with next=.
        r = c.post(
            kind,
            "/afmelden/",
            data={"csrfmiddlewaretoken": c.csrf, "next": evil},
            headers={"Referer": base + "/"},
        )
        loc = r.headers.get("Location", "")
        TALLY.check(
            kind,
            not _offsite(loc, base),
            f"POST /afmelden/ next={evil!r}: Location {loc!r}",
            leak=True,
        )
        # The portal: the sign-in form carries next= on; it must be one of ours.
        p = Client(base, label="redirect probe (portal)")
        r = p.get(kind, "/mijn/aanmelden/?" + urllib.parse.urlencode({"next": evil}))
        carried = re.findall(r'name="next" value="([^"]*)"', r.text)
        TALLY.check(
            kind,
            all(not _offsite(html.unescape(v), base) for v in carried),
            f"GET /mijn/aanmelden/ next={evil!r}: carries {carried}",
            leak=True,
        )
        r = p.get(kind, "/mijn/aanmelden/oidc/?" + urllib.parse.urlencode({"next": evil}))
        loc = r.headers.get("Location", "")
        TALLY.check(
            kind,
            r.status_code in (404, 302, 502)
            and (
                r.status_code != 302
                or "evil.example" not in urllib.parse.unquote(loc)
                or "next" not in loc
            ),
            f"GET /mijn/aanmelden/oidc/ next={evil!r}: {r.status_code}",
        )
        # The admin login with next=.
        a = Client(base, label="redirect probe (admin)")
        r = web_sign_in(
            a,
            "beheerder",
            DEMO_PASSWORD,
            kind=kind,
            path="/admin/login/?" + urllib.parse.urlencode({"next": evil}),
            next_url=evil,
        )
        loc = r.headers.get("Location", "")
        TALLY.check(
            kind,
            r.status_code == 302 and not _offsite(loc, base),
            f"POST /admin/login/ next={evil!r}: {r.status_code} Location {loc!r}",
            leak=_offsite(loc, base),
        )


def probe_headers(base: str, staff: dict[str, Client]) -> None:
    """The strict CSP on every page, the admin and the API docs included (issue 19 item 9)."""
    kind = "headers"
    for who, path in (
        ("anonymous", "/aanmelden/"),
        ("anonymous", "/admin/login/"),
        ("anonymous", "/mijn/aanmelden/"),
        ("beheerder", "/admin/"),
        ("sofie", "/api/docs/"),
        ("sofie", "/"),
    ):
        client = staff.get(who) or Client(base, label=who)
        r = client.get(kind, path)
        csp = r.headers.get("Content-Security-Policy", "")
        TALLY.check(
            kind,
            "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1],
            f"{who} GET {path}: {r.status_code}, CSP {csp!r}",
        )
        TALLY.check(kind, r.headers.get("X-Frame-Options") == "DENY", f"{path}: no X-Frame-Options")
    r = Client(base, label="anonymous").get(kind, "/api/docs/")
    TALLY.check(
        kind, r.status_code in (302, 401, 403), f"anonymous GET /api/docs/: {r.status_code}"
    )


# --- probe: bad values through the API --------------------------------------------------------


def probe_bad_values(api: Client) -> None:
    from midoffice.dossiers.models import Dossier
    from midoffice.parties.models import Party

    kind = "bad-values"
    long = "A" * 5000
    before = Dossier.objects.count()
    base_dossier = {"dossier_type": "info-verbouwen", "subject": "Proef met foute waarden"}
    cases: list[tuple[str, str, dict[str, Any] | None]] = []
    for when in (
        "0001-01-01T00:00:00Z",
        "0684-06-01T12:00:00+00:00",
        "0684-06-01T12:00:00",
        "1891-12-31T23:00:00+00:17",
        "2100-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "1999-12-31T22:59:59Z",
    ):
        cases.append(("POST", "/api/v1/dossiers/", {**base_dossier, "received_at": when}))
    for name in (
        "location_street",
        "location_number",
        "location_postcode",
        "location_municipality",
        "capakey",
        "subject",
        "description",
    ):
        value = long if name != "description" else "A" * 200_000
        cases.append(("POST", "/api/v1/dossiers/", {**base_dossier, name: value}))
    cases.append(("POST", "/api/v1/dossiers/", {**base_dossier, "subject": "Twee\r\nregels"}))
    for path in (
        "/api/v1/dossiers/?page_size=false",
        "/api/v1/dossiers/?page_size=0",
        "/api/v1/dossiers/?page_size=-1",
        "/api/v1/dossiers/?page_size=1e3",
        "/api/v1/dossiers/?page_size=999999999999999999999",
        "/api/v1/dossiers/?open=maybe",
        "/api/v1/dossiers/?overdue=%00",
        "/api/v1/dossiers/?team=" + "x" * 3000,
        "/api/v1/dossiers/?assignee=a%0d%0ab",
    ):
        cases.append(("GET", path, None))
    person = {"kind": "person", "given_name": "Proef", "family_name": "Persoon"}
    for field_name, value in (
        ("family_name", "Evil\r\nBcc: victim@evil.example"),
        ("given_name", "Evil\nX-Injected: yes"),
        ("family_name", "Carriage\rReturn"),
        ("family_name", long),
        ("email", "a@b.example\r\nBcc: c@d.example"),
        ("phone", "0470\n123456"),
        ("insz", "85.07.30-033.61\n"),
    ):
        cases.append(("POST", "/api/v1/parties/", {**person, field_name: value}))
    cases.append(
        (
            "POST",
            "/api/v1/parties/",
            {
                **person,
                "address": {
                    "street": long,
                    "house_number": "1",
                    "postcode": "2640",
                    "municipality": "Leemdonk",
                },
            },
        )
    )
    # An unknown cursor is a page that does not exist: 404 (as documented), never 5xx.
    for path in (
        "/api/v1/dossiers/?cursor=%00%ff",
        "/api/v1/dossiers/2026-000001/events/?cursor=x",
    ):
        r = api.get(kind, path)
        TALLY.check(kind, r.status_code in (400, 404), f"GET {path}: {r.status_code}")
    for method, path, body in cases:
        r = api.request(kind, method, path, json=body) if body is not None else api.get(kind, path)
        TALLY.check(
            kind,
            r.status_code == 400,
            f"{method} {path[:80]} {json.dumps(body)[:120] if body else ''}: "
            f"{r.status_code} {r.text[:160]!r}",
            leak=r.status_code in (200, 201) and method == "POST",
        )
    # A sound request still works (the validation is not a blanket refusal).
    r = api.post(
        kind, "/api/v1/dossiers/", json={**base_dossier, "received_at": "2026-01-05T09:00:00+01:00"}
    )
    TALLY.check(kind, r.status_code == 201, f"a sound POST /api/v1/dossiers/: {r.status_code}")
    stored_bad = Dossier.objects.filter(received_at__year__lt=2000).count() + sum(
        1
        for d in Dossier.objects.only(
            "location_street",
            "capakey",
            "location_municipality",
            "location_number",
            "location_postcode",
        )
        if max(
            len(d.location_street),
            len(d.capakey),
            len(d.location_municipality),
            len(d.location_number),
            len(d.location_postcode),
        )
        > 1000
    )
    TALLY.check(kind, stored_bad == 0, f"{stored_bad} dossiers stored with bad values", leak=True)
    crlf = [
        p.pk
        for p in Party.objects.all()
        if any(c in (p.given_name + p.family_name) for c in "\r\n")
    ]
    TALLY.check(kind, not crlf, f"parties stored with CR/LF in a name: {crlf}", leak=True)
    TALLY.note(kind, f"{Dossier.objects.count() - before} dossier(s) created (the sound one)")


# --- probe: throttling -------------------------------------------------------------------------


def probe_throttle(base: str, n: int) -> None:
    kind = "throttle"
    client = Client(base, source=ADDR_THROTTLE, label="anonymous")
    statuses = []
    retry_after = []
    started = time.monotonic()
    for i in range(n):
        path = "/api/v1/dossiers/" if i % 2 else "/api/v1/parties/?q=emma"
        r = client.get(kind, path)
        statuses.append(r.status_code)
        if r.status_code == 429:
            retry_after.append(r.headers.get("Retry-After"))
    elapsed = time.monotonic() - started
    first = statuses.index(429) + 1 if 429 in statuses else None
    TALLY.check(
        kind,
        first is not None and first <= 61,
        f"{n} anonymous requests in {elapsed:.0f} s: first 429 at #{first}",
    )
    TALLY.check(
        kind,
        all(v and v.isdigit() and int(v) > 0 for v in retry_after),
        f"429 answers without a usable Retry-After: {retry_after[:5]}",
    )
    TALLY.note(
        kind,
        f"{n} anonymous requests in {elapsed:.1f} s: "
        f"{statuses.count(401)}×401, {statuses.count(429)}×429 (first at #{first}), "
        f"Retry-After {sorted(set(retry_after))[:3]}",
    )
    # A wrong token is not a way around it.
    bad = Client(base, source=ADDR_THROTTLE, token="0" * 40, label="wrong token")
    r = bad.get(kind, "/api/v1/dossiers/")
    TALLY.check(kind, r.status_code == 429, f"a wrong token inside the window: {r.status_code}")


# --- probe: brute force ------------------------------------------------------------------------


def probe_brute_force(base: str, fx: Fixtures, wrong: int) -> None:
    kind = "brute-force"
    # 1. The administrator at /admin/login/: `wrong` wrong passwords, then the right one.
    c = Client(base, source=ADDR_BRUTE_ADMIN, label="brute admin")
    statuses = collections.Counter()
    for i in range(wrong):
        r = web_sign_in(c, "beheerder", f"wrong-{i}", kind=kind, path="/admin/login/")
        statuses[r.status_code] += 1
    r = web_sign_in(c, "beheerder", DEMO_PASSWORD, kind=kind, path="/admin/login/")
    admin = c.get(kind, "/admin/")
    TALLY.check(
        kind,
        r.status_code != 302 and admin.status_code == 302,
        f"/admin/login/ after {wrong} wrong passwords, the right one: {r.status_code}, "
        f"/admin/ {admin.status_code}",
        leak=admin.status_code == 200,
    )
    TALLY.note(
        kind,
        f"{wrong} wrong admin passwords answered {dict(statuses)}; the right one "
        f"then {r.status_code}",
    )
    # The same user name from another address, at the workbench: locked by user name.
    o = Client(base, source=ADDR_BRUTE_OTHER, label="brute other address")
    r = web_sign_in(o, "beheerder", DEMO_PASSWORD, kind=kind)
    TALLY.check(
        kind,
        r.status_code != 302 and not signed_in(o, kind),
        f"beheerder's right password at /aanmelden/ from another address: {r.status_code}",
        leak=True,
    )
    # One address spraying many user names (one failure each) is locked as an address.
    from django.conf import settings

    spray = Client(base, source=ADDR_BRUTE_SPRAY, label="brute spray")
    limit = int(settings.LOGIN_ADDRESS_FAILURE_LIMIT)
    for i in range(limit):
        path = "/aanmelden/" if i % 2 else "/admin/login/"
        web_sign_in(spray, f"guess-{i:02d}", "wrong", kind=kind, path=path)
    r = web_sign_in(spray, "ines", DEMO_PASSWORD, kind=kind)
    TALLY.check(
        kind,
        r.status_code != 302,
        f"ines's right password from an address that failed {limit} times for other "
        f"user names: {r.status_code}",
        leak=r.status_code == 302,
    )
    TALLY.note(
        kind,
        f"address lock after {limit} failures over {limit} user names: ines then {r.status_code}",
    )
    # …and ines herself is not locked: from another address she gets in.
    fine = Client(base, source=ADDR_BRUTE_OTHER, label="ines elsewhere")
    r = web_sign_in(fine, "ines", DEMO_PASSWORD, kind=kind)
    TALLY.check(kind, r.status_code == 302, f"ines from another address: {r.status_code}")
    # 2. One count across doors: failures split over /aanmelden/ and /admin/login/.
    fx.colleague("probe-lock", team="", role="administrator", is_staff=True)
    s = Client(base, source=ADDR_BRUTE_SHARED, label="brute shared")
    for i in range(6):
        path = "/aanmelden/" if i % 2 else "/admin/login/"
        web_sign_in(s, "probe-lock", f"wrong-{i}", kind=kind, path=path)
    for path in ("/aanmelden/", "/admin/login/"):
        r = web_sign_in(s, "probe-lock", DEMO_PASSWORD, kind=kind, path=path)
        TALLY.check(
            kind,
            r.status_code != 302,
            f"probe-lock right password at {path} after 3 + 3 failures on both doors: "
            f"{r.status_code}",
            leak=r.status_code == 302,
        )
        TALLY.check(
            kind,
            r.status_code == 429 or "Te veel" in r.text,
            f"locked sign-in at {path} does not say so: {r.status_code}",
        )


# --- probe: schemathesis ---------------------------------------------------------------------


def probe_schemathesis(
    base: str, token: str, examples: int, workers: int, seed: int, target: int
) -> dict:
    """Passes of schemathesis over every operation (seed, seed+1, …) until ``target`` cases;
    one pass saturates near 6,000 cases however many examples it may draw."""
    import schemathesis
    from schemathesis.engine import events
    from schemathesis.engine.statistic import Statistic

    kind = "schemathesis"
    k = TALLY.kind(kind)
    schema_doc = requests.get(
        f"{base}/api/schema/?format=json", headers={"Authorization": f"Token {token}"}, timeout=60
    )
    # The document is for staff (issue 19 item 9): anonymous gets no schema.
    anon = requests.get(f"{base}/api/schema/", timeout=60)
    with TALLY.lock:
        k.requests += 2
        k.statuses[schema_doc.status_code] += 1
        k.statuses[anon.status_code] += 1
    TALLY.check(
        kind, anon.status_code in (401, 403), f"anonymous GET /api/schema/: {anon.status_code}"
    )
    if schema_doc.status_code != 200:
        TALLY.unexpected(kind, f"no schema: {schema_doc.status_code}")
        return {}
    document = json.loads(schema_doc.text)
    stats = Statistic()
    codes: collections.Counter[int] = collections.Counter()
    failures: collections.Counter[str] = collections.Counter()
    examples_text: dict[str, list[str]] = collections.defaultdict(list)
    errors: list[str] = []
    operations: set[str] = set()
    cases = 0
    passes = 0
    started = time.monotonic()
    while cases < target:
        config = schemathesis.Config.from_dict(
            {
                "seed": seed + passes,
                "base-url": base,
                "workers": workers,
                "headers": {"Authorization": f"Token {token}"},
                "generation": {"max-examples": examples, "mode": "all", "database": "none"},
                "checks": {"enabled": True},
                "operations": [
                    {
                        # As the product's own contract test (tests/api/test_api_contract.py):
                        # a POST of schema-valid data may break a rule the schema cannot state
                        # (an unknown code, a workflow step); then 400/404/409 with a message
                        # is the right answer.
                        "include-method": "POST",
                        "checks": {
                            "positive_data_acceptance": {
                                "expected-statuses": ["2xx", "400", "401", "403", "404", "409"]
                            }
                        },
                    }
                ],
            }
        )
        schema = schemathesis.openapi.from_dict(document, config=config)
        stream = schemathesis.engine.from_schema(schema).execute()
        passes += 1
        for event in stream:
            if isinstance(event, events.ScenarioFinished):
                stats.on_scenario_finished(event.recorder)
                rec = event.recorder
                operations.update(c.value.operation.label for c in rec.cases.values())
                for interaction in rec.interactions.values():
                    cases += 1
                    codes[interaction.response.status_code if interaction.response else 0] += 1
                for checks in rec.checks.values():
                    for check in checks:
                        if str(check.status).lower().endswith("failure"):
                            failures[check.name] += 1
                            info = check.failure_info
                            if info and len(examples_text[check.name]) < 3:
                                examples_text[check.name].append(
                                    f"{info.failure.title}: {str(info.failure.message)[:250]} | "
                                    f"{info.code_sample}"[:600]
                                )
                if cases >= target:
                    stream.stop()
            elif isinstance(event, events.NonFatalError):
                errors.append(f"{event.label}: {event.info.format()[:300]}")
            elif isinstance(event, events.FatalError):
                errors.append(f"fatal: {event.exception!r}")
        print(f"  pass {passes} (seed {seed + passes - 1}): {cases} cases so far")
        if passes >= 5:
            break
    elapsed = time.monotonic() - started
    with TALLY.lock:
        k.requests += cases
        k.statuses.update(codes)
        for code, n in codes.items():
            if code >= 500:
                k.server_errors.append(f"{n} schemathesis cases answered {code}")
        for name, n in failures.items():
            k.unexpected.append(
                f"check {name}: {n} failing case(s); e.g. "
                + " || ".join(examples_text.get(name, []))
            )
        k.unexpected.extend(errors)
        k.checks += cases
    documented = sum(
        len([m for m in ops if m in ("get", "post", "put", "patch", "delete")])
        for ops in document["paths"].values()
    )
    summary = {
        "operations": len(operations),
        "documented": documented,
        "cases": cases,
        "passes": passes,
        "failing_cases": stats.cases_with_failures,
        "failures_by_check": dict(failures),
        "status_codes": dict(sorted(codes.items())),
        "seconds": round(elapsed, 1),
        "examples_per_operation": examples,
        "seed": seed,
    }
    TALLY.note(kind, json.dumps(summary))
    if codes.get(429):
        TALLY.note(kind, f"{codes[429]} answers were 429: the per-token/per-address throttle")
    return summary


# --- main ------------------------------------------------------------------------------------


def report(started: float) -> int:
    width = 18
    print("\n" + "=" * 100)
    print(
        f"{'probe kind':<{width}} {'requests':>9} {'checks':>7} {'5xx':>5} {'leaks':>6} "
        f"{'unexpected':>10}  status codes"
    )
    print("-" * 100)
    total = collections.Counter()
    for k in TALLY.kinds.values():
        codes = " ".join(f"{c}:{n}" for c, n in sorted(k.statuses.items()))
        print(
            f"{k.name:<{width}} {k.requests:>9} {k.checks:>7} {len(k.server_errors):>5} "
            f"{len(k.leaks):>6} {len(k.unexpected):>10}  {codes}"
        )
        total["requests"] += k.requests
        total["checks"] += k.checks
        total["5xx"] += sum(n for c, n in k.statuses.items() if c >= 500)
        total["leaks"] += len(k.leaks)
        total["unexpected"] += len(k.unexpected)
    print("-" * 100)
    print(
        f"{'total':<{width}} {total['requests']:>9} {total['checks']:>7} {total['5xx']:>5} "
        f"{total['leaks']:>6} {total['unexpected']:>10}"
    )
    print(f"({time.monotonic() - started:.0f} s)")
    for k in TALLY.kinds.values():
        for title, rows in (
            ("5xx", k.server_errors),
            ("LEAK", k.leaks),
            ("unexpected", k.unexpected),
            ("note", k.notes),
        ):
            for row in rows[:40]:
                print(f"[{k.name}] {title}: {row}")
            if len(rows) > 40:
                print(f"[{k.name}] {title}: … and {len(rows) - 40} more")
    return 1 if total["5xx"] or total["leaks"] else 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--smtp-port", type=int, default=18525)
    parser.add_argument("--data-dir", type=Path, help="default: a fresh temporary folder")
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL instead of SQLite (an empty database of your own)",
    )
    parser.add_argument(
        "--fresh-database",
        action="store_true",
        help="drop and create the --database-url database first (dropdb/createdb)",
    )
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument(
        "--st-examples",
        type=int,
        default=450,
        help="schemathesis examples per operation and phase, per pass",
    )
    parser.add_argument(
        "--st-cases",
        type=int,
        default=8664,
        help="schemathesis cases in all (issue 19's probe ran 8,664)",
    )
    # One worker: hypothesis' lambda descriptions are not thread-safe ("AST constructor
    # recursion depth mismatch" runtime errors with several).
    parser.add_argument("--st-workers", type=int, default=1)
    parser.add_argument("--st-seed", type=int, default=19)
    parser.add_argument("--race-rounds", type=int, default=2)
    parser.add_argument("--brute-wrong", type=int, default=25)
    parser.add_argument("--throttle-requests", type=int, default=70)
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        help="skip a probe: schemathesis, brute-force, … (repeatable)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    parser.add_argument(
        "--code",
        default="HEAD",
        help="the code to run: a commit (default HEAD; its src/ through git archive), "
        "'worktree' (a copy of src/ as it is now, uncommitted edits included) or 'live' "
        "(src/ itself; a colleague's half-done edit then lands in the server)",
    )
    parser.add_argument("--json", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="midoffice-probe-"))
    if args.data_dir and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    base = f"http://127.0.0.1:{args.port}"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MIDOFFICE_", "EMAIL_")) and k != "DATABASE_URL"
    }
    env.update(
        {
            "MIDOFFICE_DATA_DIR": str(data_dir),
            "MIDOFFICE_DEBUG": "false",
            "MIDOFFICE_SECRET_KEY": secrets.token_urlsafe(50),
            # Plain HTTP on loopback: cookies without the Secure flag, or no browser sends them.
            "MIDOFFICE_SECURE_COOKIES": "false",
            "MIDOFFICE_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "MIDOFFICE_PUBLIC_URL": base,
            "MIDOFFICE_MAGDA_URL": f"http://127.0.0.1:{args.port + 3}",
            "MIDOFFICE_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "midoffice.settings",
        }
    )
    # The product's code as it is now, copied: a server that imports a file while a
    # colleague is half-way through an edit is not the product. The copy goes first on the
    # path (before the editable install's src/).
    code = ROOT / "src"
    state = git_state()
    if args.code == "worktree":
        code = data_dir / "code" / "src"
        shutil.copytree(ROOT / "src", code, ignore=shutil.ignore_patterns("__pycache__"))
    elif args.code != "live":
        # A commit (HEAD by default): exactly what is committed, whatever is being edited.
        target = data_dir / "code"
        target.mkdir(parents=True)
        git_bin = shutil.which("git") or "git"
        archive = subprocess.run(
            [git_bin, "archive", "--format=tar", args.code, "src"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [shutil.which("tar") or "tar", "-x", "-C", str(target)],
            input=archive.stdout,
            check=True,
        )
        code = target / "src"
        rev = subprocess.run(
            [git_bin, "rev-parse", "--short", args.code], cwd=ROOT, capture_output=True, text=True
        )
        state = f"{rev.stdout.strip()} (committed code only: git archive {args.code})"
    env["PYTHONPATH"] = str(code)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
        if args.fresh_database:
            fresh_postgres(args.database_url)
    os.environ.clear()
    os.environ.update(env)

    started = time.monotonic()
    server = Server(args, env)

    def on_signal(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    summary: dict[str, Any] = {}
    try:
        print(f"data folder {data_dir}; server {base}; SMTP 127.0.0.1:{args.smtp_port}")
        server.prepare()
        server.start()
        django_setup(code)
        truth, fx = Truth(), Fixtures()
        print(f"code under test: {code}, git {state}")

        print("fixtures: API tokens, read fixtures")
        api = {u: Client(base, token=fx.token(u), label=f"{u} (API)") for u in STAFF}
        conf = fx.dossier(
            "sociale-hulpvraag", "Vertrouwelijke hulpvraag probe", requester=fx.party("Lucas")
        )
        fx.letter(conf, "karel")
        fx.letter(
            fx.dossier(
                "evenementenvergunning",
                "Buurtfeest probe",
                requester=fx.party("Noor"),
                assignee="ines",
            ),
            "ines",
        )
        fx.letter(
            fx.dossier(
                "info-verbouwen", "Dakkapel probe", requester=fx.party("Emma"), assignee="sofie"
            ),
            "sofie",
        )
        fx.dossier("triage", "Onduidelijke vraag probe", requester=fx.party("Noor"))

        print("sign-in of the demo staff")
        staff = {}
        for u in STAFF:
            c = Client(base, label=u)
            r = web_sign_in(c, u, DEMO_PASSWORD, kind="sign-in")
            TALLY.check("sign-in", r.status_code == 302, f"{u} sign-in: {r.status_code}")
            staff[u] = c

        inbound: dict[str, Any] = {}
        if "mail-xss" not in args.skip:
            print("mail: crafted messages through the SMTP listener")
            inbound = probe_mail_send(args)
            # The hulp-vraag mail is the confidential read fixture: make it one if routing
            # did not (as a handler would, by routing it from triage).
            hulp = inbound.get("hulp.vraag@burger.example")
            if hulp is not None and hulp.dossier_id and not hulp.dossier.confidential:
                from midoffice.catalog.models import DossierType
                from midoffice.dossiers import services as ds

                ds.dossier_reroute(
                    actor=None,
                    dossier=hulp.dossier,
                    dossier_type=DossierType.objects.get(code="sociale-hulpvraag"),
                )
            for address, message in inbound.items():
                print(
                    f"  {address}: {message.state}"
                    f" {message.dossier.reference if message.dossier_id else ''}"
                    f" {message.dossier.team.code if message.dossier_id else ''}"
                )
            probe_mail_pages(base, staff, inbound, fx, data_dir)

        if "cross-team" not in args.skip:
            print("cross-team reads")
            probe_reads(staff, api, truth)
            print("cross-team writes (fixtures: five kinds of dossier per user, web and API)")
            cases = make_write_fixtures(fx)
            probe_writes(staff, api, truth, cases)
            probe_confidential_assign(api, truth, fx)

        if "cross-citizen" not in args.skip:
            print("cross-citizen")
            probe_citizens(base, staff, truth, fx, data_dir)

        if "mail-page" not in args.skip:
            print("caught-mail page")
            probe_mail_page(staff, truth)

        if "races" not in args.skip:
            print("races")
            probe_races(base, fx, truth, args.race_rounds)

        if "csrf" not in args.skip:
            print(f"csrf ({len(FORMS_SEEN)} post forms seen while crawling)")
            probe_csrf(base, staff, ("lucas.vdb@voorbeeld.example", data_dir))

        if "redirects" not in args.skip:
            print("open redirects")
            probe_redirects(base)

        if "headers" not in args.skip:
            print("security headers")
            probe_headers(base, staff)

        if "bad-values" not in args.skip:
            print("bad values through the API")
            probe_bad_values(api["lotte"])

        if "throttle" not in args.skip:
            print("throttle")
            probe_throttle(base, args.throttle_requests)

        if "schemathesis" not in args.skip:
            print(
                f"schemathesis ({args.st_cases} cases, {args.st_examples} examples per "
                "operation and phase per pass)"
            )
            summary["schemathesis"] = probe_schemathesis(
                base,
                fx.token("lotte"),
                args.st_examples,
                args.st_workers,
                args.st_seed,
                args.st_cases,
            )

        if "brute-force" not in args.skip:
            print("brute force (last: it locks accounts and addresses)")
            probe_brute_force(base, fx, args.brute_wrong)
    except KeyboardInterrupt:
        print("interrupted")
        TALLY.unexpected("run", "interrupted")
    except Exception:  # noqa: BLE001 - the report must still be printed
        traceback.print_exc()
        TALLY.unexpected("run", "the probe stopped with an error:\n" + traceback.format_exc())
    finally:
        server.stop()
    print(f"code under test: git {state} at the start; now {git_state()}")
    status = report(started)
    for log in ("web", "worker", "smtp"):
        path = data_dir / f"{log}.log"
        if path.exists():
            errors = [
                line
                for line in path.read_text(errors="replace").splitlines()
                if '"level": "ERROR"' in line
                or '"level": "CRITICAL"' in line
                or line.startswith("Traceback")
            ]
            if errors:
                print(f"[{log} log] {len(errors)} error lines, e.g. {errors[0][:400]}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "kinds": {
                        k.name: {
                            "requests": k.requests,
                            "checks": k.checks,
                            "statuses": dict(k.statuses),
                            "5xx": k.server_errors,
                            "leaks": k.leaks,
                            "unexpected": k.unexpected,
                            "notes": k.notes,
                        }
                        for k in TALLY.kinds.values()
                    },
                    **summary,
                },
                indent=1,
                ensure_ascii=False,
            )
        )
    if not args.keep and not args.data_dir:
        shutil.rmtree(data_dir, ignore_errors=True)
    else:
        print(f"data kept in {data_dir}")
    if TALLY.kinds.get("run") and TALLY.kinds["run"].unexpected:
        return 2
    return status


if __name__ == "__main__":
    sys.exit(main())
