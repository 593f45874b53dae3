"""voice-parser, the reference poller: each voice note `webhook-handler` stored, processed once.

`MediaIngest` stores every media item of a message under ``{AccountSid}/{MessageSid}/...`` with
the metadata a parser needs. This poller lists what is new with
``S3Service.iter_objects(modified_since=...)``, downloads each new note with its metadata in one
GET, hands it to ``handle`` and remembers it. The watermark comes from S3's own times (the
listed ``last_modified``), less a margin, so neither this host's clock nor a write that
finishes after a run makes it miss a note; the set of keys already read makes a note listed
again (the margin lists some twice) a no-op.

    python -m examples.voice_parser      # S3Settings() from the S3_* variables
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import unquote

from ai_voice_shared import S3ObjectNotFoundError, S3Service

logger = logging.getLogger("voice_parser")

# --8<-- [start:margin]
#: How far before the newest listed object the next run starts listing. S3 may stamp an object
#: before it becomes listable (a multipart upload carries the time it was created), so the
#: margin must exceed the longest write of a note (an ingest is bounded by
#: TWILIO_TOTAL_TIMEOUT_SECONDS, 120 s by default) plus any skew between S3's clocks.
DEFAULT_MARGIN = timedelta(minutes=5)
# --8<-- [end:margin]


@dataclass(frozen=True)
class VoiceNote:
    """One stored voice note: its bytes and what `MediaIngest` stored with them."""

    key: str
    etag: str
    last_modified: datetime
    audio: bytes
    content_type: str | None
    metadata: dict[str, str]

    @property
    def message_sid(self) -> str:
        return self.metadata["twilio-message-sid"]

    @property
    def media_type(self) -> str:
        """The type the webhook declared (``media-type``; the CDN may have sent
        ``application/octet-stream``), lower-cased, without parameters."""
        declared = unquote(self.metadata.get("media-type", "")) or self.content_type or ""
        return declared.split(";")[0].strip().lower()

    @property
    def customer_id(self) -> str | None:
        """``None`` when the note was stored without a customer (its lookup failed)."""
        return self.metadata.get("customer-id")


@dataclass
class PollerState:
    """What the poller keeps between runs; persist it to survive a restart.

    ``since`` is where the next listing starts (``None``: everything); ``read`` maps each key
    read at or after ``since`` to its ETag and listed time.
    """

    since: datetime | None = None
    read: dict[str, tuple[str, datetime]] = field(default_factory=dict)


# --8<-- [start:poller]
class VoiceNotePoller:
    """Lists new objects under ``prefix`` and hands each new voice note to ``handle`` once."""

    def __init__(
        self,
        s3: S3Service,
        handle: Callable[[VoiceNote], None],
        *,
        prefix: str = "",
        margin: timedelta = DEFAULT_MARGIN,
        state: PollerState | None = None,
    ) -> None:
        self.s3, self.handle, self.prefix, self.margin = s3, handle, prefix, margin
        self.state = state if state is not None else PollerState()

    def poll(self) -> list[VoiceNote]:
        """One run: every voice note stored since the last run, handled; returns them."""
        handled: list[VoiceNote] = []
        newest: datetime | None = None
        for item in self.s3.iter_objects(self.prefix, modified_since=self.state.since):
            newest = item.last_modified if newest is None else max(newest, item.last_modified)
            read = self.state.read.get(item.key)
            if read is not None and read[0] == item.etag:
                continue  # listed again (the margin, or a rerun): already handled
            note = self._read(item.key, item.last_modified)
            if note is None:
                continue  # deleted since it was listed
            if note.media_type.startswith("audio/"):  # images and the like are only marked read
                try:
                    self.handle(note)
                except Exception:  # left unread: the next run tries it again
                    logger.exception("voice note %s failed; retried next run", note.key)
                    continue
                handled.append(note)
            self.state.read[item.key] = (item.etag, item.last_modified)
        if newest is not None:
            self._advance(newest - self.margin)
        return handled

    def _read(self, key: str, listed: datetime) -> VoiceNote | None:
        buffer = io.BytesIO()
        try:
            meta = self.s3.download_file(key, buffer)  # one checked GET: bytes and metadata
        except S3ObjectNotFoundError:
            return None
        return VoiceNote(
            key=key,
            etag=meta.etag,
            last_modified=listed,
            audio=buffer.getvalue(),
            content_type=meta.content_type,
            metadata=meta.metadata,
        )

    def _advance(self, since: datetime) -> None:
        """Move the watermark forward (never back) and forget keys no listing returns again."""
        if self.state.since is not None and since <= self.state.since:
            return
        self.state.since = since
        floor = since.replace(microsecond=0)  # iter_objects compares whole seconds
        self.state.read = {k: v for k, v in self.state.read.items() if v[1] >= floor}


# --8<-- [end:poller]


# --8<-- [start:run]
def run(poller: VoiceNotePoller, *, interval: float = 30.0, stop: threading.Event) -> None:
    """Poll every ``interval`` seconds until ``stop`` is set (SIGTERM, in a service)."""
    while not stop.is_set():
        try:
            poller.poll()
        except Exception:  # S3 down: log, and try again at the next interval
            logger.exception("poll failed; trying again in %s s", interval)
        stop.wait(interval)


# --8<-- [end:run]
