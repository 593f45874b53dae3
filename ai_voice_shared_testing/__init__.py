"""Test doubles for the AI Voice services: pytest fixtures, factories and strategies.

The pytest plugin (``ai_voice_shared_testing.plugin``) loads automatically through the
``pytest11`` entry point. :class:`SeaweedFSServer` runs a real S3-compatible server for tests;
:class:`FakeLookupServer` is a stateful customer-lookup-server, in memory or over real HTTP.
"""

from __future__ import annotations

from ai_voice_shared_testing.lookup_server import FakeLookupServer, RecordedLookup
from ai_voice_shared_testing.seaweedfs import SeaweedFSServer, SeaweedFSUnavailableError

__all__ = ["FakeLookupServer", "RecordedLookup", "SeaweedFSServer", "SeaweedFSUnavailableError"]
