"""``{% load display %}``: ``{{ dossier.subject|display_text }}`` shows text from outside
without display spoofing (core.display); ``{{ name|display_text:"" }}`` leaves an empty
string when nothing visible is left, so ``|default:`` can take over."""

from __future__ import annotations

from django import template

from midoffice.core.display import NO_SUBJECT
from midoffice.core.display import display_body as _display_body
from midoffice.core.display import display_text as _display_text

register = template.Library()


@register.filter
def display_text(value: object, placeholder: str = NO_SUBJECT) -> str:
    return _display_text(value, placeholder)


@register.filter
def display_body(value: object) -> str:
    """A message body with its lines, without spoofing characters (core.display)."""
    return _display_body(value)
