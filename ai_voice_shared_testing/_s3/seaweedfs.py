"""A real SeaweedFS server for the session: :class:`SeaweedFSBackend`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from ai_voice_shared.errors import AiVoiceSharedError
from ai_voice_shared.settings import S3Settings
from ai_voice_shared_testing._s3.backend import S3Backend

if TYPE_CHECKING:
    from ai_voice_shared_testing._servers.seaweedfs import SeaweedFSServer

__all__ = ["SeaweedFSBackend"]


class SeaweedFSBackend(S3Backend):
    """A real SeaweedFS server (``weed mini``) started for the session on free ports."""

    name = "seaweedfs"
    region = "us-east-1"

    def __init__(self, server: SeaweedFSServer | None = None) -> None:
        self._server = server
        self._owns_server = server is None

    def start(self) -> Self:
        if self._server is None:
            from ai_voice_shared_testing._servers.seaweedfs import SeaweedFSServer

            self._server = SeaweedFSServer().start()
        self.endpoint_url = self._server.endpoint_url
        self.region = self._server.region
        return self

    def settings(self, bucket: str) -> S3Settings:
        if self._server is None:
            raise AiVoiceSharedError("SeaweedFSBackend is not started: call start() first.")
        return self._server.s3_settings(bucket)

    def stop(self) -> None:
        super().stop()
        if self._owns_server and self._server is not None:
            self._server.stop()
            self._server = None
