"""Specialist systems (maatsystemen) linked to dossiers: their records, statuses and
documents on the dossier, through the API with a scoped token of their own (ADR 28)."""
