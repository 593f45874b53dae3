"""The pytest plugin of ai-voice-shared, loaded in every pytest run through ``pytest11``.

It only wires hooks, options and fixtures; it must stay cheap to import, so boto3, moto,
respx, hypothesis and polyfactory are imported inside the fixtures that need them, never here.
"""

from __future__ import annotations

import pytest

from ai_voice_shared._version import __version__


def pytest_report_header(config: pytest.Config) -> str:
    """Name the plugin and its version in the session header."""
    return f"ai-voice-shared: {__version__}"
