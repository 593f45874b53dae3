"""The exit codes of ``ai-voice-shared``, and the usage error that means exit code 2.

0 success (a valid signature), 1 failure (an invalid signature, a failed demo), 2 usage (a bad
option, a missing file or token, a body that is not a form).
"""

from __future__ import annotations

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "UsageError"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """The command was used wrongly; the message says how to use it (exit code 2)."""
