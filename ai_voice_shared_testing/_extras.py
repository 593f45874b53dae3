"""The ``testing`` extra: import one of its libraries, or say exactly what to install.

Every family of the kit (S3 doubles, HTTP fakes, the CLI's stack) imports moto, httpx or respx
through :func:`require` when it first needs them, so a missing library is one clear
:class:`MissingTestingExtraError` with the ``pip install`` command, never a bare
``ModuleNotFoundError`` deep in a fixture.
"""

from __future__ import annotations

import importlib
from typing import Any

from ai_voice_shared.errors import AiVoiceSharedError

__all__ = ["MOTO_SERVER_EXTRA_HINT", "TESTING_EXTRA_HINT", "MissingTestingExtraError", "require"]

TESTING_EXTRA_HINT = "pip install 'ai-voice-shared[testing]'"
#: moto's server mode is an extra of its own: its dependencies (Flask, cfn-lint, sympy, docker)
#: weigh more than the rest of the testing extra, and only a moto server over HTTP needs them.
MOTO_SERVER_EXTRA_HINT = "pip install 'ai-voice-shared[moto-server]'"


class MissingTestingExtraError(AiVoiceSharedError):
    """A test double needs a library of the ``testing`` extra that is not installed."""


def require(module: str) -> Any:
    """Import ``module`` or say exactly what to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if module == "moto.server" or module.startswith("moto.server."):
            raise MissingTestingExtraError(
                "moto's server mode is not installed (the in-process fixtures do not need it; "
                "a moto server over HTTP, as `ai-voice-shared fakes` starts, does): run "
                f"`{MOTO_SERVER_EXTRA_HINT}` in this environment."
            ) from None
        raise MissingTestingExtraError(
            f"{module.split('.')[0]} is not installed, and the ai-voice-shared test fixtures "
            f"need it: run `{TESTING_EXTRA_HINT}` in this environment (or add the 'testing' "
            "extra to your test dependencies)."
        ) from None
