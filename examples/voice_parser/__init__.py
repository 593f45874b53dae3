"""voice-parser: each voice note webhook-handler stored in S3, processed once."""

from __future__ import annotations

from examples.voice_parser.poller import PollerState, VoiceNote, VoiceNotePoller, run

__all__ = ["PollerState", "VoiceNote", "VoiceNotePoller", "run"]
