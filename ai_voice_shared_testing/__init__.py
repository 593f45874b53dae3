"""Test doubles for the AI Voice services: pytest fixtures, factories and strategies.

The pytest plugin (``ai_voice_shared_testing.plugin``) loads automatically through the
``pytest11`` entry point and provides the fixtures (``s3_bucket``, ``lookup_server``, ...).
The classes behind them work without pytest: :class:`S3Bucket` and its backends, :class:`SqsQueue`,
:class:`FakeLookupServer`, :class:`SeaweedFSServer`. Names load on first use, so the plugin
costs nothing in runs that do not use them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ai_voice_shared.hooks import lazy_face

if TYPE_CHECKING:
    from ai_voice_shared_testing._extras import MissingTestingExtraError
    from ai_voice_shared_testing._http.base import FakeHttpService
    from ai_voice_shared_testing._http.real_hosts import RealHostError
    from ai_voice_shared_testing._s3.backend import S3Backend
    from ai_voice_shared_testing._s3.bucket import S3Bucket, S3NotificationsUnsupportedError
    from ai_voice_shared_testing._s3.endpoint import EndpointBackend
    from ai_voice_shared_testing._s3.faults import S3Call, S3FaultInjector
    from ai_voice_shared_testing._s3.moto import MotoBackend
    from ai_voice_shared_testing._s3.seaweedfs import SeaweedFSBackend
    from ai_voice_shared_testing._servers.redis import RedisServer, RedisUnavailableError
    from ai_voice_shared_testing._servers.seaweedfs import (
        SeaweedFSServer,
        SeaweedFSUnavailableError,
    )
    from ai_voice_shared_testing._sqs.faults import SqsFaultInjector
    from ai_voice_shared_testing._sqs.queue import SqsQueue
    from ai_voice_shared_testing.fault_proxy import FaultProxy
    from ai_voice_shared_testing.lookup_server import FakeLookupServer, RecordedLookup
    from ai_voice_shared_testing.twilio_api import FakeTwilioApi
    from ai_voice_shared_testing.virtual_time import VirtualTime
    from ai_voice_shared_testing.webhooks import (
        ConnectionOverrides,
        DeliveryAttempt,
        SignedTwilioRequest,
        TwilioWebhookSender,
        TwilioWouldNotRetryError,
        WebhookDelivery,
    )

__all__ = [
    "ConnectionOverrides",
    "DeliveryAttempt",
    "EndpointBackend",
    "FakeHttpService",
    "FakeLookupServer",
    "FakeTwilioApi",
    "FaultProxy",
    "MissingTestingExtraError",
    "MotoBackend",
    "RealHostError",
    "RecordedLookup",
    "RedisServer",
    "RedisUnavailableError",
    "S3Backend",
    "S3Bucket",
    "S3Call",
    "S3FaultInjector",
    "S3NotificationsUnsupportedError",
    "SeaweedFSBackend",
    "SeaweedFSServer",
    "SeaweedFSUnavailableError",
    "SignedTwilioRequest",
    "SqsFaultInjector",
    "SqsQueue",
    "TwilioWebhookSender",
    "TwilioWouldNotRetryError",
    "VirtualTime",
    "WebhookDelivery",
]

__getattr__, __dir__ = lazy_face(
    __name__,
    {
        "._extras": ["MissingTestingExtraError"],
        "._http.base": ["FakeHttpService"],
        "._http.real_hosts": ["RealHostError"],
        "._s3.backend": ["S3Backend"],
        "._s3.bucket": ["S3Bucket", "S3NotificationsUnsupportedError"],
        "._s3.endpoint": ["EndpointBackend"],
        "._s3.faults": ["S3Call", "S3FaultInjector"],
        "._s3.moto": ["MotoBackend"],
        "._s3.seaweedfs": ["SeaweedFSBackend"],
        "._servers.redis": ["RedisServer", "RedisUnavailableError"],
        "._servers.seaweedfs": ["SeaweedFSServer", "SeaweedFSUnavailableError"],
        "._sqs.faults": ["SqsFaultInjector"],
        "._sqs.queue": ["SqsQueue"],
        ".fault_proxy": ["FaultProxy"],
        ".lookup_server": ["FakeLookupServer", "RecordedLookup"],
        ".twilio_api": ["FakeTwilioApi"],
        ".virtual_time": ["VirtualTime"],
        ".webhooks": [
            "ConnectionOverrides",
            "DeliveryAttempt",
            "SignedTwilioRequest",
            "TwilioWebhookSender",
            "TwilioWouldNotRetryError",
            "WebhookDelivery",
        ],
    },
)
