"""The portal's address autocomplete (issue 15): the Adressenregister's suggestions for
what a citizen typed, for the booking details (and any portal form with an address).

Public — booking needs no sign-in — so it answers only the register's public addresses,
never dossier data, and is rate-limited per client address
(``MIDOFFICE_PORTAL_ADDRESS_SUGGESTIONS_PER_MINUTE``), counted in the database like the
API's limits (core.throttling), so the limit holds across workers. The options are the
same htmx fragment as on the staff pages (``web/_address_options.html``) for the same
combobox (``web/combobox.js``).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from midoffice.core import clock
from midoffice.core.http import client_address
from midoffice.core.throttling import rate_window_hit
from midoffice.integrations.registers.client import RegisterError
from midoffice.places.selectors import address_suggestions

MAX_TYPED = 200
PERIOD = 60
TOO_MANY = "Te veel opzoekingen na elkaar. Typ het volledige adres of probeer het over een minuut."


@require_GET
def address_suggest(request: HttpRequest) -> HttpResponse:
    """The register's addresses for what was typed so far (options of the combobox)."""
    limit: int = settings.PORTAL_ADDRESS_SUGGESTIONS_PER_MINUTE
    bucket = f"portal-address:{client_address(request) or 'unknown'}"
    hits, started = rate_window_hit(bucket=bucket, period=PERIOD)
    if hits > limit:
        answer = render(
            request,
            "web/_address_options.html",
            {"found": [], "error": TOO_MANY, "typed": ""},
            status=429,
        )
        answer["Retry-After"] = str(max(1, started + PERIOD - int(clock.now().timestamp())))
        return answer
    typed = request.GET.get("address", "")[:MAX_TYPED]
    error = ""
    try:
        found = address_suggestions(text=typed)
    except RegisterError:
        found = []
        error = "Het adressenregister antwoordt niet. Typ het volledige adres."
    answer = render(
        request,
        "web/_address_options.html",
        {"found": found, "error": error, "typed": typed},
    )
    answer["Cache-Control"] = "no-store"
    return answer
