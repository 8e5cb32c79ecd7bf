"""DOSIS (dossier status information, MAGDA): push registrations and status changes.

``base`` holds the plugin interface and its dataclasses, ``schema`` the one table of XML
element names (the exact schema is not public: correct it there after onboarding),
``xml`` the pure builders and parsers, ``client`` the real SOAP client and
``fake_server`` a loopback server that speaks the same shapes for tests and the demo.
"""
