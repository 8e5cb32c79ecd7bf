"""The only row-locking queries of the appointments app, always in the same order.

A booking (or a move) locks the rows of every member of staff and every room it could
use — staff by id, then rooms by id — and only then checks that its slot is still free
and writes. Two bookings that could use the same person or room therefore run one after
the other, and the second sees the first one's appointment; always locking in that order
means two of them never wait for each other in a circle (ADR 15).

On PostgreSQL the locks are ``FOR NO KEY UPDATE``: they queue bookings but do not stop
other work from inserting rows that refer to those users (an event with that user as
actor). On SQLite ``select_for_update`` is a no-op; there every write transaction takes
the database's write lock at BEGIN (``transaction_mode = IMMEDIATE`` in settings), so
bookings are serialised already.
"""

from __future__ import annotations

from collections.abc import Iterable

from midoffice.accounts.models import User
from midoffice.appointments.models import Appointment, Room


def resources_lock(*, staff_ids: Iterable[int], room_ids: Iterable[int]) -> None:
    """Lock these staff rows, then these room rows, each in id order, until commit."""
    staff = sorted(set(staff_ids))
    rooms = sorted(set(room_ids))
    if staff:
        list(
            User.objects.select_for_update(no_key=True)
            .filter(pk__in=staff)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    if rooms:
        list(
            Room.objects.select_for_update(no_key=True)
            .filter(pk__in=rooms)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def appointment_lock(appointment: Appointment) -> Appointment:
    """The appointment, fresh and locked until commit (taken before any resource lock)."""
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("service", "dossier", "location", "room", "staff", "party")
        .get(pk=appointment.pk)
    )
