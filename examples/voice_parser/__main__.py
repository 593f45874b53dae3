"""Run the voice-parser against the bucket the S3_* variables name, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import logging
import signal
import threading

from ai_voice_shared import S3Service
from examples.voice_parser.poller import VoiceNote, VoiceNotePoller, run


def transcribe(note: VoiceNote) -> None:  # the parsing itself is the service's own code
    logging.getLogger("voice_parser").info("%s: %d bytes", note.message_sid, len(note.audio))


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with S3Service() as s3:
        run(VoiceNotePoller(s3, transcribe), interval=30, stop=stop)


if __name__ == "__main__":
    main()
