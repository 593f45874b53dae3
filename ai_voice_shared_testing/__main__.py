"""``python -m ai_voice_shared_testing``: the ``ai-voice-shared`` command."""

from __future__ import annotations

import sys

from ai_voice_shared_testing.cli import main

sys.exit(main())
