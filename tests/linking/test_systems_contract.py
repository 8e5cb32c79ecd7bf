"""The specialist systems' operations do what the OpenAPI document says, called with a
system's own key (the suite-wide run in tests/api calls with a staff token, which these
operations refuse with 401 before reading anything)."""

from __future__ import annotations

import pytest
import schemathesis
from schemathesis.engine import events
from schemathesis.engine.statistic import Statistic

from midoffice.systems import services
from midoffice.systems.models import SpecialistSystem
from tests.api.test_api_contract import _describe, _document
from tests.factories import DossierTypeFactory, TeamFactory, open_dossier

pytestmark = [pytest.mark.slow]

SEED = 28
MAX_EXAMPLES = 20


@pytest.mark.django_db(transaction=True)
def test_the_specialist_system_operations_keep_their_contract(live_server, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None},
    }
    team = TeamFactory(code="omgeving", name="Omgeving")
    for _ in range(2):
        open_dossier(dossier_type=DossierTypeFactory(team=team))
    system = SpecialistSystem.objects.create(
        name="Omgevingsloket", code="omv", scopes=["link", "status", "documents", "webhooks"]
    )
    system.teams.set([team])
    _, key = services.system_token_create(system=system, actor=None)

    document = _document()
    document["paths"] = {
        path: operations
        for path, operations in document["paths"].items()
        if any("maatsystemen" in op.get("tags", []) for op in operations.values())
    }
    assert len(document["paths"]) == 6
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "base-url": live_server.url,
            "workers": 1,
            "headers": {"Authorization": f"Token {key}", "Connection": "close"},
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
    schema = schemathesis.openapi.from_dict(document, config=config)

    stats = Statistic()
    errors: list[str] = []
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            stats.on_scenario_finished(event.recorder)
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            errors.append(f"fatal: {event.exception!r}")

    assert stats.total_cases > 100
    assert not stats.failures, _describe(stats, errors)
    assert not errors, "\n".join(errors)
