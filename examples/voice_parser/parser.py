"""voice-parser, the reference consumer: each voice note `webhook-handler` stored, processed once.

S3 sends an ``ObjectCreated`` event to an SQS queue for every note ``MediaIngest`` stores; the
``VoiceNoteConsumer`` hands each to :meth:`VoiceParser.handle`, which downloads the note with
its metadata in one GET, processes it, and stores the result under ``parsed/{note key}`` with a
conditional write: that result is what makes a redelivered event (or a sweep finding a note
whose event was lost) a no-op. The consumer deletes the message only after ``handle`` returned.

    python -m examples.voice_parser      # S3_* and VOICE_NOTE_QUEUE_* variables
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from ai_voice_shared import (
    S3EventRecord,
    S3ObjectExistsError,
    S3ObjectNotFoundError,
    S3Service,
    VoiceNoteConsumer,
    VoiceNoteSweep,
)

logger = logging.getLogger("voice_parser")
RESULTS = "parsed/"


@dataclass(frozen=True)
class VoiceNote:
    """One stored voice note: its bytes and what `MediaIngest` stored with them."""

    key: str
    etag: str
    audio: bytes
    metadata: dict[str, str]

    @property
    def message_sid(self) -> str:
        return self.metadata["twilio-message-sid"]

    @property
    def media_type(self) -> str:
        """The type the webhook declared (the CDN may have sent application/octet-stream)."""
        return unquote(self.metadata.get("media-type", "")).split(";")[0].strip().lower()

    @property
    def customer_id(self) -> str | None:
        """``None`` when the note was stored without a customer (its lookup failed)."""
        return self.metadata.get("customer-id")


# --8<-- [start:parser]
class VoiceParser:
    """Processes each note once: ``process`` turns it into the result stored beside it."""

    def __init__(self, s3: S3Service, process: Callable[[VoiceNote], bytes]) -> None:
        self.s3, self.process = s3, process

    def handle(self, record: S3EventRecord) -> None:
        """The consumer's handler: an event's key is the full key (with ``S3_KEY_PREFIX``)."""
        self.parse(record.key.removeprefix(self.s3.key_prefix))

    def parse(self, key: str) -> bool:
        """Process the note at ``key`` unless its result exists; whether it was processed."""
        if key.startswith(RESULTS) or self.s3.exists(RESULTS + key):
            return False  # our own result, a redelivery, or a note the sweep finds handled
        buffer = io.BytesIO()
        try:
            meta = self.s3.download_file(key, buffer)  # one checked GET: bytes and metadata
        except S3ObjectNotFoundError:
            return False  # deleted since it was written
        note = VoiceNote(key, meta.etag, buffer.getvalue(), meta.metadata or {})
        result = self.process(note) if note.media_type.startswith("audio/") else b""
        try:  # raising above leaves the message to be delivered again
            self.s3.upload_bytes(RESULTS + key, result, overwrite=False)
        except S3ObjectExistsError:
            return False  # another replica finished it first
        return True

    def sweep(self, sweep: VoiceNoteSweep) -> int:
        """One bounded page of reconciliation: notes whose event was lost; how many."""
        return sum(self.parse(item.key) for item in sweep.step())


# --8<-- [end:parser]


# --8<-- [start:run]
def run(
    parser: VoiceParser,
    consumer: VoiceNoteConsumer,
    sweep: VoiceNoteSweep,
    *,
    sweep_every: float = 60.0,
) -> None:
    """Consume until SIGTERM (the note in hand finishes); sweep one page every minute."""
    stopped = threading.Event()

    def sweeper() -> None:
        while not stopped.wait(sweep_every):
            try:
                parser.sweep(sweep)
            except Exception:  # S3 down: the next step tries again
                logger.exception("sweep failed; trying again in %s s", sweep_every)

    thread = threading.Thread(target=sweeper, name="voice-parser-sweep", daemon=True)
    thread.start()
    try:
        consumer.run(handle_signals=True)
    finally:
        stopped.set()
        thread.join()


# --8<-- [end:run]
