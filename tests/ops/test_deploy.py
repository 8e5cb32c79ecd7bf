"""deploy/: the systemd units, the nginx site, the environment template and the wrapper.

The units name the production paths (/opt/midoffice/venv/bin/…); `systemd-analyze verify`
refuses an ExecStart binary that does not exist, so the tests verify copies in which that
folder is replaced by the bin folder of the Python running the tests (which has the same
`midoffice` and `gunicorn`). The nginx site is checked with `nginx -t` inside a minimal
nginx.conf in a temporary prefix, with a self-signed certificate in place of the
placeholders, and then served for real on loopback ports in front of a stub application.
The binaries come from scripts/test-system-deps.sh (systemd, nginx-light); without them a
test skips on a developer's machine and fails on CI, which runs that script first.
"""

from __future__ import annotations

import datetime
import http.server
import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.management import get_commands, load_command_class

from midoffice.correspondence.services import MAX_ATTACHMENT_BYTES
from midoffice.envconfig import REGISTRY

DEPLOY = Path(settings.BASE_DIR) / "deploy"
UNITS = sorted((DEPLOY / "systemd").iterdir())
SITE = DEPLOY / "nginx" / "midoffice.conf"
ENV_TEMPLATE = DEPLOY / "midoffice.env.example"
VENV_BIN = "/opt/midoffice/venv/bin/"
CERT = "/etc/letsencrypt/live/midoffice.example.be/fullchain.pem"
KEY = "/etc/letsencrypt/live/midoffice.example.be/privkey.pem"
# Django's deployment checks that stay on purpose: HSTS for subdomains and preload are a
# town's decision with its DNS owner (settings.py), and nginx redirects HTTP to HTTPS.
DELIBERATE_DEPLOY_WARNINGS = {"security.W005", "security.W008", "security.W021"}


def _binary(path: str) -> str:
    if Path(path).exists():
        return path
    message = f"{path} is missing: run `bash scripts/test-system-deps.sh` as root"
    if os.environ.get("CI"):
        pytest.fail(message)  # CI runs that script first: a missing checker is a failure
    pytest.skip(message)


def _unit_copies(tmp_path: Path) -> list[Path]:
    bindir = str(Path(sys.executable).parent) + "/"
    copies = []
    for unit in UNITS:
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text().replace(VENV_BIN, bindir))
        copies.append(copy)
    return copies


