"""Which hosts count as local: where plain http may carry Twilio credentials (a fake API)."""

from __future__ import annotations

import ipaddress
import re
import socket

__all__ = ["is_local_host"]

# Reserved or private-use names (RFC 2606, RFC 6761, ICANN's .internal, mDNS's .local): none
# resolves on the public internet.
_LOCAL_SUFFIXES = (".localhost", ".test", ".internal", ".local")
# One DNS label that starts with a letter: a container's or a LAN host's name ("twilio-fake").
# Digits-only or hex spellings ("134744072", "0x08080808") are IPv4 addresses to a resolver.
_LABEL = re.compile(r"[a-z](?:[a-z0-9-]*[a-z0-9])?")


def is_local_host(host: str) -> bool:
    """Whether ``host`` is this machine or a private network's: a loopback or private IP (in
    any spelling a resolver accepts: ``127.1``, ``0x7f000001``), a single-label name (a
    container's service name), ``localhost`` or a reserved local name (``.test``, ...)."""
    name = host.strip("[]").lower()
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        try:
            # What the system resolver accepts as IPv4 too: "127.1", "0x7f000001", "2130706433".
            address = ipaddress.IPv4Address(socket.inet_aton(name))
        except (OSError, ValueError):
            bare = name.removesuffix(".")
            return (
                bare == "localhost"
                or _LABEL.fullmatch(name) is not None  # no trailing dot: "ai." is a public TLD
                or bare.endswith(_LOCAL_SUFFIXES)
            )
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_private or address.is_link_local
