"""Outbound correspondence: templates, letters, the signature folder and delivery."""
