"""Settings read from environment variables, documented from the code that reads them.

Every variable Midoffice reads goes through :func:`env`, which records its name, type,
default and description. ``midoffice config-docs`` renders that registry to
``docs/config.md`` and a test fails when the committed file drifts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import overload

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class EnvVar:
    name: str
    kind: str
    default: str
    doc: str
    group: str


REGISTRY: dict[str, EnvVar] = {}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _register(name: str, kind: str, default: object, doc: str, group: str) -> None:
    shown = "(empty)" if default in ("", None) else str(default)
    if isinstance(default, bool):
        shown = "true" if default else "false"
    if isinstance(default, list):
        shown = ",".join(default) or "(empty)"
    REGISTRY[name] = EnvVar(name=name, kind=kind, default=shown, doc=doc, group=group)


@overload
def env(name: str, default: str, doc: str, *, group: str = ...) -> str: ...
@overload
def env(name: str, default: bool, doc: str, *, group: str = ...) -> bool: ...
@overload
def env(name: str, default: int, doc: str, *, group: str = ...) -> int: ...
@overload
def env(name: str, default: list[str], doc: str, *, group: str = ...) -> list[str]: ...


def env(
    name: str, default: str | bool | int | list[str], doc: str, *, group: str = "General"
) -> str | bool | int | list[str]:
    """Read ``name`` from the environment, typed like ``default``; record it for the docs.

    A value that cannot be read as the expected type is a start-up error that names the
    variable, never a silent fallback.
    """
    kind = {bool: "boolean", int: "integer", list: "comma-separated list", str: "string"}[
        type(default)
    ]
    _register(name, kind, default, doc, group)
    raw = os.environ.get(name)
    if raw is None:
        return default
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if isinstance(default, list):
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


def render_markdown() -> str:
    """The configuration reference as Markdown, grouped, in the order the code reads it."""
    lines = [
        "# Configuration",
        "",
        "Midoffice is configured with environment variables. This page is generated from",
        "the code that reads them (`midoffice config-docs`); a test fails when it drifts.",
        "",
    ]
    groups: dict[str, list[EnvVar]] = {}
    for var in REGISTRY.values():
        groups.setdefault(var.group, []).append(var)
    for group, items in groups.items():
        lines += [f"## {group}", "", "| variable | type | default | meaning |", "|---|---|---|---|"]
        for var in items:
            doc = var.doc.replace("|", "\\|")
            lines.append(f"| `{var.name}` | {var.kind} | `{var.default}` | {doc} |")
        lines.append("")
    return "\n".join(lines)
