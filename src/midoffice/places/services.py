"""Writes of the places app: a dossier's address, checked against the Adressenregister.

The register is asked *before* the transaction (no row lock is held during a network
call). Down, slow or refusing: the address is saved as typed, marked "niet geverifieerd",
and :func:`dossier_address_verify` (a task, enqueued after commit, and the periodic sweep)
checks it later. The dossiers app keeps the rules of the location itself
(:func:`dossier_set_location` validates, checks the role table and writes the event).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction

from midoffice.accounts.models import User
from midoffice.accounts.permissions import Action, require
from midoffice.core.errors import UserError
from midoffice.dossiers.events import event_record
from midoffice.dossiers.models import AddressVerification, Dossier, EventKind
from midoffice.dossiers.services import (
    Location,
    dossier_set_location,
    location_clean,
    location_line,
)
from midoffice.integrations.registers.client import (
    AddressGone,
    RegisterAddress,
    RegisterError,
    RegisterRefused,
)
from midoffice.places import registers
from midoffice.places.parsing import parse_address_line, split_number

logger = logging.getLogger(__name__)
SWEEP_BATCH = 200


@dataclass(frozen=True)
class AddressCheck:
    """What the registers said about an address (and the dossier's parcel)."""

    state: str  # an AddressVerification value
    address: RegisterAddress | None = None
    capakeys: tuple[str, ...] = ()  # the parcels the address lies on
    capakey_known: bool = False  # the dossier's own CaPaKey exists in the register


def address_check(*, location: Location, address_id: str = "", capakey: str = "") -> AddressCheck:
    """Match an address (and a CaPaKey) against the registers; never raises for the
    register's faults: those answer ``UNVERIFIED`` so the caller saves and retries later."""
    try:
        if address_id:
            found = registers.address(address_id)
        else:
            number, box = split_number(location.number)
            candidates = registers.search(
                street=location.street, number=number, postcode=location.postcode
            )
            found = next(
                (
                    a
                    for a in candidates
                    if a.street.casefold() == location.street.casefold()
                    and a.number.upper() == number.upper()
                    and a.box == box
                ),
                None,
            )
        if found is None or not found.in_use:
            return AddressCheck(state=AddressVerification.NOT_FOUND)
        capakeys = tuple(p.capakey for p in registers.parcels_of_address(found.object_id))
        capakey_known = bool(capakey) and (
            capakey in capakeys or registers.parcel(capakey) is not None
        )
        return AddressCheck(
            state=AddressVerification.VERIFIED,
            address=found,
            capakeys=capakeys,
            capakey_known=capakey_known,
        )
    except AddressGone:
        return AddressCheck(state=AddressVerification.NOT_FOUND)
    except RegisterRefused:
        # Our configuration's fault, not the user's: say so loudly in the log.
        logger.error("address register refused our API key", exc_info=True)
        return AddressCheck(state=AddressVerification.UNVERIFIED)
    except RegisterError as exc:
        logger.warning("address register unavailable: %s", exc)
        return AddressCheck(state=AddressVerification.UNVERIFIED)


def _registered_location(address: RegisterAddress) -> Location:
    number = f"{address.number} bus {address.box}" if address.box else address.number
    return Location(
        street=address.street,
        number=number,
        postcode=address.postcode,
        municipality=address.municipality,
    )


def _apply_check(dossier: Dossier, check: AddressCheck) -> None:
    """Store the registers' identifiers on the (locked) dossier."""
    dossier.address_verification = check.state
    dossier.address_uri = check.address.uri if check.address else ""
    fields = ["address_verification", "address_uri", "capakey_verified"]
    if check.state == AddressVerification.VERIFIED:
        if not dossier.capakey and len(check.capakeys) == 1:
            # One parcel under the address: that is the dossier's parcel.
            dossier.capakey = check.capakeys[0]
            fields.append("capakey")
            dossier.capakey_verified = True
        else:
            dossier.capakey_verified = check.capakey_known or dossier.capakey in check.capakeys
    else:
        dossier.capakey_verified = False
    dossier.save(update_fields=fields)


def _enqueue_verify(dossier_id: int) -> None:
    from midoffice.places.tasks import address_verify_task

    address_verify_task.enqueue(dossier_id=dossier_id)


def dossier_set_address(
    *,
    actor: User | None,
    dossier: Dossier,
    text: str = "",
    location: Location | None = None,
    address_id: str = "",
) -> Dossier:
    """Set the dossier's address from one typed line (``text``), parts (``location``) or
    an address the staff member picked from the register (``address_id``).

    A verified address is stored in the register's spelling with its object URI (and the
    parcel, when the address lies on exactly one); otherwise as typed, marked "niet
    gevonden" or — when the register did not answer — "niet geverifieerd", with a task
    enqueued after commit to verify it later.
    """
    require(actor, Action.SET_LOCATION, dossier)
    if location is None:
        typed = parse_address_line(text)
        location = Location(
            street=typed.street,
            number=typed.number_with_box,
            postcode=typed.postcode,
            municipality=typed.municipality,
        )
    check = AddressCheck(state=AddressVerification.UNVERIFIED)
    if (location.street and location.number) or address_id:
        check = address_check(location=location, address_id=address_id, capakey=dossier.capakey)
    if check.address is not None:
        location = _registered_location(check.address)
    with transaction.atomic():
        dossier = dossier_set_location(actor=actor, dossier=dossier, location=location)
        _apply_check(dossier, check)
        if check.state == AddressVerification.UNVERIFIED:
            dossier_id = dossier.pk
            transaction.on_commit(lambda: _enqueue_verify(dossier_id))
    return dossier


def dossier_address_verify(*, dossier_id: int, opened: bool = False) -> str:
    """Verify a dossier's address saved while the register was down (or, with
    ``opened``, the address a new dossier came with: from the mail, the API, the portal).
    Idempotent: a dossier not (or no longer) waiting is left alone; a register still down
    leaves it waiting for the next sweep. Returns the verification state."""
    waiting = {AddressVerification.UNVERIFIED} | ({AddressVerification.NONE} if opened else set())
    dossier = Dossier.objects.filter(pk=dossier_id).first()
    if dossier is None or dossier.address_verification not in waiting:
        return dossier.address_verification if dossier else ""
    if not (dossier.location_street and dossier.location_number):
        return _capakey_verify(dossier) if opened else dossier.address_verification
    typed = Location(
        street=dossier.location_street,
        number=dossier.location_number,
        postcode=dossier.location_postcode,
        municipality=dossier.location_municipality,
    )
    check = address_check(location=typed, capakey=dossier.capakey)
    if check.state == AddressVerification.UNVERIFIED and not opened:
        return check.state
    with transaction.atomic():
        locked = Dossier.objects.select_for_update().get(pk=dossier_id)
        unchanged = (
            locked.location_street,
            locked.location_number,
            locked.location_postcode,
        ) == (typed.street, typed.number, typed.postcode)
        if locked.address_verification not in waiting or not unchanged:
            return locked.address_verification  # changed meanwhile: that change counts
        if check.state == AddressVerification.UNVERIFIED:
            # A new dossier's address while the register is down: the sweep takes it.
            _apply_check(locked, check)
            return check.state
        if check.address is not None:
            registered = _registered_location(check.address)
            locked.location_street = registered.street
            locked.location_number = registered.number
            locked.location_postcode = registered.postcode
            locked.location_municipality = registered.municipality
            locked.save(
                update_fields=[
                    "location_street",
                    "location_number",
                    "location_postcode",
                    "location_municipality",
                ]
            )
        _apply_check(locked, check)
        summary = (
            f"Adres geverifieerd in het adressenregister: {location_line(typed)}"
            if check.state == AddressVerification.VERIFIED
            else f"Adres niet gevonden in het adressenregister: {location_line(typed)}"
        )
        event_record(
            dossier=locked,
            kind=EventKind.LINK_ADDED,
            actor=None,
            summary=summary[:300],
            data={"address_uri": locked.address_uri, "verification": check.state},
        )
    return check.state


def _capakey_verify(dossier: Dossier) -> str:
    """A new dossier with a parcel but no address: is the CaPaKey known?"""
    if not dossier.capakey:
        return dossier.address_verification
    try:
        known = registers.parcel(dossier.capakey) is not None
    except RegisterError as exc:
        logger.warning("parcel register unavailable: %s", exc)
        return dossier.address_verification
    Dossier.objects.filter(pk=dossier.pk, capakey=dossier.capakey).update(capakey_verified=known)
    return dossier.address_verification


def registers_check_on_open(dossier: Dossier, change: object) -> None:
    """Hook of ``dossier_open``: a dossier that arrives with an address or a CaPaKey (from
    the mail's recognition, the API or the portal) is matched against the registers by a
    task after commit — never during the opening itself."""
    if not registers.configured() or not (
        (dossier.location_street and dossier.location_number) or dossier.capakey
    ):
        return
    from midoffice.places.tasks import address_opened_check_task

    dossier_id = dossier.pk
    transaction.on_commit(lambda: address_opened_check_task.enqueue(dossier_id=dossier_id))


def address_verify_pending(*, limit: int = SWEEP_BATCH) -> int:
    """The periodic sweep: verify what waits, oldest first; stops at the first address
    the register still cannot answer for (it is down: asking more only adds load).
    Returns how many were settled."""
    ids = list(
        Dossier.objects.filter(address_verification=AddressVerification.UNVERIFIED)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    settled = 0
    for dossier_id in ids:
        if dossier_address_verify(dossier_id=dossier_id) == AddressVerification.UNVERIFIED:
            break
        settled += 1
    return settled


def address_for_new_dossier(*, text: str, address_id: str = "") -> tuple[Location, AddressCheck]:
    """The address a dossier is opened with (the front desk), checked against the register
    *before* the opening's transaction, by the same rules as :func:`dossier_set_address`:
    picked or found, it is the register's spelling; otherwise as typed, with the state.
    Store the state with :func:`address_check_store` inside the opening's transaction."""
    typed = parse_address_line(text)
    location = Location(
        street=typed.street,
        number=typed.number_with_box,
        postcode=typed.postcode,
        municipality=typed.municipality,
    )
    if not address_id:
        _typed_location_check(location)
    check = address_check(location=location, address_id=address_id)
    if check.address is not None:
        location = _registered_location(check.address)
    elif address_id and not (location.street and location.number):
        # The picked address is gone and the line does not say enough.
        _typed_location_check(location)
    return location, check


def _typed_location_check(location: Location) -> None:
    """The rules of ``dossier_set_location`` for a typed address, before the register is
    asked (an address without a number could never be verified: the sweep would stall)."""
    location_clean(location, field="address")


def address_check_store(dossier: Dossier, check: AddressCheck) -> None:
    """Store a check of :func:`address_for_new_dossier` on the dossier just opened (in
    its transaction). An unverified address is verified after commit by the opening's
    hook (:func:`registers_check_on_open`) and the sweep."""
    if not (dossier.location_street or dossier.location_number):
        return
    _apply_check(dossier, check)


@dataclass(frozen=True)
class CheckedAddress:
    """An address a citizen gave (a booking, a portal question), checked against the
    register before the transaction that stores it: the register's spelling and object
    when picked or found, else as typed with the state (ADR 26)."""

    location: Location
    check: AddressCheck

    @property
    def line(self) -> str:
        return location_line(self.location)

    @property
    def uri(self) -> str:
        return self.check.address.uri if self.check.address else ""

    @property
    def state(self) -> str:
        return self.check.state


def address_checked(*, text: str, address_id: str = "") -> CheckedAddress | None:
    """:func:`address_for_new_dossier` for a citizen's optional address: a line that is
    not an address (no street and number, too long) is no reason to refuse what the
    citizen asks; it is kept as text only (None here)."""
    if not text.strip() and not address_id:
        return None
    try:
        location, check = address_for_new_dossier(text=text, address_id=address_id)
    except UserError:
        return None
    return CheckedAddress(location=location, check=check)


def dossier_address_from_citizen(dossier: Dossier, address: CheckedAddress) -> bool:
    """Store a citizen's checked address on ``dossier`` (in the caller's transaction) when
    the dossier has none yet: a handler's address is never overwritten by the portal.
    An unverified address is verified after commit (the task, then the sweep). Returns
    whether it was stored."""
    locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
    if locked.location_street or locked.location_number or locked.address_uri:
        return False
    locked.location_street = address.location.street
    locked.location_number = address.location.number
    locked.location_postcode = address.location.postcode
    locked.location_municipality = address.location.municipality
    locked.save(
        update_fields=[
            "location_street",
            "location_number",
            "location_postcode",
            "location_municipality",
        ]
    )
    _apply_check(locked, address.check)
    event_record(
        dossier=locked,
        kind=EventKind.LINK_ADDED,
        actor=None,
        summary=f"Adres opgegeven door de burger: {address.line}"[:300],
        data={"address_uri": locked.address_uri, "verification": address.state},
    )
    if address.state == AddressVerification.UNVERIFIED:
        dossier_id = locked.pk
        transaction.on_commit(lambda: _enqueue_verify(dossier_id))
    return True
