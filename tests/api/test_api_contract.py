"""The API does what its OpenAPI document says (issue 19, item 7): a bounded schemathesis run.

Schemathesis reads the document the code generates and sends what it derives from it —
examples, boundary cases, random valid and invalid input, and chains of calls — to a live
server in this process, with an API token, and runs all of its checks on every answer:
no server error, every status code and content type documented, every body and header as
the schema says, invalid input refused, valid input not refused, authentication not
ignored, unsupported methods answered with 405. Any failure fails this test, and the
figures are printed in the test summary (tests/api/conftest.py).

One thing the schema cannot say: whether a code names an existing dossier type, whether an
INSZ checksum holds, whether a workflow step is allowed. A POST that breaks such a rule
gets 400 (with the field and a Dutch message), so for POST operations 400 also counts as
a valid answer to schema-valid data. Query parameters are fully described by the schema,
so a GET must take every schema-valid request.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework.authtoken.models import Token
from schemathesis.engine import events
from schemathesis.engine.run import PhaseName
from schemathesis.engine.statistic import Statistic

from midoffice.parties.services import PostalAddress, party_create
from tests.api.conftest import CONTRACT_RESULTS
from tests.factories import DossierTypeFactory, PartyFactory, TeamFactory, UserFactory, open_dossier

pytestmark = [pytest.mark.slow, pytest.mark.once]

#: Fixed, so a failure is the same failure on the next run and in CI.
SEED = 19
#: Per operation and phase; about 1,000 cases in all, well under a minute per database.
MAX_EXAMPLES = 25


def _town() -> str:
    """A team with two dossier types, contacts and dossiers; returns the API token of its
    team lead."""
    team = TeamFactory(code="omgeving", name="Omgeving")
    lead = UserFactory(username="teamlead", team_lead=True, teams=[team])
    UserFactory(username="collega", teams=[team])
    permits = DossierTypeFactory(team=team, code="info-verbouwen")
    trees = DossierTypeFactory(team=team, code="boom-kappen")
    emma = party_create(
        given_name="Emma",
        family_name="Peeters",
        email="emma.peeters@voorbeeld.example",
        phone="0470 12 34 56",
        address=PostalAddress(
            street="Kerkstraat", house_number="12", postcode="2640", municipality="Leemdonk"
        ),
    )
    for dossier_type, requester in [(permits, emma), (trees, PartyFactory()), (permits, None)]:
        open_dossier(dossier_type=dossier_type, requester=requester)
    return Token.objects.create(user=lead).key


def _document() -> dict[str, Any]:
    """The OpenAPI document as /api/schema/ serves it."""
    schema = SchemaGenerator().get_schema(public=True)
    return json.loads(OpenApiJsonRenderer().render(schema))


def _describe(stats: Statistic, errors: list[str]) -> str:
    lines = []
    for label, groups in stats.failures.items():
        for group in groups.values():
            for failure in group.failures:
                lines.append(f"{label}: {failure.title}\n    {failure.message[:600]}")
            lines.append(f"    reproduce: {group.code_sample}")
    return "\n".join(lines + errors)


@pytest.mark.django_db(transaction=True)
def test_the_api_keeps_its_openapi_contract(live_server, settings):
    # A fuzzer is not a client: its requests are not what the rate limits are for.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None},
    }
    token = _town()
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "base-url": live_server.url,
            "workers": 1,
            # A new connection per request: Django's test server answers a kept-alive
            # connection only after the client's delayed ACK (40 ms a request, not 8).
            "headers": {"Authorization": f"Token {token}", "Connection": "close"},
            "generation": {"max-examples": MAX_EXAMPLES, "mode": "all", "database": "none"},
            "checks": {"enabled": True},
            "operations": [
                {
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
    schema = schemathesis.openapi.from_dict(_document(), config=config)

    stats = Statistic()
    errors: list[str] = []
    operations: set[str] = set()
    started = time.monotonic()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            stats.on_scenario_finished(event.recorder)
            operations.update(case.value.operation.label for case in event.recorder.cases.values())
            if event.skip_reason and event.phase != PhaseName.EXAMPLES:  # the schema has none
                errors.append(f"{event.recorder.label}: skipped ({event.skip_reason})")
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            errors.append(f"fatal: {event.exception!r}")
    elapsed = time.monotonic() - started

    CONTRACT_RESULTS.append(
        {
            "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
            "operations": len(operations),
            "documented": sum(len(ops) for ops in _document()["paths"].values()),
            "cases": stats.total_cases,
            "failures": stats.total_failures + len(errors),
            "seconds": elapsed,
        }
    )
    assert not stats.failures, _describe(stats, errors)
    assert not errors, _describe(stats, errors)
    assert operations == {
        f"{method.upper()} {path}" for path, ops in _document()["paths"].items() for method in ops
    }, "every operation is exercised"
