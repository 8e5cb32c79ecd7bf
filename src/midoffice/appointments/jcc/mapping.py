"""The one table between Midoffice's agenda interface and JCC-Afspraken's GGS2 names.

JCC's documentation is not public, so every name the adapter sends or reads is a row
here, with where we got it:

* ``wsdl``: the name appears in a public copy of a GGS2 WSDL (the test material of Open
  Formulieren's JCC plugin, "internetafsprakenadapter GGS2", 2020) and in ``ggs2.wsdl``;
* ``sample``: seen in public sample answers of a JCC server (same source);
* ``assumed``: our reading, not confirmed by any public source.

A town that receives JCC's real WSDL and documentation compares them with this table and
corrects the right-hand column here; nothing else in the adapter names a JCC field. The
keys (left) are Midoffice's own and must not change: the adapter and the fake read them.

Client fields: ``GetRequiredClientFields`` answers codes (``Birthday``, ``MainTel``…);
``required.<key>`` says which codes ask for Midoffice's client field ``<key>`` and
``client.<key>`` says in which ``AppointmentDetailsType`` element that field is sent.
Midoffice's keys are ``name``, ``email`` and ``phone`` (the ``Client`` fields) and the
rest travel in ``Client.extra``; ``CLIENT_FIELD_LABELS`` names them in Dutch for forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

Source = Literal["wsdl", "sample", "assumed"]


@dataclass(frozen=True)
class Row:
    ours: str
    jcc: str
    source: Source
    note: str = ""


MAPPING: tuple[Row, ...] = (
    # --- Operations -----------------------------------------------------------------
    Row("op.services", "getGovAvailableProducts", "wsdl", "all products (services)"),
    Row("op.service_details", "getGovProductDetails", "wsdl", "a product's duration"),
    Row("op.locations", "getGovLocations", "wsdl", "ids of all locations"),
    Row("op.location_details", "getGovLocationDetails", "wsdl", "a location's address"),
    Row("op.locations_for_service", "getGovLocationsForProduct", "wsdl"),
    Row("op.days", "getGovAvailableDays", "wsdl"),
    Row("op.times", "getGovAvailableTimesPerDay", "wsdl"),
    Row("op.client_fields", "GetRequiredClientFields", "wsdl", "capital G, as in the WSDL"),
    Row("op.book", "bookGovAppointment", "wsdl"),
    Row("op.cancel", "deleteGovAppointment", "wsdl"),
    Row("op.details", "getGovAppointmentDetails", "wsdl"),
    # --- Request parameters (keyword names of the operations) ------------------------
    Row("in.service", "productID", "wsdl", "several products: comma-separated ids"),
    Row("in.location", "locationID", "wsdl"),
    Row("in.first_day", "startDate", "wsdl", "xsd:date, inclusive (assumed)"),
    Row("in.last_day", "endDate", "wsdl", "xsd:date, inclusive (assumed)"),
    Row("in.day", "date", "wsdl"),
    Row("in.duration", "appDuration", "wsdl", "minutes; see value.duration"),
    Row("in.appointment", "appID", "wsdl"),
    Row("in.booking", "appDetail", "wsdl", "an AppointmentDetailsType"),
    Row("in.booking_fields", "fields", "wsdl", "extra name/value pairs; we send none"),
    # --- Answer fields ---------------------------------------------------------------
    Row("out.service.id", "productId", "wsdl", "lower-case d, unlike productID elsewhere"),
    Row("out.service.code", "productCode", "wsdl", "JCC's short code; not used for calls"),
    Row("out.service.name", "productDesc", "wsdl"),
    Row("out.service.duration", "appDuration", "wsdl", "in getGovProductDetails, minutes"),
    Row("out.location.id", "locationID", "wsdl", "in getGovLocationsForProduct"),
    Row("out.location.name", "locationDesc", "wsdl"),
    Row("out.location.street", "address", "wsdl", "street and number"),
    Row("out.location.postcode", "postalcode", "sample", "all lower case in the answers"),
    Row("out.location.city", "city", "wsdl"),
    Row("out.status", "updateStatus", "wsdl", "book and delete answer it"),
    Row("out.appointment_id", "appID", "wsdl", "in the bookGovAppointment answer"),
    # --- AppointmentDetailsType: what a booking carries and what details answer ---------
    Row("booking.service", "productID", "wsdl"),
    Row("booking.location", "locationID", "wsdl"),
    Row("booking.start", "appStartTime", "wsdl", "naive Brussels wall clock (local_time)"),
    Row("booking.end", "appEndTime", "wsdl", "required by the schema; start + duration"),
    Row("booking.remark", "appointmentDesc", "wsdl"),
    Row("booking.client_verified", "isClientVerified", "wsdl", "we send false"),
    Row("booking.recurring", "isRecurring", "wsdl", "we send false"),
    # --- Client fields: element in AppointmentDetailsType --------------------------------
    Row("client.name", "clientLastName", "wsdl", "the whole name unless extra last_name"),
    Row("client.initials", "clientInitials", "wsdl", "initials or first name"),
    Row("client.email", "clientMail", "wsdl"),
    Row("client.phone", "clientTel", "wsdl", "one element for MainTel/MobileTel/AnyTel"),
    Row("client.birth_date", "clientDateOfBirth", "wsdl", "xsd:date, YYYY-MM-DD"),
    Row("client.address", "clientAddress", "wsdl", "street and number"),
    Row("client.postcode", "clientPostalCode", "wsdl"),
    Row("client.city", "clientCity", "wsdl"),
    Row("client.national_number", "clientID", "assumed", "BSN in NL; INSZ here"),
    Row("client.sex", "clientSex", "wsdl", "M or F (assumed)"),
    # --- Client fields: codes GetRequiredClientFields answers (comma-separated) ---------
    Row("required.name", "LastName", "assumed", "always asked; JCC does not list it"),
    Row("required.initials", "Initials", "assumed"),
    Row("required.email", "Email", "sample"),
    Row("required.phone", "MainTel,MobileTel,AnyTel", "sample", "MainTel seen; rest assumed"),
    Row("required.birth_date", "Birthday", "sample"),
    Row("required.address", "Address", "assumed"),
    Row("required.postcode", "PostalCode", "assumed"),
    Row("required.city", "City", "assumed"),
    Row("required.national_number", "ID", "assumed"),
    Row("required.sex", "Sex", "assumed"),
    # --- Values ------------------------------------------------------------------------
    Row("value.status_ok", "0", "sample", "updateStatus of a done book or delete"),
    Row("value.sex_male", "M", "assumed", "clientSex of a man"),
    Row("value.sex_female", "F", "assumed", "clientSex of a woman (Dutch: V)"),
    Row("value.duration", "0", "assumed", "appDuration 0: the product's own duration"),
    Row("clock.time_zone", "Europe/Brussels", "assumed", "JCC's naive times are this wall clock"),
)

JCC: MappingProxyType[str, str] = MappingProxyType({row.ours: row.jcc for row in MAPPING})
"""``MAPPING`` as a lookup: Midoffice's key → JCC's name."""

if len(JCC) != len(MAPPING):  # pragma: no cover - a typo in the table must not pass silently
    raise ImportError("appointments.jcc.mapping: a key appears twice in MAPPING")

CLIENT_KEYS: tuple[str, ...] = tuple(
    row.ours.removeprefix("client.") for row in MAPPING if row.ours.startswith("client.")
)
"""Midoffice's client field keys, in the order a form asks them."""

REQUIRED_CODE_TO_KEY: MappingProxyType[str, str] = MappingProxyType(
    {
        code.strip(): row.ours.removeprefix("required.")
        for row in MAPPING
        if row.ours.startswith("required.")
        for code in row.jcc.split(",")
    }
)
"""A ``GetRequiredClientFields`` code → Midoffice's client field key."""

CLIENT_FIELD_LABELS: MappingProxyType[str, str] = MappingProxyType(
    {
        "name": "Naam",
        "initials": "Voornaam of initialen",
        "email": "E-mailadres",
        "phone": "Telefoonnummer",
        "birth_date": "Geboortedatum",
        "address": "Straat en huisnummer",
        "postcode": "Postcode",
        "city": "Gemeente",
        "national_number": "Rijksregisternummer",
        "sex": "Geslacht (M of V)",
    }
)
"""Dutch labels for the client fields a JCC product may require (Midoffice's side)."""
