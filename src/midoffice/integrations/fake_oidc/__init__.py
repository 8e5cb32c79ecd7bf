"""A small OpenID Connect provider for the demo and the tests (fictional citizens)."""
