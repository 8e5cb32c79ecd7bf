"""Data: hold the dangerous attachments received before holding existed (ADR 12).

Until issue 20 a dangerous attachment was only flagged, with an English reason, and
downloaded in one click. From now on intake holds every dangerous attachment; this holds
the ones already stored (held since their mail came in) and says why in Dutch, in the
words intake uses now. Batched by id.
"""

import re

from django.db import migrations

BATCH = 1000

# The parser's English descriptions of the day, in Dutch (copied: a migration keeps the
# words of its day; see intake.mailparse.danger for today's table).
DUTCH = {
    "executable program": "een Windows-programma",
    "batch script": "een Windows-opdrachtbestand",
    "screen saver program": "een Windows-programma (schermbeveiliging)",
    "JavaScript script": "een script (JavaScript)",
    "encoded JavaScript script": "een versleuteld script (JavaScript)",
    "VBScript script": "een script (VBScript)",
    "encoded VBScript script": "een versleuteld script (VBScript)",
    "Windows Script file": "een Windows-script",
    "HTML application": "een HTML-toepassing (een programma)",
    "PowerShell script": "een script (PowerShell)",
    "Windows installer": "een Windows-installatiepakket",
    "Java archive": "een Java-programma",
    "control panel program": "een Windows-programma (configuratiescherm)",
    "Windows shortcut": "een Windows-snelkoppeling",
    "macro-enabled Word document": "een Word-document met macro's",
    "macro-enabled Word template": "een Word-sjabloon met macro's",
    "macro-enabled Excel workbook": "een Excel-werkmap met macro's",
    "macro-enabled Excel template": "een Excel-sjabloon met macro's",
    "Excel add-in with macros": "een Excel-invoegtoepassing met macro's",
    "macro-enabled PowerPoint presentation": "een PowerPoint-presentatie met macro's",
    "shell script": "een script (shell)",
}
_REASON = re.compile(r"^(?P<what>.+) \((?P<evidence>[^()]+)\)$")


def dutch_reason(english):
    if english == "Windows executable content":
        return "dit is een Windows-programma (herkend aan de inhoud)"
    match = _REASON.match(english)
    if match is None or match["what"] not in DUTCH:
        return english  # not a reason of the parser's: kept as it was
    what, evidence = DUTCH[match["what"]], match["evidence"]
    if evidence.startswith("."):
        return f"dit is {what} ({evidence})"
    return f"dit is volgens het opgegeven bestandstype {what} ({evidence})"


def hold(apps, schema_editor):
    Attachment = apps.get_model("intake", "Attachment")
    rows = (
        Attachment.objects.exclude(dangerous_reason="")
        .filter(held_at__isnull=True)
        .select_related("message")
        .order_by("id")
    )
    last_id = 0
    while True:
        batch = list(rows.filter(id__gt=last_id)[:BATCH])
        if not batch:
            return
        last_id = batch[-1].id
        for attachment in batch:
            attachment.held_at = attachment.message.created_at
            attachment.dangerous_reason = dutch_reason(attachment.dangerous_reason)[:300]
        Attachment.objects.bulk_update(batch, ["held_at", "dangerous_reason"])


class Migration(migrations.Migration):
    dependencies = [("intake", "0003_attachment_hold_and_audited_release")]

    operations = [migrations.RunPython(hold, migrations.RunPython.noop)]
