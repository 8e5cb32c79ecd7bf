"""Run in a subprocess against a restored instance (settings from the environment): print,
as JSON, its row counts, its stored files with their hashes, the names its rows refer to,
and whether the staff dossier page and the citizen portal answer."""

from __future__ import annotations

import hashlib
import json
import sys

import django


def main() -> None:
    django.setup()
    from django.core.files.storage import default_storage
    from django.db import connection
    from django.test import Client

    from midoffice.accounts.models import User
    from midoffice.core.backup import database
    from midoffice.core.backup.archive import storage_walk
    from midoffice.core.backup.references import referenced_names
    from midoffice.dossiers.models import Dossier
    from midoffice.intake.models import InboundMessage

    files = {}
    for name in storage_walk(default_storage):
        with default_storage.open(name, "rb") as handle:
            files[name] = hashlib.sha256(handle.read()).hexdigest()
    with connection.cursor() as cursor:
        references = sorted(referenced_names(cursor, connection.ops.quote_name))
    counts = database.database_counts(database.database_tables())

    staff = Client(HTTP_HOST="localhost")
    staff.force_login(User.objects.get(username="sofie"))
    mailed = InboundMessage.objects.filter(dossier__isnull=False).order_by("pk").first()
    assert mailed is not None
    assert mailed.dossier is not None
    page = staff.get(f"/dossiers/{mailed.dossier.reference}/", secure=True)
    staff_ok = page.status_code == 200 and mailed.dossier.reference in page.content.decode()

    citizen = Client(HTTP_HOST="localhost")
    own = Dossier.objects.filter(requester__isnull=False).order_by("pk").first()
    assert own is not None
    assert own.requester is not None
    session = citizen.session
    session["portal_party"] = own.requester.pk
    session.save()
    portal = citizen.get(f"/mijn/dossiers/{own.reference}", secure=True)
    portal_ok = portal.status_code == 200 and own.reference in portal.content.decode()

    json.dump(
        {
            "counts": counts,
            "files": files,
            "references": references,
            "received": InboundMessage.objects.filter(state="received").count(),
            "staff_page": [page.status_code, staff_ok],
            "portal_page": [portal.status_code, portal_ok],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
