"""Any S3-compatible endpoint: :class:`EndpointBackend` (``--aivs-s3-backend=endpoint``)."""

from __future__ import annotations

import os

from ai_voice_shared_testing._s3.backend import S3Backend

__all__ = ["EndpointBackend"]


class EndpointBackend(S3Backend):
    """Any S3-compatible endpoint; credentials from the standard AWS variables."""

    name = "endpoint"

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self.region = (
            os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or ("us-east-1")
        )