def _verify(systemd_analyze: str, units: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [systemd_analyze, "verify", "--man=no", *map(str, units)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_units_pass_systemd_analyze_verify(tmp_path):
    systemd_analyze = _binary("/usr/bin/systemd-analyze")
    assert {unit.name for unit in UNITS} == {
        "midoffice.target",
        "midoffice-web.service",
        "midoffice-worker@.service",
        "midoffice-scheduler.service",
        "midoffice-listener.service",
    }
    result = _verify(systemd_analyze, _unit_copies(tmp_path))
    # verify exits 0 on unknown keys, only warning about them: any output is a finding.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")

    # The same check notices a misspelt option and a missing program (the check checks).
    broken = tmp_path / "broken" / "midoffice-worker@.service"
    broken.parent.mkdir()
    text = (tmp_path / "midoffice-worker@.service").read_text()
    broken.write_text(text.replace("Restart=", "Restrt=").replace(sys.executable, "/nope"))
    result = _verify(systemd_analyze, [broken])
    assert "Unknown key 'Restrt'" in result.stderr


def test_units_are_hardened_and_read_the_environment_file():
    for unit in UNITS:
        if unit.suffix != ".service":
            continue
        text = unit.read_text()
        for line in (
            "User=midoffice",
            "EnvironmentFile=/etc/midoffice/midoffice.env",
            "ProtectSystem=strict",
            "ReadWritePaths=/var/lib/midoffice",
            "NoNewPrivileges=yes",
            "PrivateTmp=yes",
            "Restart=on-failure",
            "WantedBy=midoffice.target",
        ):
            assert line in text.splitlines(), f"{unit.name}: {line}"


def _exec_starts() -> list[tuple[str, list[str]]]:
    found = []
    for unit in UNITS:
        for line in unit.read_text().splitlines():
            if line.startswith("ExecStart="):
                found.append((unit.name, shlex.split(line.removeprefix("ExecStart="))))
    return found


def test_every_management_command_in_deploy_exists_and_takes_its_options():
    commands = get_commands()
    checked = 0
    for unit, argv in _exec_starts():
        if Path(argv[0]).name != "midoffice":
            continue
        name = argv[1]
        assert name in commands, f"{unit}: no management command {name!r}"
        command = load_command_class(commands[name], name)
        # argparse exits on an unknown option or a missing subcommand.
        command.create_parser("midoffice", name).parse_args(argv[2:])
        checked += 1
    # The documented wrapper calls the same command line.
    wrapper = (DEPLOY / "bin" / "midoffice-admin").read_text()
    assert 'exec "${VENV:-/opt/midoffice/venv}/bin/midoffice" "$@"' in wrapper
    assert checked == 3  # worker, scheduler, listener; the web server is gunicorn:
    (web,) = [argv for unit, argv in _exec_starts() if Path(argv[0]).name == "gunicorn"]
    assert "midoffice.wsgi" in web
    # The hooks of prometheus-client's multiprocess mode (ADR 21b) are loaded.
    assert web[web.index("-c") + 1] == "python:midoffice.core.gunicorn_conf"


def test_every_command_the_operations_guide_runs_exists():
    guide = (Path(settings.BASE_DIR) / "docs" / "operations.md").read_text()
    named = set(re.findall(r"midoffice-admin (\w+)", guide))
    assert {"migrate", "createsuperuser", "upgrade", "check"} <= named
    assert named <= set(get_commands()), named - set(get_commands())


def test_the_web_unit_command_line_loads_the_application(tmp_path):
    (web,) = [argv for unit, argv in _exec_starts() if Path(argv[0]).name == "gunicorn"]
    gunicorn = Path(sys.executable).parent / "gunicorn"
    env = {**os.environ, "MIDOFFICE_DEBUG": "true", "MIDOFFICE_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [str(gunicorn), "--check-config", *web[1:]],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def _env_template_names() -> dict[str, str]:
    values = {}
    for line in ENV_TEMPLATE.read_text().splitlines():
        match = re.match(r"([A-Z][A-Z0-9_]*)=(.*)", line)
        if match:
            values[match[1]] = match[2]
    return values


def test_the_environment_template_names_what_production_must_set():
    names = _env_template_names()
    unknown = set(names) - set(REGISTRY)
    assert not unknown, f"not read by the settings (docs/config.md): {sorted(unknown)}"
    # What the settings call required, and what defaults to a demo fake or the demo
    # certificate, must be decided on a production host.
    must = {
        var.name
        for var in REGISTRY.values()
        if re.search(r"\b(required|fake|demo)\b", var.doc, re.IGNORECASE)
    }
    assert must <= set(names), sorted(must - set(names))
    assert names["MIDOFFICE_DEBUG"] == "false"
    assert names["MIDOFFICE_BEHIND_TLS_PROXY"] == "true"
    assert names["DATABASE_URL"].startswith("postgres://")
    for essential in ("MIDOFFICE_SECRET_KEY", "MIDOFFICE_ALLOWED_HOSTS", "MIDOFFICE_DATA_DIR"):
        assert names[essential], essential
    for mail in ("EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS", "MIDOFFICE_FROM_EMAIL"):
        assert names[mail], mail


def test_the_environment_template_passes_the_deployment_checks(tmp_path):
    """Sourced by /bin/sh as the wrapper does, with a real secret and the town's signing
    trust root in place (the template's /etc path does not exist here): only the deliberate
    warnings of Django's deployment checklist remain."""
    script = (
        'set -a; . "$1"; set +a; '
        "MIDOFFICE_SECRET_KEY=$(\"$2\" -c 'import secrets; print(secrets.token_urlsafe(50))') "
        'MIDOFFICE_SIGNING_TRUST_ROOT="$4" '
        'MIDOFFICE_DATA_DIR="$3" exec "$2" -m midoffice.manage check --deploy'
    )
    root = os.environ["MIDOFFICE_SIGNING_TRUST_ROOT"]  # the suite's demo root (tests/conftest.py)
    result = subprocess.run(
        ["/bin/sh", "-c", script, "sh", str(ENV_TEMPLATE), sys.executable, str(tmp_path), root],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"]},
        timeout=120,
        check=False,
    )
    found = set(re.findall(r"\(([a-z_.]+\.[EW]\d+)\)", result.stdout + result.stderr))
    assert found == DELIBERATE_DEPLOY_WARNINGS, result.stdout + result.stderr
    assert "Gemeente Voorbeeld" in ENV_TEMPLATE.read_text()  # quoted values survive sh


@pytest.mark.skipif(os.geteuid() != 0, reason="runuser needs root")
def test_the_admin_wrapper_runs_a_command_as_the_user_with_the_environment_file(tmp_path):
    env_file = tmp_path / "midoffice.env"
    env_file.write_text(
        f"MIDOFFICE_DEBUG=true\nMIDOFFICE_DATA_DIR={tmp_path / 'data'}\n"
        'MIDOFFICE_TOWN_NAME="Gemeente Proef"\n'
    )
    wrapper = tmp_path / "midoffice-admin"
    wrapper.write_text(
        (DEPLOY / "bin" / "midoffice-admin")
        .read_text()
        .replace("runuser -u midoffice", "runuser -u root")
        .replace("/etc/midoffice/midoffice.env", str(env_file))
    )
    # VENV picks the release (here the one running the tests) instead of /opt/midoffice/venv.
    result = subprocess.run(
        ["/bin/sh", str(wrapper), "upgrade", "check"],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "VENV": str(Path(sys.executable).parent.parent)},
        timeout=120,
        check=False,
    )
    # A fresh database: everything pending, and the tasks app's data migrations need downtime.
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Pending migrations:" in result.stdout


# --- nginx ----------------------------------------------------------------------------


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "midoffice.example.be")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _nginx_prefix(tmp_path: Path, site: str) -> Path:
    """A minimal nginx.conf in tmp_path that includes ``site``; no path outside tmp_path."""
    cert, key = _self_signed(tmp_path)
    assert CERT in site
    assert KEY in site
    (tmp_path / "site.conf").write_text(site.replace(CERT, str(cert)).replace(KEY, str(key)))
    temp = " ".join(
        f"{kind}_temp_path {tmp_path / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"daemon off;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events { worker_connections 64; }\n"
        f"http {{\n access_log {tmp_path}/access.log;\n {temp}\n include {tmp_path}/site.conf;\n}}\n"
    )
    return tmp_path / "nginx.conf"


def _nginx(nginx: str, conf: Path, *args: str) -> list[str]:
    return [nginx, *args, "-p", str(conf.parent), "-e", f"{conf.parent}/error.log", "-c", str(conf)]


def test_the_nginx_site_passes_nginx_t(tmp_path):
    nginx = _binary("/usr/sbin/nginx")
    conf = _nginx_prefix(tmp_path, SITE.read_text())
    result = subprocess.run(
        _nginx(nginx, conf, "-t", "-q"), capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_nginx_body_limit_fits_the_largest_upload():
    match = re.search(r"client_max_body_size (\d+)m;", SITE.read_text())
    assert match
    largest = max(settings.PORTAL_UPLOAD_MAX_MB * 1024 * 1024, MAX_ATTACHMENT_BYTES)
    assert int(match[1]) * 1024 * 1024 > largest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Echo(http.server.BaseHTTPRequestHandler):
    """Stands in for gunicorn: answers with the forwarding headers it received."""

    def do_GET(self) -> None:
        body = "\n".join(
            f"{name}: {self.headers.get(name, '')}"
            for name in ("Host", "X-Forwarded-Proto", "X-Forwarded-For")
        ).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_the_nginx_site_serves_https_redirects_http_and_keeps_health_out_of_the_log(tmp_path):
    nginx = _binary("/usr/sbin/nginx")
    http_port, https_port = _free_port(), _free_port()
    app = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    site = (
        SITE.read_text()
        .replace("listen [::]:80;", "")
        .replace("listen [::]:443 ssl http2;", "")
        .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
        .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
        .replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{app.server_address[1]};")
    )
    conf = _nginx_prefix(tmp_path, site)
    # As root nginx would switch its workers to "nobody"; stay the current user.
    conf.write_text(conf.read_text().replace("daemon off;", "daemon off;\nmaster_process off;"))
    process = subprocess.Popen(_nginx(nginx, conf), stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", https_port)) == 0:
                    break
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.05)
        plain = urllib.request.build_opener(_NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as moved:
            plain.open(f"http://127.0.0.1:{http_port}/dossiers/?q=1", timeout=5)
        assert moved.value.code == 301
        assert moved.value.headers["Location"] == "https://127.0.0.1/dossiers/?q=1"

        tls = ssl.create_default_context()
        tls.check_hostname = False
        tls.verify_mode = ssl.CERT_NONE
        for path in ("/healthz", "/readyz", "/dossiers/"):
            with urllib.request.urlopen(
                f"https://127.0.0.1:{https_port}{path}", context=tls, timeout=5
            ) as answer:
                echoed = answer.read().decode()
            assert "X-Forwarded-Proto: https" in echoed
            assert "X-Forwarded-For: 127.0.0.1" in echoed
        log = (tmp_path / "access.log").read_text()
        assert "GET /dossiers/" in log
        assert "/healthz" not in log
        assert "/readyz" not in log
    finally:
        process.terminate()
        process.wait(timeout=10)
        app.shutdown()
        app.server_close()
        shutil.rmtree(tmp_path / "client_body", ignore_errors=True)
