"""Start and stop the real test OpenID provider (django-oidc-provider under gunicorn, see
``oidc_provider_site``) on a free loopback port, in its own process, and play a person
signing in there (a ``requests`` session standing in for the browser)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = "tests.integrations.oidc_provider_site.settings"
PASSWORD = "test-provider-password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RealOidcProvider:
    """One provider process. ``start()`` prepares its SQLite database (or takes a copy of
    another provider's, for a second issuer with the same keys) and waits for discovery."""

    def __init__(
        self,
        workdir: Path,
        spec: dict[str, Any] | None = None,
        *,
        id_token_lifetime: int = 600,
    ) -> None:
        self.workdir = workdir
        self.id_token_lifetime = id_token_lifetime
        self.spec = spec
        self.port = _free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.db = workdir / f"provider-{self.port}.sqlite3"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = workdir / f"provider-{self.port}.log"

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "MIDOFFICE_"))}
        env.update(
            DJANGO_SETTINGS_MODULE=SETTINGS,
            OIDC_TEST_PROVIDER_DB=str(self.db),
            OIDC_TEST_PROVIDER_URL=self.issuer,
            OIDC_TEST_PROVIDER_IDTOKEN_EXPIRE=str(self.id_token_lifetime),
            PYTHONPATH=str(ROOT),
        )
        return env

    def _manage(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "tests.integrations.oidc_provider_site.setup", *args],
            cwd=ROOT,
            env=self._env(),
            check=True,
            timeout=60,
        )

    def start(self, *, copy_of: RealOidcProvider | None = None) -> RealOidcProvider:
        if copy_of is not None:
            shutil.copyfile(copy_of.db, self.db)
        else:
            self._manage("init", json.dumps(self.spec))
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    "1",
                    "--threads",
                    "4",
                    "tests.integrations.oidc_provider_site.wsgi:application",
                ],
                cwd=ROOT,
                env=self._env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"test provider exited: {self.log.read_text()[-2000:]}")
            try:
                if requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=1).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("test provider did not start in 30 s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def rotate_key(self) -> None:
        """A new signing key with a new ``kid``; the old one is gone from the JWKS."""
        self._manage("rotate")

    def kids(self) -> list[str]:
        jwks = requests.get(f"{self.issuer}/jwks", timeout=5).json()
        return [key["kid"] for key in jwks["keys"]]

    def browser(self, username: str) -> requests.Session:
        """A browser in which ``username`` has signed in at the provider."""
        session = requests.Session()
        page = session.get(f"{self.issuer}/accounts/login/", timeout=5)
        token = page.text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        answer = session.post(
            f"{self.issuer}/accounts/login/",
            data={"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD},
            allow_redirects=False,
            timeout=5,
        )
        assert answer.status_code == 302, answer.text[:500]
        return session

    def authorize(self, browser: requests.Session, authorize_url: str, **change: str | None) -> str:
        """Follow our redirect to the provider (with ``change``d or, for ``None``, dropped
        parameters, as someone tampering with the URL would); return where the provider
        sends the browser back to."""
        url = urllib.parse.urlsplit(authorize_url)
        params = dict(urllib.parse.parse_qsl(url.query))
        for key, value in change.items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = value
        query = urllib.parse.urlencode(params)
        answer = browser.get(url._replace(query=query).geturl(), allow_redirects=False, timeout=5)
        assert answer.status_code == 302, answer.text[:500]
        location = str(answer.headers["Location"])
        assert "code=" in location, location
        return location

    def code_flow_tokens(
        self,
        browser: requests.Session,
        *,
        client_id: str,
        secret: str,
        redirect_uri: str,
        **extra: str,
    ) -> dict[str, Any]:
        """Another relying party's own, complete sign-in at this provider: its tokens."""
        params = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid profile rrn",
            "state": "other-app-state",
            **extra,
        }
        answer = browser.get(
            f"{self.issuer}/authorize?{urllib.parse.urlencode(params)}",
            allow_redirects=False,
            timeout=5,
        )
        code = dict(
            urllib.parse.parse_qsl(urllib.parse.urlsplit(answer.headers["Location"]).query)
        )["code"]
        tokens = requests.post(
            f"{self.issuer}/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
            auth=(client_id, secret),
            timeout=5,
        )
        tokens.raise_for_status()
        result: dict[str, Any] = tokens.json()
        return result
