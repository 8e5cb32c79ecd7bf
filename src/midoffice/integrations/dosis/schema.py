"""Every XML name of the MAGDA DOSIS messages, in one table.

The exact XSDs of ``Dossier.RegistreerDossier`` 02.00 and
``Dossier.GeefResultaatRegistratie`` 02.00 are shared only after onboarding with the
Digitaal Vlaanderen MAGDA team. The builders and parsers in ``xml.py`` (and the fake
server) use only the names below, so a correction after onboarding is a change to this
file and nothing else.
"""

from __future__ import annotations

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"

SERVICES = {
    "register": {
        "name": "RegistreerDossier",
        "version": "02.00.0000",
        "namespace": "http://webservice.registreerdossierdienst-02_00.dossier-02_00.vip.vlaanderen.be",
        "request": "RegistreerDossier",
        "request_body": "RegistreerDossierAanvraag",
        "response": "RegistreerDossierResponse",
        "response_body": "Repliek",
        "soap_action": "RegistreerDossier",
    },
    "result": {
        "name": "GeefResultaatRegistratie",
        "version": "02.00.0000",
        "namespace": "http://webservice.geefresultaatregistratiedienst-02_00.dossier-02_00.vip.vlaanderen.be",
        "request": "GeefResultaatRegistratie",
        "request_body": "GeefResultaatRegistratieAanvraag",
        "response": "GeefResultaatRegistratieResponse",
        "response_body": "Repliek",
        "soap_action": "GeefResultaatRegistratie",
    },
    "codelist": {
        "name": "GeefCodeLijst",
        "version": "02.00.0000",
        "namespace": "http://webservice.geefcodelijstdienst-02_00.dossier-02_00.vip.vlaanderen.be",
        "request": "GeefCodeLijst",
        "request_body": "GeefCodeLijstAanvraag",
        "response": "GeefCodeLijstResponse",
        "response_body": "Repliek",
        "soap_action": "GeefCodeLijst",
    },
}

# Logical name → element name. Nested paths are written with "/".
E = {
    "context": "Context",
    "context_name": "Naam",
    "context_version": "Versie",
    "message": "Bericht",
    "message_type": "Type",
    "moment": "Tijdstip",
    "date": "Datum",
    "time": "Tijd",
    "sender": "Afzender",
    "sender_id": "Identificatie",
    "sender_reference": "Referte",
    "sender_name": "Naam",
    "questions": "Vragen",
    "question": "Vraag",
    "question_reference": "Referte",
    "content": "Inhoud",
    "dossier": "Dossier",
    "dossier_id": "DossierId",
    "dossier_number": "Dossiernummer",
    "source": "Bron",
    "entity": "Entiteit",
    "dossier_type": "Type",
    "code": "Code",
    "description": "Omschrijving",
    "title": "Titel",
    "status": "Status",
    "action_needed": "ActieNodig",
    "action": "Actie",
    "agents": "Agenten",
    "agent": "Agent",
    "agent_type": "Type",
    "agent_id": "Identificatie",
    "link": "Link",
    "contact": "Contact",
    "answers": "Antwoorden",
    "answer": "Antwoord",
    "registration_id": "RegistratieId",
    "result_state": "Resultaat",
    "exceptions": "Uitzonderingen",
    "exception": "Uitzondering",
    "exception_id": "Identificatie",
    "exception_type": "Type",
    "exception_text": "Diagnose",
    "code_list": "CodeLijst",
    "code_list_name": "Naam",
    "code_values": "Waarden",
    "code_value": "Waarde",
}

MESSAGE_TYPE_QUESTION = "VRAAG"
MESSAGE_TYPE_ANSWER = "ANTWOORD"
EXCEPTION_ERROR = "FOUT"
EXCEPTION_WARNING = "WAARSCHUWING"

# Our agent kinds → the DOSIS identification types.
AGENT_TYPES = {"rrn": "INSZ", "kbo": "KBO"}
AGENT_KINDS = {value: key for key, value in AGENT_TYPES.items()}

RESULT_STATES = ("VERWERKT", "IN_VERWERKING", "FOUT")

# The code lists Midoffice loads with GeefCodeLijst; the catalog's status mapping
# (StatusType.dosis_code) is checked against CODE_LIST_STATUS.
CODE_LIST_STATUS = "DossierStatus"
CODE_LISTS = (CODE_LIST_STATUS, "DossierType")
