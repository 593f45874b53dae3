"""Run the voice-parser on the queue and bucket the VOICE_NOTE_QUEUE_* and S3_* variables name."""

from __future__ import annotations

import logging

from ai_voice_shared import (
    S3Service,
    VoiceNoteConsumer,
    VoiceNoteSweep,
    configure_voice_note_notifications,
)
from examples.voice_parser.parser import VoiceNote, VoiceParser, run


def transcribe(note: VoiceNote) -> bytes:  # the parsing itself is the service's own code
    logging.getLogger("voice_parser").info("%s: %d bytes", note.message_sid, len(note.audio))
    return f"{len(note.audio)} bytes of {note.media_type}".encode()


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    with S3Service() as s3:
        configure_voice_note_notifications(s3)  # idempotent; or once at deploy time
        parser = VoiceParser(s3, transcribe)
        with VoiceNoteConsumer(parser.handle) as consumer:
            run(parser, consumer, VoiceNoteSweep(s3))


if __name__ == "__main__":
    main()
