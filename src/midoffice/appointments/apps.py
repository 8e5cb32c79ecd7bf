from __future__ import annotations

from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "midoffice.appointments"
    label = "appointments"
    verbose_name = "Afspraken"
