"""Letter and e-mail templates: a restricted Django template language, checked at save time.

Templates see only plain data (dossier, requester, town, today, handler), never model
instances, so a template cannot reach the database. Tags that would leak or load
anything (``debug``, ``include``, ``extends``, ``load``) are refused with their line.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import Lexer, TokenType

FORBIDDEN_TAGS = {"debug", "include", "extends", "load", "csrf_token", "ssi", "url", "static"}
_INVALID = "\x00ONBEKEND:%s\x00"
_INVALID_RE = re.compile("\x00ONBEKEND:(.*?)\x00")

# debug=True makes Django keep the line of a syntax error (exc.template_debug).
_CHECK_ENGINE = Engine(debug=True, autoescape=False, libraries={}, string_if_invalid=_INVALID)
_RENDER_ENGINE = Engine(debug=True, autoescape=False, libraries={})


@dataclass(frozen=True)
class TemplateProblem:
    field: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"Regel {self.line}: {self.message}"


class TemplateInvalid(Exception):
    def __init__(self, problems: list[TemplateProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def sample_context() -> dict[str, Any]:
    """The sample data that every template is rendered against before it is saved."""
    return {
        "dossier": {
            "reference": "2026-000123",
            "subject": "Wat mogen we doen bij de renovatie van ons huis?",
            "type": "Informatievraag verbouwen",
            "received": dt.date(2026, 3, 2),
            "deadline": dt.date(2026, 4, 14),
            "status": "In behandeling",
            "location": "Kastanjedreef 14, 2640 Leemdonk",
            "capakey": "11001A0123/00B000",
        },
        "requester": {
            "name": "Emma De Smet",
            "given_name": "Emma",
            "family_name": "De Smet",
            "address_lines": ["Kastanjedreef 14", "2640 Leemdonk"],
        },
        "town": {"name": "Gemeente Leemdonk", "address": "Marktplein 1, 2640 Leemdonk"},
        "today": dt.date(2026, 3, 20),
        "handler": {
            "name": "Sofie Peeters",
            "email": "sofie@leemdonk.example",
            "team": "Omgeving",
        },
    }


def _line_of(source: str, needle: str) -> int:
    for number, line in enumerate(source.splitlines(), start=1):
        if needle in line:
            return number
    return 1


def _check_one(field: str, source: str) -> list[TemplateProblem]:
    problems: list[TemplateProblem] = []
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents.split() else ""
            if name in FORBIDDEN_TAGS:
                problems.append(
                    TemplateProblem(
                        field,
                        token.lineno or 1,
                        f"de tag '{{% {name} %}}' is in brieven niet toegestaan",
                    )
                )
    if problems:
        return problems
    try:
        template = _CHECK_ENGINE.from_string(source)
    except TemplateSyntaxError as exc:
        info = getattr(exc, "template_debug", None) or {}
        return [TemplateProblem(field, int(info.get("line", 1)), _dutch(str(exc)))]
    try:
        rendered = template.render(Context(sample_context(), autoescape=False))
    except Exception as exc:  # noqa: BLE001 - any render failure is the template's fault
        info = getattr(exc, "template_debug", None) or {}
        return [TemplateProblem(field, int(info.get("line", 1)), _dutch(str(exc)))]
    for name in dict.fromkeys(_INVALID_RE.findall(rendered)):
        problems.append(
            TemplateProblem(
                field,
                _line_of(source, name),
                f"onbekend gegeven '{name}' (beschikbaar: dossier, requester, town, today, "
                "handler)",
            )
        )
    return problems


def _dutch(message: str) -> str:
    replacements = [
        ("Invalid block tag", "Onbekende tag"),
        ("Unclosed tag", "Niet afgesloten tag"),
        ("Invalid filter", "Onbekende filter"),
        ("Could not parse the remainder", "Kan het vervolg niet lezen"),
        ("Did you forget to register or load this tag?", "Is de tag juist gespeld?"),
        ("Unclosed", "Niet afgesloten"),
        ("Empty variable tag", "Lege variabele"),
        ("Looking for one of", "verwacht"),
    ]
    for english, dutch in replacements:
        message = message.replace(english, dutch)
    return message


def template_check(*, subject: str, body: str) -> list[TemplateProblem]:
    """Compile and render subject and body against the sample data; list every problem."""
    return _check_one("subject", subject) + _check_one("body", body)


def template_render(*, source: str, context: dict[str, Any]) -> str:
    """Render a checked template with real data (unknown values become empty)."""
    try:
        template = _RENDER_ENGINE.from_string(source)
        return template.render(Context(context, autoescape=False))
    except TemplateSyntaxError as exc:
        info = getattr(exc, "template_debug", None) or {}
        raise TemplateInvalid(
            [TemplateProblem("body", int(info.get("line", 1)), _dutch(str(exc)))]
        ) from exc
