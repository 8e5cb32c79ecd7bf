import sys

from django.apps import AppConfig
from django.conf import settings


def _register_fake_registers() -> None:
    """``make run`` (DEBUG, no register URL): serve_all also starts the fake registers."""
    from midoffice.core.management.commands.serve_all import EXTRA_PROCESSES

    if settings.FAKE_REGISTERS and all(name != "fake-registers" for name, _ in EXTRA_PROCESSES):
        me = [sys.executable, "-m", "midoffice.manage"]
        EXTRA_PROCESSES.append(("fake-registers", [*me, "fake_registers", "--port", "8090"]))


class PlacesConfig(AppConfig):
    """Addresses and parcels from the Flemish base registers (ADR 26)."""

    name = "midoffice.places"
    label = "places"
    verbose_name = "Adressen en percelen"

    def ready(self) -> None:
        from midoffice.dossiers import hooks
        from midoffice.places import services, tasks  # noqa: F401 - tasks: the sweep job

        if services.registers_check_on_open not in hooks.on_opened:
            hooks.on_opened.append(services.registers_check_on_open)
        _register_fake_registers()
