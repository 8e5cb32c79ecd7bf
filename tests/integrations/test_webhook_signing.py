"""CloudEvents and HMAC signatures of outgoing webhooks (pure functions)."""

from __future__ import annotations

import datetime as dt

from midoffice.integrations import webhooks


def test_signature_verifies_and_refuses_tampering_and_replays():
    event = webhooks.cloudevent(
        event_type="dossier.opened",
        source="http://127.0.0.1:8000/",
        subject="2026-000001",
        data={"reference": "2026-000001"},
        at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
    )
    assert event["specversion"] == "1.0"
    assert event["type"] == "be.midoffice.dossier.opened"
    body = webhooks.event_body(event)
    header = webhooks.signature_header(secret="s3cret", body=body, timestamp=1_000_000)
    assert webhooks.signature_verify(secret="s3cret", body=body, header=header, now=1_000_010)
    assert not webhooks.signature_verify(secret="other", body=body, header=header, now=1_000_010)
    assert not webhooks.signature_verify(
        secret="s3cret", body=body + b" ", header=header, now=1_000_010
    )
    assert not webhooks.signature_verify(secret="s3cret", body=body, header=header, now=1_001_000)
    assert not webhooks.signature_verify(secret="s3cret", body=body, header="garbage", now=1)
