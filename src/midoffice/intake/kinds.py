"""Intake's view of a mail's kind: the parser's verdict plus which of our mails bounced."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from midoffice.intake.mailkind import MailKind, classify_kind
from midoffice.intake.mailparse import ParsedMessage

_MSGID = re.compile(r"<([^<>\s]+@[^<>\s]+)>")


@dataclass(frozen=True)
class Kind:
    kind: str  # normal, auto_reply, bounce, bulk, own
    should_auto_reply: bool
    reasons: list[str] = field(default_factory=list)
    bounced_message_ids: list[str] = field(default_factory=list)


def classify(parsed: ParsedMessage, *, own_domains: Iterable[str]) -> Kind:
    """The kind of ``parsed``, whether an automatic reply is allowed, and for a bounce the
    Message-IDs it reports on (from the DSN, else from the attached original)."""
    verdict = classify_kind(parsed, own_domains=[d.lower() for d in own_domains if d])
    ids: list[str] = []
    if verdict.kind == MailKind.BOUNCE:
        if verdict.bounce is not None and verdict.bounce.original_message_id:
            ids.append(verdict.bounce.original_message_id.strip("<>"))
        ids += _bounced_ids(parsed)
    return Kind(
        kind=str(verdict.kind),
        should_auto_reply=verdict.should_auto_reply,
        reasons=list(verdict.reasons),
        bounced_message_ids=list(dict.fromkeys(ids)),
    )


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
