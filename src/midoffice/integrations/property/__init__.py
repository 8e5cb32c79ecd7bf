"""Property information per parcel (vastgoedinformatie): permits, plans, heritage, zoning.

``base`` holds the plugin interface; ``fake`` the in-process fake the demo and the tests
use. A real platform adapter registers itself in ``base.property_sources`` (ADR 27).
"""
