"""What ingesting a message's media stored, item by item."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, NonNegativeInt, StringConstraints

__all__ = ["StoredMedia"]


class StoredMedia(BaseModel):
    """One media item of a message, stored in S3 by ``MediaIngest``.

    ``key`` is relative to ``S3_KEY_PREFIX`` (``{AccountSid}/{MessageSid}/{index}-{MediaSid}
    .{ext}``), ``content_type`` the type declared by the webhook, ``already_stored`` true when
    an earlier delivery of the same webhook stored these very bytes (nothing was written).
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    index: NonNegativeInt
    media_sid: Annotated[str, StringConstraints(pattern=r"^ME[0-9a-fA-F]{32}$")]
    key: Annotated[str, StringConstraints(min_length=1)]
    content_type: str
    size: NonNegativeInt
    etag: str
    already_stored: bool = False

    @property
    def created(self) -> bool:
        """Whether this ingest stored the item (not an earlier delivery)."""
        return not self.already_stored
