"""Build and read the DOSIS SOAP messages (pure functions, stdlib ``xml.etree``).

Element names come only from :mod:`schema`. The parsers ignore namespaces of the inner
elements (MAGDA answers use unqualified names inside the qualified operation element),
so a namespace correction after onboarding does not break reading.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from midoffice.integrations.dosis import schema
from midoffice.integrations.dosis.base import (
    Agent,
    CodeListEntry,
    DosisReason,
    DossierRegistration,
    RegistrationReceipt,
    RegistrationResult,
)

E = schema.E


class MalformedMessage(ValueError):
    """The XML is not a DOSIS message we understand."""


def _sub(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, E[name])
    if text is not None:
        element.text = text
    return element


def _envelope(service: str) -> tuple[ET.Element, ET.Element]:
    spec = schema.SERVICES[service]
    envelope = ET.Element(f"{{{schema.SOAP_NS}}}Envelope")
    body = ET.SubElement(envelope, f"{{{schema.SOAP_NS}}}Body")
    operation = ET.SubElement(body, f"{{{spec['namespace']}}}{spec['request']}")
    return envelope, ET.SubElement(operation, spec["request_body"])


def _context(
    parent: ET.Element,
    *,
    service: str,
    sender: str,
    reference: str,
    at: dt.datetime,
    message_type: str = schema.MESSAGE_TYPE_QUESTION,
) -> None:
    spec = schema.SERVICES[service]
    context = _sub(parent, "context")
    _sub(context, "context_name", spec["name"])
    _sub(context, "context_version", spec["version"])
    message = _sub(context, "message")
    _sub(message, "message_type", message_type)
    moment = _sub(message, "moment")
    _sub(moment, "date", at.date().isoformat())
    _sub(moment, "time", at.time().replace(microsecond=0).isoformat())
    afzender = _sub(message, "sender")
    _sub(afzender, "sender_id", sender)
    _sub(afzender, "sender_reference", reference)


def _serialise(envelope: ET.Element) -> bytes:
    ET.register_namespace("soapenv", schema.SOAP_NS)
    return bytes(ET.tostring(envelope, encoding="utf-8", xml_declaration=True))


def build_register_request(
    registration: DossierRegistration, *, sender: str, reference: str, at: dt.datetime
) -> bytes:
    """A ``RegistreerDossier`` request for one dossier; ``reference`` is the question's
    unique reference (our idempotency key)."""
    envelope, request = _envelope("register")
    _context(request, service="register", sender=sender, reference=reference, at=at)
    question = _sub(_sub(request, "questions"), "question")
    _sub(question, "question_reference", reference)
    dossier = _sub(_sub(question, "content"), "dossier")
    _sub(dossier, "dossier_id", registration.dossier_id)
    _sub(dossier, "dossier_number", registration.reference)
    _sub(dossier, "source", registration.source)
    _sub(dossier, "entity", registration.entity)
    kind = _sub(dossier, "dossier_type")
    _sub(kind, "code", registration.type_code)
    _sub(kind, "description", registration.type_name)
    _sub(dossier, "title", registration.title)
    status = _sub(dossier, "status")
    _sub(status, "code", registration.status_code)
    _sub(status, "description", registration.status_text)
    _sub(status, "moment", registration.timestamp.isoformat())
    _sub(dossier, "action_needed", "true" if registration.action_needed else "false")
    if registration.action_needed:
        _sub(_sub(dossier, "action"), "description", registration.action_text)
    agents = _sub(dossier, "agents")
    for agent in registration.agents:
        element = _sub(agents, "agent")
        _sub(element, "agent_type", schema.AGENT_TYPES[agent.kind])
        _sub(element, "agent_id", agent.id)
    _sub(dossier, "link", registration.url)
    if registration.contact:
        _sub(dossier, "contact", registration.contact)
    return _serialise(envelope)


def build_result_request(
    *, registration_id: str, sender: str, reference: str, at: dt.datetime
) -> bytes:
    """A ``GeefResultaatRegistratie`` request for one registration id."""
    envelope, request = _envelope("result")
    _context(request, service="result", sender=sender, reference=reference, at=at)
    question = _sub(_sub(request, "questions"), "question")
    _sub(question, "question_reference", reference)
    _sub(_sub(question, "content"), "registration_id", registration_id)
    return _serialise(envelope)


def build_code_list_request(*, name: str, sender: str, reference: str, at: dt.datetime) -> bytes:
    """A ``GeefCodeLijst`` request for the code list ``name``."""
    envelope, request = _envelope("codelist")
    _context(request, service="codelist", sender=sender, reference=reference, at=at)
    question = _sub(_sub(request, "questions"), "question")
    _sub(question, "question_reference", reference)
    _sub(_sub(_sub(question, "content"), "code_list"), "code_list_name", name)
    return _serialise(envelope)


# --- reading -----------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse(data: bytes) -> ET.Element:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise MalformedMessage("DTDs are not accepted")
    try:
        return ET.fromstring(data)  # noqa: S314 - DTDs refused above
    except ET.ParseError as exc:
        raise MalformedMessage(str(exc)) from exc


def _find(element: ET.Element, *names: str) -> ET.Element | None:
    """The first descendant path of logical ``names``, namespace-blind."""
    current: ET.Element | None = element
    for name in names:
        if current is None:
            return None
        wanted = E[name]
        current = next((child for child in current if _local(child.tag) == wanted), None)
    return current


def _text(element: ET.Element | None, *names: str) -> str:
    found = _find(element, *names) if element is not None else None
    return (found.text or "").strip() if found is not None else ""


def _operation(data: bytes, service: str, part: str) -> ET.Element:
    root = _parse(data)
    spec = schema.SERVICES[service]
    body = next((child for child in root if _local(child.tag) == "Body"), None)
    operation = next((c for c in body if _local(c.tag) == spec[part]), None) if body else None
    if operation is None:
        raise MalformedMessage(f"no {spec[part]} in the SOAP body")
    inner = next((c for c in operation if _local(c.tag) == spec[f"{part}_body"]), None)
    if inner is None:
        raise MalformedMessage(f"no {spec[f'{part}_body']} in {spec[part]}")
    return inner


@dataclass(frozen=True)
class RegisterRequest:
    """What the fake server reads from a RegistreerDossier request."""

    reference: str
    sender: str
    registration: DossierRegistration


def parse_register_request(data: bytes) -> RegisterRequest:
    """Read a RegistreerDossier request (the fake server's side)."""
    request = _operation(data, "register", "request")
    question = _find(request, "questions", "question")
    dossier = _find(question, "content", "dossier") if question is not None else None
    if question is None or dossier is None:
        raise MalformedMessage("no Vraag/Inhoud/Dossier")
    agents = _find(dossier, "agents")
    agent_list = tuple(
        Agent(
            kind=schema.AGENT_KINDS.get(_text(agent, "agent_type"), "unknown"),
            id=_text(agent, "agent_id"),
        )
        for agent in (agents if agents is not None else [])
    )
    try:
        moment = dt.datetime.fromisoformat(_text(dossier, "status", "moment"))
    except ValueError as exc:
        raise MalformedMessage("Status/Tijdstip is not an ISO date-time") from exc
    registration = DossierRegistration(
        dossier_id=_text(dossier, "dossier_id"),
        reference=_text(dossier, "dossier_number"),
        type_code=_text(dossier, "dossier_type", "code"),
        type_name=_text(dossier, "dossier_type", "description"),
        title=_text(dossier, "title"),
        status_code=_text(dossier, "status", "code"),
        status_text=_text(dossier, "status", "description"),
        action_needed=_text(dossier, "action_needed") == "true",
        action_text=_text(dossier, "action", "description"),
        agents=agent_list,
        entity=_text(dossier, "entity"),
        source=_text(dossier, "source"),
        url=_text(dossier, "link"),
        timestamp=moment,
        contact=_text(dossier, "contact"),
    )
    return RegisterRequest(
        reference=_text(question, "question_reference"),
        sender=_text(request, "context", "message", "sender", "sender_id"),
        registration=registration,
    )


def parse_result_request(data: bytes) -> str:
    """The registration id asked for in a GeefResultaatRegistratie request."""
    request = _operation(data, "result", "request")
    registration_id = _text(request, "questions", "question", "content", "registration_id")
    if not registration_id:
        raise MalformedMessage("no RegistratieId")
    return registration_id


def _reasons(answer: ET.Element | None) -> tuple[DosisReason, ...]:
    exceptions = _find(answer, "exceptions") if answer is not None else None
    if exceptions is None:
        return ()
    return tuple(
        DosisReason(code=_text(item, "exception_id"), text=_text(item, "exception_text"))
        for item in exceptions
        if _text(item, "exception_type") == schema.EXCEPTION_ERROR
    )


def _errors(answer: ET.Element | None) -> tuple[str, ...]:
    return tuple(str(reason) for reason in _reasons(answer))


def _answer(data: bytes, service: str) -> ET.Element:
    reply = _operation(data, service, "response")
    answer = _find(reply, "answers", "answer")
    if answer is None:
        raise MalformedMessage("no Antwoorden/Antwoord")
    return answer


def parse_register_response(data: bytes) -> RegistrationReceipt:
    """Read the answer to RegistreerDossier."""
    answer = _answer(data, "register")
    errors = _errors(answer)
    registration_id = _text(answer, "content", "registration_id")
    return RegistrationReceipt(
        accepted=not errors and bool(registration_id),
        registration_id=registration_id,
        errors=errors,
    )


def parse_result_response(data: bytes) -> RegistrationResult:
    """Read the answer to GeefResultaatRegistratie."""
    answer = _answer(data, "result")
    reasons = _reasons(answer)
    state = _text(answer, "content", "result_state") or "FOUT"
    if state not in schema.RESULT_STATES:
        raise MalformedMessage(f"unknown Resultaat {state!r}")
    return RegistrationResult(
        registration_id=_text(answer, "content", "registration_id"),
        state=state,
        errors=tuple(str(reason) for reason in reasons),
        reasons=reasons,
    )


def parse_code_list_request(data: bytes) -> str:
    """The name of the code list asked for in a GeefCodeLijst request."""
    request = _operation(data, "codelist", "request")
    name = _text(request, "questions", "question", "content", "code_list", "code_list_name")
    if not name:
        raise MalformedMessage("no CodeLijst/Naam")
    return name


def parse_code_list_response(
    data: bytes,
) -> tuple[tuple[CodeListEntry, ...], tuple[DosisReason, ...]]:
    """Read the answer to GeefCodeLijst: the codes, and DOSIS's reasons if it refused."""
    answer = _answer(data, "codelist")
    values = _find(answer, "content", "code_list", "code_values")
    entries = tuple(
        CodeListEntry(code=_text(item, "code"), description=_text(item, "description"))
        for item in (values if values is not None else [])
        if _text(item, "code")
    )
    return entries, _reasons(answer)


# --- answers (the fake server's side) ------------------------------------------------------


def _response_envelope(
    service: str, *, reference: str, sender: str, at: dt.datetime
) -> tuple[ET.Element, ET.Element]:
    spec = schema.SERVICES[service]
    envelope = ET.Element(f"{{{schema.SOAP_NS}}}Envelope")
    body = ET.SubElement(envelope, f"{{{schema.SOAP_NS}}}Body")
    operation = ET.SubElement(body, f"{{{spec['namespace']}}}{spec['response']}")
    reply = ET.SubElement(operation, spec["response_body"])
    _context(
        reply,
        service=service,
        sender=sender,
        reference=reference,
        at=at,
        message_type=schema.MESSAGE_TYPE_ANSWER,
    )
    answer = _sub(_sub(reply, "answers"), "answer")
    _sub(answer, "question_reference", reference)
    return envelope, answer


def _add_errors(
    answer: ET.Element, errors: tuple[str, ...], reasons: tuple[DosisReason, ...] = ()
) -> None:
    """Errors without a code are numbered; ``reasons`` keep DOSIS's own code."""
    coded = (*reasons, *(DosisReason(str(n), text) for n, text in enumerate(errors, start=1)))
    if not coded:
        return
    exceptions = _sub(answer, "exceptions")
    for reason in coded:
        item = _sub(exceptions, "exception")
        _sub(item, "exception_id", reason.code)
        _sub(item, "exception_type", schema.EXCEPTION_ERROR)
        _sub(item, "exception_text", reason.text)


def build_register_response(
    *, reference: str, registration_id: str, errors: tuple[str, ...], at: dt.datetime
) -> bytes:
    envelope, answer = _response_envelope("register", reference=reference, sender="DOSIS", at=at)
    if registration_id:
        _sub(_sub(answer, "content"), "registration_id", registration_id)
    _add_errors(answer, errors)
    return _serialise(envelope)


def build_result_response(
    *,
    reference: str,
    registration_id: str,
    state: str,
    errors: tuple[str, ...],
    at: dt.datetime,
    reasons: tuple[DosisReason, ...] = (),
) -> bytes:
    envelope, answer = _response_envelope("result", reference=reference, sender="DOSIS", at=at)
    content = _sub(answer, "content")
    _sub(content, "registration_id", registration_id)
    _sub(content, "result_state", state)
    _add_errors(answer, errors, reasons)
    return _serialise(envelope)


def build_code_list_response(
    *,
    reference: str,
    name: str,
    entries: tuple[CodeListEntry, ...],
    errors: tuple[str, ...],
    at: dt.datetime,
) -> bytes:
    envelope, answer = _response_envelope("codelist", reference=reference, sender="DOSIS", at=at)
    if not errors:
        code_list = _sub(_sub(answer, "content"), "code_list")
        _sub(code_list, "code_list_name", name)
        values = _sub(code_list, "code_values")
        for entry in entries:
            item = _sub(values, "code_value")
            _sub(item, "code", entry.code)
            _sub(item, "description", entry.description)
    _add_errors(answer, errors)
    return _serialise(envelope)
