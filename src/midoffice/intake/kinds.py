"""Adapter to the kind classifier (``mailkind.classify_kind``) with a small fallback.

``mailkind`` is owned by the parser engineer; until it exists (or if it fails on a
message) the conservative rules below decide, so loop protection never depends on it.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from midoffice.intake.mailparse import ParsedMessage

_MSGID = re.compile(r"<([^<>\s]+@[^<>\s]+)>")
_NO_REPLY = re.compile(
    r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|noreply|mailer-daemon|postmaster)", re.I
)
_AUTO_SUBJECT = re.compile(
    r"^(out of (the )?office|automatic reply|auto(matisch)?[ -]?(antwoord|reply)|afwezig|"
    r"absence|abwesen|r[ée]ponse automatique)",
    re.I,
)


@dataclass(frozen=True)
class Kind:
    kind: str  # normal, auto_reply, bounce, bulk, own
    should_auto_reply: bool
    reasons: list[str] = field(default_factory=list)
    bounced_message_ids: list[str] = field(default_factory=list)


def classify(parsed: ParsedMessage, *, own_domains: Iterable[str]) -> Kind:
    """The kind of ``parsed`` plus whether an automatic reply is allowed."""
    domains = [d.lower() for d in own_domains if d]
    verdict = _from_mailkind(parsed, domains)
    fallback = _fallback(parsed, domains)
    if verdict is None:
        return fallback
    # Loop protection is the union of both opinions: never reply when either says no.
    return Kind(
        kind=verdict.kind,
        should_auto_reply=verdict.should_auto_reply and fallback.should_auto_reply,
        reasons=verdict.reasons or fallback.reasons,
        bounced_message_ids=verdict.bounced_message_ids or fallback.bounced_message_ids,
    )


def _from_mailkind(parsed: ParsedMessage, domains: list[str]) -> Kind | None:
    try:
        module = importlib.import_module("midoffice.intake.mailkind")
        raw: Any = module.classify_kind(parsed, own_domains=domains)
    except Exception:  # noqa: BLE001 - missing or failing classifier: the fallback decides
        return None
    kind = str(getattr(raw, "kind", "normal") or "normal")
    kind = getattr(raw.kind, "value", kind) if hasattr(raw, "kind") else kind
    ids: list[str] = []
    for name in ("bounce", "dsn", "delivery_status"):
        details = getattr(raw, name, None)
        if details is None:
            continue
        for attr in ("original_message_id", "original_message_ids", "message_id"):
            value = getattr(details, attr, None)
            if isinstance(value, str) and value:
                ids.append(value.strip("<>"))
            elif isinstance(value, list | tuple):
                ids.extend(str(v).strip("<>") for v in value if v)
    return Kind(
        kind=str(kind),
        should_auto_reply=bool(getattr(raw, "should_auto_reply", kind == "normal")),
        reasons=[str(r) for r in getattr(raw, "reasons", []) or []],
        bounced_message_ids=ids,
    )


def _fallback(parsed: ParsedMessage, domains: list[str]) -> Kind:
    sender = (parsed.from_address or "").lower()
    local, _, domain = sender.rpartition("@")
    ctype = parsed.content_type.lower()
    auto = (parsed.auto_submitted or "").strip().lower()
    precedence = (parsed.precedence or "").strip().lower()
    report_type = parsed.content_type_params.get("report-type", "").lower()
    if (ctype == "multipart/report" and report_type == "delivery-status") or (
        _NO_REPLY.match(local) and local.lower().startswith(("mailer-daemon", "postmaster"))
    ):
        return Kind("bounce", False, ["Onbestelbaar-melding"], _bounced_ids(parsed))
    if domain and domain in domains:
        return Kind("own", False, ["Bericht van ons eigen domein"])
    if auto and auto != "no":
        return Kind("auto_reply", False, [f"Auto-Submitted: {auto}"])
    if (
        parsed.x_auto_response_suppress
        or parsed.header("X-Autoreply")
        or parsed.header("X-Autorespond")
    ):
        kind = "auto_reply" if _AUTO_SUBJECT.match(parsed.subject or "") else "normal"
        return Kind(kind, False, ["X-Auto-Response-Suppress of X-Autoreply"])
    if _AUTO_SUBJECT.match(parsed.subject or ""):
        return Kind("auto_reply", False, ["Onderwerp van een automatisch antwoord"])
    if precedence in ("bulk", "list", "junk") or parsed.list_id:
        return Kind("bulk", False, [f"Massamail ({precedence or 'List-Id'})"])
    if _NO_REPLY.match(local):
        return Kind("normal", False, ["Afzender aanvaardt geen antwoord"])
    if not sender:
        return Kind("normal", False, ["Geen afzender"])
    return Kind("normal", True, [])


def _bounced_ids(parsed: ParsedMessage) -> list[str]:
    ids: list[str] = []
    ids.extend(r.strip("<>") for r in parsed.references)
    for att in parsed.attachments:
        if att.nested is not None and att.nested.message_id:
            ids.append(att.nested.message_id.strip("<>"))
        elif att.content_type.lower() in ("text/rfc822-headers", "message/rfc822-headers"):
            text = att.content[:20000].decode("utf-8", "replace")
            match = re.search(r"^Message-ID:\s*(.+)$", text, re.I | re.M)
            if match:
                ids.extend(_MSGID.findall(match.group(1)))
    for match in re.finditer(r"^Message-ID:\s*(<[^>]+>)", parsed.text_body[:50000], re.I | re.M):
        ids.extend(_MSGID.findall(match.group(1)))
    return list(dict.fromkeys(ids))
