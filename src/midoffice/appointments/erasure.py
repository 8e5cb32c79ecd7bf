"""The appointments' part of destroying a dossier: its appointments with their
participants (and the invitations still in the outbox). Registered with
``dossiers.erasure`` in ``AppointmentsConfig.ready()``."""

from __future__ import annotations

from midoffice.appointments.models import Appointment
from midoffice.dossiers.erasure import Eraser, Erasure


def _collect(erasure: Erasure) -> None:
    rows = list(
        Appointment.objects.filter(dossier_id=erasure.dossier.pk).values_list(
            "pk", "uid", "party_id"
        )
    )
    ids = [pk for pk, _, _ in rows]
    erasure.needles |= {uid for _, uid, _ in rows if uid}  # in the invitations (.ics)
    erasure.outbox_keys |= {f"appointment:{pk}" for pk in ids}
    erasure.party_ids |= {party for _, _, party in rows if party}
    erasure.rows("appointment_id", ids)
    erasure.admin("appointments.appointment", ids)
    erasure.counts["appointments"] += len(ids)


def _erase(erasure: Erasure) -> None:
    # Appointments (and their participants) cascade from the dossier; deleted here so
    # the order is plain to read.
    Appointment.objects.filter(dossier_id=erasure.dossier.pk).delete()


APPOINTMENTS_ERASER = Eraser(collect=_collect, erase=_erase)
