"""The agenda the bookings go into: ``get_backend()`` picks it by setting.

``MIDOFFICE_APPOINTMENTS_BACKEND``: ``local`` (default; Midoffice's own agenda,
``backends.local``) or ``jcc`` (the town's JCC-Afspraken, ``backends.jcc``). Both are
imported by dotted path when asked for, so a town on the local agenda never loads the
SOAP client.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from midoffice.appointments.backends.base import AgendaBackend

BACKENDS: dict[str, str] = {
    "local": "midoffice.appointments.backends.local.LocalBackend",
    "jcc": "midoffice.appointments.backends.jcc.JccBackend",
}


def backend_code() -> str:
    """The configured backend's code (``local`` or ``jcc``), without loading it."""
    return str(getattr(settings, "APPOINTMENTS_BACKEND", "local") or "local")


def get_backend() -> AgendaBackend:
    """The configured agenda backend (a new instance)."""
    code = backend_code()
    path = BACKENDS.get(code)
    if path is None:
        raise ImproperlyConfigured(
            f"MIDOFFICE_APPOINTMENTS_BACKEND must be one of {', '.join(BACKENDS)}, not {code!r}"
        )
    backend: AgendaBackend = import_string(path)()
    return backend
