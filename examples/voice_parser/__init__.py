"""voice-parser: each voice note webhook-handler stored in S3, handed over by S3 events, once."""

from __future__ import annotations

from examples.voice_parser.parser import RESULTS, VoiceNote, VoiceParser, run

__all__ = ["RESULTS", "VoiceNote", "VoiceParser", "run"]
