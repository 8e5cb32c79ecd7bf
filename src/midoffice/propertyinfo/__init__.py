"""Property information beside the dossier (issue 15): the parcel's permits, plans,
heritage and zoning documents from a property platform, kept on the dossier or attached
to a letter (ADR 27)."""
