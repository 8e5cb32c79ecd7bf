"""Prepare or change the test provider's database, in its own process.

``python -m tests.integrations.oidc_provider_site.setup init <json>``: migrate, make the
people, the clients and a first signing key. ``… rotate``: a new signing key (new ``kid``)
replaces the old one, as a provider's key rotation does."""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.integrations.oidc_provider_site.settings")

import django

django.setup()

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from oidc_provider.models import Client, ResponseType, RSAKey  # noqa: E402


def _new_key() -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    RSAKey.objects.create(key=pem)


def init(spec: dict) -> None:
    call_command("migrate", verbosity=0)
    code = ResponseType.objects.get(value="code")
    for person in spec["people"]:
        user = User.objects.create_user(
            person["username"],
            email=person.get("email", ""),
            password=person["password"],
            first_name=person.get("given_name", ""),
            last_name=person.get("family_name", ""),
        )
        for name in person.get("groups", []):
            user.groups.add(Group.objects.get_or_create(name=name)[0])
    for registration in spec["clients"]:
        client = Client.objects.create(
            name=registration["client_id"],
            client_type="confidential",
            client_id=registration["client_id"],
            client_secret=registration["client_secret"],
            jwt_alg="RS256",
            require_consent=False,
        )
        client.redirect_uris = registration["redirect_uris"]
        client.save()
        client.response_types.add(code)
    _new_key()


def rotate() -> None:
    old = list(RSAKey.objects.values_list("pk", flat=True))
    _new_key()
    RSAKey.objects.filter(pk__in=old).delete()


if __name__ == "__main__":
    if sys.argv[1] == "init":
        init(json.loads(sys.argv[2]))
    elif sys.argv[1] == "rotate":
        rotate()
    else:
        raise SystemExit(f"unknown command {sys.argv[1]}")
