"""Shared test data: the anonymised Twilio bodies copied from the project's samples."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

TWILIO_SAMPLES = Path(__file__).parent / "data" / "twilio"
INBOUND_SAMPLES = ["01_whatsapp_text.form", "02_whatsapp_image.form", "03_whatsapp_voice_note.form"]


@pytest.fixture
def twilio_sample() -> Callable[[str], bytes]:
    """Read one sample's raw body, exactly as Twilio sent it: ``twilio_sample("01_...form")``."""

    def read(name: str) -> bytes:
        return (TWILIO_SAMPLES / name).read_bytes()

    return read


@pytest.fixture(params=INBOUND_SAMPLES)
def inbound_body(request: pytest.FixtureRequest) -> bytes:
    """Each inbound-message sample's raw body in turn."""
    name: str = request.param
    return (TWILIO_SAMPLES / name).read_bytes()


@pytest.fixture
def voice_note_body() -> bytes:
    """The raw body of an inbound WhatsApp voice note (``audio/ogg``, ``Body=``)."""
    return (TWILIO_SAMPLES / "03_whatsapp_voice_note.form").read_bytes()


@pytest.fixture(scope="session")
def weed() -> Path:
    """The SeaweedFS binary: skipped locally without it, a failure under CI=true."""
    from ai_voice_shared_testing._servers.seaweedfs import INSTALL_HINT, find_weed

    binary = find_weed()
    if binary is None:
        message = f"SeaweedFS binary 'weed' not found on PATH or beside Python: {INSTALL_HINT}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (required when CI=true)")
        pytest.skip(message)
    return binary
