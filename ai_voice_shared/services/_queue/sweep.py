"""Listing as reconciliation: :class:`VoiceNoteSweep`, for notes whose event was lost.

Events are the hand-off; a sweep is the safety net (an event S3 never sent, a message deleted
by mistake, a queue purged). Each :meth:`VoiceNoteSweep.step` is one ``ListObjectsV2`` request
of at most ``page_size`` keys, so its cost is bounded however many notes are stored; a whole
pass over N keys costs ``ceil(N / page_size)`` requests, spread over as many steps as the
caller likes (one a minute: 10,000 notes are swept every 10 minutes at 1,000 keys a page).

Within a pass the pages follow the store's continuation token, so the pass lists every key
once whatever order the store lists in. The :attr:`~VoiceNoteSweep.cursor` (the last key
listed) is what to persist to resume after a restart: the first page after it starts with
``StartAfter``, which is exact in S3's order (UTF-8 bytes). SeaweedFS lists in directory-tree
order (``l/a/1`` before ``l/a b``), so a pass resumed from a cursor there may skip keys that
sort differently in the two orders until the next pass; an uninterrupted pass is exact on both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ai_voice_shared.models import S3ObjectMetadata

if TYPE_CHECKING:
    from ai_voice_shared.services.s3_service import S3Service

__all__ = ["VoiceNoteSweep"]


class VoiceNoteSweep:
    """Lists the keys under ``prefix`` one bounded page per :meth:`step`, pass after pass.

    >>> sweep = VoiceNoteSweep(s3, prefix="AC123/", page_size=1000)
    >>> for item in sweep.step():                 # one request
    ...     if not already_processed(item.key):
    ...         process(item.key)

    ``start_after``: a :attr:`cursor` persisted earlier, to resume a pass there.
    """

    def __init__(
        self,
        s3: S3Service,
        *,
        prefix: str = "",
        page_size: int = 1000,
        start_after: str | None = None,
    ) -> None:
        if not 1 <= page_size <= 1000:
            from ai_voice_shared.errors import ConfigurationError

            raise ConfigurationError(
                f"VoiceNoteSweep: page_size must be 1 to 1000 (S3's page), not {page_size}"
            )
        self.s3, self.prefix, self.page_size = s3, prefix, page_size
        self.cursor: str | None = start_after
        self._token: str | None = None
        self.passes = 0
        self.requests = 0

    def step(self) -> list[S3ObjectMetadata]:
        """One listing request: the next page of keys (the pass restarts after the last)."""
        page = self.s3.list_objects(
            self.prefix,
            max_keys=self.page_size,
            continuation_token=self._token,
            start_after=self.cursor if self._token is None else None,
        )
        self.requests += 1
        if page.is_truncated and page.next_continuation_token:
            self._token = page.next_continuation_token
            if page.objects:
                self.cursor = page.objects[-1].key
        else:
            self._token = None
            self.cursor = None
            self.passes += 1
        return list(page.objects)

    @property
    def at_start(self) -> bool:
        """Whether the next step starts a pass from the first key."""
        return self._token is None and self.cursor is None
