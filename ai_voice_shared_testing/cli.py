"""``ai-voice-shared``: the demo, the local fake stack, and the Twilio signature doctor.

Exit codes: 0 success (a valid signature), 1 failure (an invalid signature, a failed demo),
2 usage (a bad option, a missing file or token, a body that is not a form).

The console-script entry point (``ai-voice-shared = "ai_voice_shared_testing.cli:main"``); the
commands live in :mod:`ai_voice_shared_testing._cli`, one module each.
"""

from __future__ import annotations

import sys

from ai_voice_shared_testing._cli.main import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
