from __future__ import annotations

from typing import Any

import pytest

#: Figures of the schemathesis run (test_api_contract), shown in the terminal summary so
#: they appear in `pytest -q` and `make test` output whether the run passed or not.
CONTRACT_RESULTS: list[dict[str, Any]] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for result in CONTRACT_RESULTS:
        terminalreporter.write_line(
            "schemathesis API contract ({database}): {operations} of {documented} operations, "
            "{cases} cases, {failures} failures, {seconds:.1f} s".format(**result)
        )


@pytest.fixture
def rate_limits(settings):
    """Set the API rate limits for one test, e.g. ``rate_limits(anon="3/min")``."""

    def set_limits(**rates: str | None) -> None:
        current = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**current, **rates},
        }

    return set_limits
