from __future__ import annotations

import pytest
from django.core.cache import cache

from midoffice.integrations.registers.fake_server import FakeRegisterServer

KEY = "sleutel-123"


@pytest.fixture
def register(settings):
    server = FakeRegisterServer(api_key=KEY).start()
    settings.ADDRESS_REGISTER_URL = server.url
    settings.CAPAKEY_REGISTER_URL = ""
    settings.ADDRESS_REGISTER_API_KEY = KEY
    settings.ADDRESS_REGISTER_TIMEOUT = 1
    cache.clear()
    try:
        yield server
    finally:
        server.stop()
        cache.clear()
