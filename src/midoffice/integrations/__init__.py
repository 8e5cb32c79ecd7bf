"""Clients and fakes for external systems (DOSIS, OIDC, …).

This package sits just above ``core``: it knows protocols, not our domain models, so it
never imports accounts, catalog, parties or dossiers. Callers turn their objects into the
dataclasses defined here.
"""
