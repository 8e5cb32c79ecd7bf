"""Demo addresses (issue 15): a few demo dossiers get a verified address and parcel from
the fake Adressenregister (``integrations/registers/fake_server.py``), so that in
``make run`` the dossier page shows the property information and the "same property"
links without anybody typing an address. Two dossiers share Kerkstraat 12.

Written as a verification would have stored them (the register's spelling, object URI
and CaPaKey); the register is not asked while the demo loads (it may not run yet).
"""

from __future__ import annotations

from dataclasses import dataclass

from midoffice.dossiers.models import AddressVerification, Dossier
from midoffice.integrations.registers.client import ADDRESS_NAMESPACE
from midoffice.integrations.registers.fake_server import ADDRESSES, PARCELS, POSTCODE, TOWN


@dataclass(frozen=True)
class DemoAddress:
    subject: str  # the demo dossier (``web.demo.DOSSIERS``)
    object_id: str  # the fake register's address


DEMO_ADDRESSES = (
    DemoAddress("Wat mogen we doen bij de renovatie van ons huis?", "3000112"),
    DemoAddress("Mag ik een carport plaatsen zonder vergunning?", "3000112"),
    DemoAddress("Put in het voetpad aan de Kastanjedreef", "3000201"),
)


def load_demo_addresses() -> dict[str, int]:
    """Give the demo dossiers above their register address (and parcel, when the address
    lies on exactly one); a dossier that already has an address is left alone."""
    by_id = {a.object_id: a for a in ADDRESSES}
    done = 0
    for demo in DEMO_ADDRESSES:
        address = by_id[demo.object_id]
        parcels = [key for key, ids in PARCELS.items() if demo.object_id in ids]
        number = f"{address.number} bus {address.box}" if address.box else address.number
        done += Dossier.objects.filter(
            subject=demo.subject, location_street="", address_uri=""
        ).update(
            location_street=address.street,
            location_number=number,
            location_postcode=POSTCODE,
            location_municipality=TOWN,
            address_uri=f"{ADDRESS_NAMESPACE}/{demo.object_id}",
            address_verification=AddressVerification.VERIFIED,
            capakey=parcels[0] if len(parcels) == 1 else "",
            capakey_verified=len(parcels) == 1,
        )
    return {"addresses": done}
