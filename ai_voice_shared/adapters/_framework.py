"""What an adapter says when its framework is not installed."""

from __future__ import annotations

__all__ = ["missing"]


def missing(module: str, extra: str) -> ImportError:
    """The ``ImportError`` for an adapter whose framework ``module`` is absent, naming the
    extra that installs it."""
    return ImportError(
        f"ai_voice_shared.adapters.{extra} needs {module!r}, which is not installed: "
        f"pip install 'ai-voice-shared[{extra}]'"
    )
