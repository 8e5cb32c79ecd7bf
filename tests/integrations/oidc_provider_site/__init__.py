"""A real OpenID provider for the sign-in tests: django-oidc-provider (0.9) as its own tiny
Django project, run by gunicorn on loopback in its own process with its own SQLite
database (ADR 25, "Tests against a real provider"). Nothing here is part of Midoffice."""
