"""Which hosts count as local: where plain http may carry Twilio credentials (a fake API)."""

from __future__ import annotations

import ipaddress

__all__ = ["is_local_host"]

# Reserved or private-use names (RFC 2606, RFC 6761, ICANN's .internal, mDNS's .local): none
# resolves on the public internet.
_LOCAL_SUFFIXES = (".localhost", ".test", ".internal", ".local")


def is_local_host(host: str) -> bool:
    """Whether ``host`` is this machine or a private network's: a loopback or private IP, a
    name with no dot (a container's service name), ``localhost`` or a reserved local name."""
    name = host.strip("[]").rstrip(".").lower()
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return name == "localhost" or "." not in name or name.endswith(_LOCAL_SUFFIXES)
    return address.is_loopback or address.is_private or address.is_link_local
