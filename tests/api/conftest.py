from __future__ import annotations

from typing import Any

#: Figures of the schemathesis run (test_api_contract), shown in the terminal summary so
#: they appear in `pytest -q` and `make test` output whether the run passed or not.
CONTRACT_RESULTS: list[dict[str, Any]] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for result in CONTRACT_RESULTS:
        terminalreporter.write_line(
            "schemathesis API contract ({database}): {operations} of {documented} operations, "
            "{cases} cases, {failures} failures, {seconds:.1f} s".format(**result)
        )
