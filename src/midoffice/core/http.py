"""What Midoffice reads from an HTTP request in more than one place."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent ``request``, as far as we can trust it.

    Without a proxy that is the socket's peer (``REMOTE_ADDR``). Behind the proxy
    (``MIDOFFICE_BEHIND_TLS_PROXY``) the peer is the proxy itself, and the client is the
    entry that the proxies appended to ``X-Forwarded-For``: counted from the right,
    because everything further left was written by the client and can be anything.
    Anything that is not an IP address falls back to the peer, so a wrongly configured
    proxy degrades to one shared address, never to an address the client chose.
    """
    peer = str(request.META.get("REMOTE_ADDR", "") or "")
    if not settings.BEHIND_TLS_PROXY:
        return peer
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    count: int = settings.PROXY_COUNT
    if count < 1 or len(hops) < count:
        return peer
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return peer
