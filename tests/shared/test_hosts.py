"""is_local_host: where plain http may carry Twilio credentials (a local fake API only)."""

from __future__ import annotations

import pytest

from ai_voice_shared._hosts import is_local_host


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "LOCALHOST.",
        "127.0.0.1",
        "127.1",  # the resolver's short spelling of 127.0.0.1
        "0177.0.0.1",  # octal
        "0x7f000001",  # hex
        "[::1]",
        "::ffff:127.0.0.1",
        "10.0.0.5",
        "192.168.1.20",
        "twilio-fake",  # a container's service name
        "api.aivs.test",
        "fake.localhost",
        "twilio.internal",
    ],
)
def test_this_machine_and_private_networks_are_local(host: str) -> None:
    assert is_local_host(host)


@pytest.mark.parametrize(
    "host",
    [
        "api.twilio.com",
        "8.8.8.8",
        "134744072",  # 8.8.8.8 as one number, which the resolver accepts
        "0x08080808",  # 8.8.8.8 in hex
        "[::ffff:8.8.8.8]",
        "ai.",  # a public top-level domain with an address of its own
        "2001:4860:4860::8888",
        "example.test.com",
    ],
)
def test_public_hosts_in_any_spelling_are_not_local(host: str) -> None:
    # Found by an attack: numeric spellings of 8.8.8.8 and "ai." passed as single-label names.
    assert not is_local_host(host)
