"""Where a URL points, as the client needs to know it: its origin (to keep the key on the API's
own), whether its host is this machine, and whether the key may travel to it.

The key may go over https anywhere, and over plain http only to this machine (the sandbox, a
local proxy): anything else would send it in clear across a network. No Qt.
"""

from __future__ import annotations

import ipaddress

import httpx

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str | httpx.URL) -> tuple[str, str, int] | None:
    """(scheme, host, port) as httpx sends it: default port filled in, IDNA host decoded.
    None for a URL httpx cannot send to (unparseable, no host, port out of range)."""
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return None
    port = parsed.port if parsed.port is not None else DEFAULT_PORTS.get(parsed.scheme, 0)
    if not parsed.host or not 0 < port <= 65535:  # httpx would pass port 99999 on to connect()
        return None
    return parsed.scheme, parsed.host.lower(), port


def is_loopback(host: str | None) -> bool:
    """localhost, 127.0.0.0/8 or ::1: a host on this machine (no name lookup is made)."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_http_off_machine(url: str | httpx.URL) -> bool:
    """True for an http:// URL whose host is not this machine: the key must not go there."""
    found = origin(url)
    return found is not None and found[0] == "http" and not is_loopback(found[1])
