"""``S3Service``: every S3 operation an AI Voice service needs, on boto3.

Not implemented yet: the module path is fixed so that services can depend on it; the
implementation arrives with the S3Service issue.
"""

from __future__ import annotations

__all__ = ["S3Service"]


class S3Service:
    """Placeholder for the boto3-backed S3 service (not implemented yet)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise NotImplementedError(
            "S3Service is not implemented in this version of ai-voice-shared; upgrade the "
            "package once the S3Service release is out, or use boto3 directly until then."
        )
