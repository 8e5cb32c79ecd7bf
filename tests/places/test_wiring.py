"""How the places app is wired: the fake for ``make run`` and the verification sweep."""

from __future__ import annotations

from django.test import override_settings

from midoffice.core.schedule import PERIODIC_JOBS


def test_serve_all_starts_the_fake_registers_only_without_a_register_url() -> None:
    from midoffice.core.management.commands.serve_all import EXTRA_PROCESSES
    from midoffice.places.apps import _register_fake_registers

    saved = list(EXTRA_PROCESSES)
    try:
        EXTRA_PROCESSES[:] = [item for item in EXTRA_PROCESSES if item[0] != "fake-registers"]
        with override_settings(FAKE_REGISTERS=False):
            _register_fake_registers()
        assert "fake-registers" not in [name for name, _ in EXTRA_PROCESSES]
        with override_settings(FAKE_REGISTERS=True):
            _register_fake_registers()
            _register_fake_registers()
        started = [argv for name, argv in EXTRA_PROCESSES if name == "fake-registers"]
        assert len(started) == 1
        assert started[0][-3:] == ["fake_registers", "--port", "8090"]
    finally:
        EXTRA_PROCESSES[:] = saved


def test_the_verification_sweep_is_scheduled() -> None:
    jobs = {job.name: job.task for job in PERIODIC_JOBS}
    assert jobs["address-verify-sweep"] == "midoffice.places.tasks.address_verify_sweep_task"
