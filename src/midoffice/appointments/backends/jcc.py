"""The agenda of a town that keeps JCC-Afspraken: its GGS2 SOAP operations, through zeep.

Every JCC name comes from ``appointments.jcc.mapping.JCC`` (the one table a town corrects
when it receives the real WSDL); every time crosses ``appointments.jcc.local_time`` (JCC
speaks naive Brussels wall clock; the times this backend hands on are aware, in UTC).
What goes wrong is told in two kinds, with Dutch messages for people:
``BackendUnavailable`` when JCC cannot be reached, times out, answers 5xx, a SOAP fault
or something unreadable (the caller may try again), and ``SlotTaken`` when the chosen
time is gone. Input JCC cannot take is a ``UserError``. See ADR 17.

zeep speaks HTTP through ``requests``, not through ``integrations.http``: the session
below carries the same rule (a timeout on every call) plus the optional client
certificate for mutual TLS. The WSDL is read once per process and configuration.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
import zeep
import zeep.exceptions
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from zeep.proxy import ServiceProxy
from zeep.transports import Transport

from midoffice.appointments.backends.base import (
    BackendUnavailable,
    Booked,
    BookingDetails,
    BookingRequest,
    Client,
    LocationInfo,
    ServiceInfo,
    Slot,
    SlotTaken,
)
from midoffice.appointments.jcc.local_time import (
    AmbiguousLocalTime,
    NonexistentLocalTime,
    from_jcc,
    to_jcc,
    wall_clock,
)
from midoffice.appointments.jcc.mapping import (
    CLIENT_FIELD_LABELS,
    CLIENT_KEYS,
    JCC,
    REQUIRED_CODE_TO_KEY,
)
from midoffice.core.errors import NotFound, UserError

logger = logging.getLogger(__name__)

UNAVAILABLE = (
    "De afsprakenagenda (JCC-Afspraken) is nu niet bereikbaar. "
    "Probeer het over enkele minuten opnieuw."
)
FAULT = (
    "De afsprakenagenda (JCC-Afspraken) kon je vraag nu niet verwerken. "
    "Probeer het over enkele minuten opnieuw."
)
# The same words as the local agenda's (appointments.services.SLOT_TAKEN).
SLOT_TAKEN = "Dit tijdstip is net door iemand anders geboekt. Kies een ander moment."
AMBIGUOUS = (
    "Dit uur bestaat twee keer in de nacht waarin de wintertijd begint, en de "
    "afsprakenagenda kan die twee niet onderscheiden. Kies een ander moment."
)
NOT_FOUND = "Deze afspraak is niet (meer) gekend in de afsprakenagenda (JCC-Afspraken)."


@dataclass(frozen=True)
class JccConfig:
    wsdl: str
    endpoint: str = ""
    timeout: float = 10.0
    client_cert: str = ""
    client_key: str = ""
    ca_bundle: str = ""

    @classmethod
    def from_settings(cls) -> JccConfig:
        return cls(
            wsdl=settings.JCC_WSDL,
            endpoint=settings.JCC_ENDPOINT,
            timeout=float(settings.JCC_TIMEOUT),
            client_cert=settings.JCC_CLIENT_CERT,
            client_key=settings.JCC_CLIENT_KEY,
            ca_bundle=settings.JCC_CA_BUNDLE,
        )


_proxies: dict[JccConfig, ServiceProxy] = {}
_proxies_lock = threading.Lock()


def _load_service(config: JccConfig) -> ServiceProxy:
    """The zeep service for ``config``, reading the WSDL once per process."""
    with _proxies_lock:
        cached = _proxies.get(config)
        if cached is not None:
            return cached
        session = requests.Session()
        if config.client_cert:
            session.cert = (
                (config.client_cert, config.client_key) if config.client_key else config.client_cert
            )
        if config.ca_bundle:
            session.verify = config.ca_bundle
        transport = Transport(
            session=session, timeout=config.timeout, operation_timeout=config.timeout
        )
        client = zeep.Client(
            config.wsdl,
            transport=transport,
            # Strict reading: an answer that does not fit the WSDL is unreadable (and so
            # BackendUnavailable), never silently half-read.
            settings=zeep.Settings(
                strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=True
            ),
        )
        proxy: ServiceProxy
        if config.endpoint:
            # The town's WSDL file may name another address than the service really has.
            port = next(iter(next(iter(client.wsdl.services.values())).ports.values()))
            proxy = client.create_service(port.binding.name, config.endpoint)
        else:
            proxy = client.service
        _proxies[config] = proxy
        return proxy


def _plus(moment: dt.datetime, minutes: int) -> dt.datetime:
    """``moment`` + ``minutes`` of real time, in UTC (aware arithmetic within one zone is
    wall-clock arithmetic, an hour off on a DST night)."""
    return moment.astimezone(dt.UTC) + dt.timedelta(minutes=minutes)


def _get(answer: Any, key: str) -> Any:
    """The field ``JCC[key]`` of a zeep answer object; None when it is absent."""
    if answer is None:
        return None
    try:
        return answer[JCC[key]]
    except (KeyError, AttributeError, TypeError):
        return None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


class JccBackend:
    """``AgendaBackend`` over JCC-Afspraken GGS2 (selected with ``APPOINTMENTS_BACKEND=jcc``)."""

    code = "jcc"

    def __init__(self, config: JccConfig | None = None) -> None:
        self.config = config or JccConfig.from_settings()
        if not self.config.wsdl:
            raise ImproperlyConfigured(
                "MIDOFFICE_JCC_WSDL is empty: set the address or file of JCC's GGS2 WSDL."
            )
        self._durations: dict[str, int] = {}

    # --- the SOAP edge ---------------------------------------------------------------

    @contextmanager
    def _translated(self, operation: str) -> Iterator[None]:
        """Turn what can go wrong on the wire into ``BackendUnavailable``, logged."""
        try:
            yield
        except zeep.exceptions.Fault as exc:
            logger.warning(
                "JCC answered a SOAP fault",
                extra={"operation": operation, "fault_code": str(exc.code or "")},
            )
            raise BackendUnavailable(FAULT) from exc
        except (
            requests.RequestException,
            zeep.exceptions.TransportError,
            zeep.exceptions.XMLSyntaxError,
            zeep.exceptions.XMLParseError,
            zeep.exceptions.WsdlSyntaxError,
            zeep.exceptions.DTDForbidden,
            zeep.exceptions.EntitiesForbidden,
            zeep.exceptions.ExternalReferenceForbidden,
            OSError,
        ) as exc:
            logger.warning(
                "JCC could not be reached",
                extra={"operation": operation, "error": type(exc).__name__},
            )
            raise BackendUnavailable(UNAVAILABLE) from exc

    def _call(self, key: str, **params: Any) -> Any:
        """Call the operation ``JCC['op.<key>']`` with parameters named by ``in.*`` keys."""
        operation = JCC[f"op.{key}"]
        with self._translated(operation):
            service = _load_service(self.config)
            try:
                method = getattr(service, operation)
            except AttributeError:
                logger.error(
                    "JCC's WSDL has no such operation: correct appointments/jcc/mapping.py",
                    extra={"operation": operation},
                )
                raise BackendUnavailable(UNAVAILABLE) from None
            return method(**{JCC[f"in.{name}"]: value for name, value in params.items()})

    # --- AgendaBackend -----------------------------------------------------------------

    def services(self) -> list[ServiceInfo]:
        products = self._call("services") or []
        found = []
        for product in products:
            code = _text(_get(product, "out.service.id"))
            if code:
                found.append(
                    ServiceInfo(
                        code=code,
                        name=_text(_get(product, "out.service.name")) or code,
                        duration_minutes=self._duration(code),
                    )
                )
        return found

    def _duration(self, service_code: str) -> int:
        if service_code not in self._durations:
            details = self._call("service_details", service=service_code)
            minutes = _get(details, "out.service.duration")
            self._durations[service_code] = int(minutes) if minutes else 0
        return self._durations[service_code]

    def _location(self, location_id: str, name: str = "") -> LocationInfo:
        details = self._call("location_details", location=location_id)
        street = _text(_get(details, "out.location.street"))
        place = " ".join(
            part
            for part in (
                _text(_get(details, "out.location.postcode")),
                _text(_get(details, "out.location.city")),
            )
            if part
        )
        return LocationInfo(
            code=location_id,
            name=_text(_get(details, "out.location.name")) or name or location_id,
            address=", ".join(part for part in (street, place) if part),
        )

    def locations(self, service_code: str | None = None) -> list[LocationInfo]:
        if service_code is None:
            ids = [_text(item) for item in self._call("locations") or []]
            return [self._location(location_id) for location_id in ids if location_id]
        items = self._call("locations_for_service", service=service_code) or []
        return [
            self._location(
                _text(_get(item, "out.location.id")), _text(_get(item, "out.location.name"))
            )
            for item in items
            if _text(_get(item, "out.location.id"))
        ]

    def available_days(
        self, service_code: str, location_code: str, start: dt.date, end: dt.date
    ) -> list[dt.date]:
        days = self._call(
            "days",
            location=location_code,
            service=service_code,
            first_day=start,
            last_day=end,
            duration=int(JCC["value.duration"]),
        )
        return sorted({day for day in days or [] if start <= day <= end})

    def available_times(self, service_code: str, location_code: str, day: dt.date) -> list[Slot]:
        times = self._call(
            "times",
            day=day,
            service=service_code,
            location=location_code,
            duration=int(JCC["value.duration"]),
        )
        minutes = self._duration(service_code)
        slots = []
        for naive in times or []:
            try:
                local = from_jcc(naive)
            except NonexistentLocalTime:
                # 02:xx on the night summer time starts: no one can come then.
                logger.warning("JCC offered a time that does not exist in Brussels")
                continue
            if local.date() == day:
                start = local.astimezone(dt.UTC)
                slots.append(
                    Slot(start=start, end=_plus(start, minutes), location_code=location_code)
                )
        return sorted(slots, key=lambda slot: slot.start)

    def required_client_fields(self, service_code: str) -> list[str]:
        """Midoffice's client keys JCC asks for this service (``name`` always first)."""
        codes = [_text(code) for code in self._call("client_fields", service=service_code) or []]
        wanted = {"name"}
        for code in codes:
            key = REQUIRED_CODE_TO_KEY.get(code)
            if key:
                wanted.add(key)
            elif code:
                logger.warning(
                    "JCC asks for a client field the mapping does not know",
                    extra={"jcc_field": code},
                )
        return [key for key in CLIENT_KEYS if key in wanted]

    def book(self, request: BookingRequest) -> Booked:
        required = self.required_client_fields(request.service_code)
        values = _client_values(request.client)
        missing = [key for key in required if not values.get(key)]
        if missing:
            raise UserError(
                "Vul nog in: "
                + ", ".join(CLIENT_FIELD_LABELS[key].lower() for key in missing)
                + ".",
                code="missing_client_fields",
            )
        try:
            start = to_jcc(request.start)
        except AmbiguousLocalTime:
            raise UserError(AMBIGUOUS, code="ambiguous_time", field="start") from None
        minutes = self._duration(request.service_code)
        end = _plus(request.start, minutes)
        detail: dict[str, Any] = {
            JCC["booking.service"]: request.service_code,
            JCC["booking.location"]: request.location_code,
            JCC["booking.start"]: start,
            # Public sources say JCC ignores the end; the schema requires one.
            JCC["booking.end"]: wall_clock(end),
            JCC["booking.remark"]: _remark(request),
            JCC["booking.client_verified"]: False,
            JCC["booking.recurring"]: False,
            # The schema requires a date of birth; an absent one is left out, not invented.
            JCC["client.birth_date"]: zeep.xsd.SkipValue,
        }
        for key, value in values.items():
            if value:
                detail[JCC[f"client.{key}"]] = value
        answer = self._call("book", booking=detail, booking_fields=[])
        status = _text(_get(answer, "out.status"))
        external_id = _text(_get(answer, "out.appointment_id"))
        if status == JCC["value.status_ok"] and external_id:
            logger.info("appointment booked in JCC", extra={"external_id": external_id})
            return Booked(
                external_id=external_id,
                start=from_jcc(start).astimezone(dt.UTC),
                end=end,
                location_code=request.location_code,
            )
        # GGS2's status codes are not public: ask JCC whether the time is still free.
        still_free = any(
            slot.start == request.start
            for slot in self.available_times(
                request.service_code, request.location_code, from_jcc(start).date()
            )
        )
        if not still_free:
            raise SlotTaken(SLOT_TAKEN)
        logger.warning("JCC refused a booking", extra={"update_status": status})
        raise UserError(
            f"De afsprakenagenda (JCC-Afspraken) weigerde de afspraak (code {status or '?'}). "
            "Kijk je gegevens na of kies een ander moment.",
            code="refused",
        )

    def cancel(self, external_id: str) -> None:
        """Delete the appointment in JCC; one that JCC no longer knows counts as cancelled."""
        status = _text(self._call("cancel", appointment=external_id))
        if status == JCC["value.status_ok"]:
            return
        try:
            self.details(external_id)
        except NotFound:
            return
        logger.warning("JCC refused a cancellation", extra={"update_status": status})
        raise BackendUnavailable(
            f"De afsprakenagenda (JCC-Afspraken) annuleerde de afspraak niet (code {status}). "
            "Probeer het later opnieuw."
        )

    def details(self, external_id: str) -> BookingDetails:
        answer = self._call("details", appointment=external_id)
        service_code = _text(_get(answer, "booking.service"))
        start, end = _get(answer, "booking.start"), _get(answer, "booking.end")
        if not service_code or not isinstance(start, dt.datetime):
            raise NotFound(NOT_FOUND)
        try:
            start = from_jcc(start).astimezone(dt.UTC)
            end = from_jcc(end).astimezone(dt.UTC) if isinstance(end, dt.datetime) else start
        except NonexistentLocalTime as exc:
            logger.warning("JCC answered a time that does not exist in Brussels")
            raise BackendUnavailable(FAULT) from exc
        extra = {}
        for key in CLIENT_KEYS:
            value = _get(answer, f"client.{key}")
            if isinstance(value, dt.date) and value.year <= 1:
                continue  # .NET's empty date (0001-01-01): not given
            if key not in ("name", "email", "phone") and _text(value):
                extra[key] = value.isoformat() if isinstance(value, dt.date) else _text(value)
        return BookingDetails(
            external_id=external_id,
            service_code=service_code,
            location_code=_text(_get(answer, "booking.location")),
            start=start,
            end=end,
            client=Client(
                name=_text(_get(answer, "client.name")),
                email=_text(_get(answer, "client.email")),
                phone=_text(_get(answer, "client.phone")),
                extra=extra,
            ),
        )


def _client_values(client: Client) -> dict[str, Any]:
    """The client's fields by Midoffice key, typed as GGS2 wants them."""
    values: dict[str, Any] = {key: client.extra.get(key, "").strip() for key in CLIENT_KEYS}
    values.update(name=client.extra.get("last_name", "").strip() or client.name.strip())
    values.update(email=client.email.strip(), phone=client.phone.strip())
    if values["birth_date"]:
        try:
            values["birth_date"] = dt.date.fromisoformat(values["birth_date"])
        except ValueError:
            raise UserError(
                "Geef je geboortedatum als JJJJ-MM-DD.", code="invalid", field="birth_date"
            ) from None
    if values["sex"]:
        sex = values["sex"].upper()[:1]
        male, female = JCC["value.sex_male"], JCC["value.sex_female"]
        values["sex"] = {"M": male, "V": female, "F": female}.get(sex, "")
    return values


def _remark(request: BookingRequest) -> str:
    """The citizen's remark; a video or hybrid meeting says so for the counter staff."""
    if request.mode == "digital":
        return ("Via video (link in Midoffice).\n" + request.remark).strip()
    if request.mode == "hybrid":
        return ("Hybride: deels via video (link in Midoffice).\n" + request.remark).strip()
    return request.remark
