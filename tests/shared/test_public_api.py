"""The public API: what each package exports is locked here, and importing it stays cheap."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

import ai_voice_shared
import ai_voice_shared_testing

EXPORTED = [
    "AiVoiceSharedError",
    "AsyncCustomerLookupClient",
    "AsyncMediaIngest",
    "AsyncS3Service",
    "AsyncTwilioMediaClient",
    "AsyncVoiceNoteConsumer",
    "ConfigurationError",
    "ConsumerReport",
    "CustomerLookupClient",
    "CustomerLookupConnectionError",
    "CustomerLookupError",
    "CustomerLookupResponseError",
    "CustomerLookupSettings",
    "CustomerLookupStatusError",
    "CustomerLookupTimeoutError",
    "CustomerMetadata",
    "CustomerNotFoundError",
    "DeliveryClaim",
    "DeliveryConflictError",
    "DeliveryError",
    "DeliveryGuard",
    "DeliveryInProgressError",
    "DeliveryLeaseLostError",
    "DeliverySettings",
    "DeliveryStore",
    "DeliveryStoreError",
    "InvalidPhoneNumberError",
    "InvalidS3EventError",
    "InvalidS3KeyError",
    "InvalidTwilioPayloadError",
    "InvalidTwilioSignatureError",
    "MediaConflictError",
    "MediaDownloadError",
    "MediaIngest",
    "MediaTooLargeError",
    "MemoryDeliveryStore",
    "MessageStatus",
    "RedisDeliveryStore",
    "S3AccessDeniedError",
    "S3BucketNotFoundError",
    "S3DeleteError",
    "S3DeliveryStore",
    "S3EventNotification",
    "S3EventRecord",
    "S3IntegrityError",
    "S3ListResponse",
    "S3ObjectExistsError",
    "S3ObjectHead",
    "S3ObjectMetadata",
    "S3ObjectNotFoundError",
    "S3PresignedPost",
    "S3Service",
    "S3ServiceClosedError",
    "S3ServiceError",
    "S3Settings",
    "S3WriteResult",
    "StoredMedia",
    "TwilioMedia",
    "TwilioMediaClient",
    "TwilioMediaError",
    "TwilioRequestValidator",
    "TwilioSettings",
    "TwilioStatusCallback",
    "TwilioWebhookPayload",
    "TwilioWebhookVerifier",
    "UntrustedMediaUrlError",
    "VerifiedWebhook",
    "VoiceNoteConsumer",
    "VoiceNoteQueueError",
    "VoiceNoteQueueSettings",
    "VoiceNoteSweep",
    "WebhookBodyTooLargeError",
    "__version__",
    "configure_voice_note_notifications",
    "delivery_store",
    "mask_phone_number",
    "messaging_response",
    "normalize_phone_number",
]
HEAVY = ["boto3", "botocore", "moto", "respx", "hypothesis", "polyfactory"]


def imported_after(code: str) -> set[str]:
    """Top-level modules loaded by running ``code`` in a fresh interpreter."""
    probe = f"{code}\nimport sys\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


def test_the_runtime_package_exports_exactly_the_locked_sorted_list() -> None:
    assert ai_voice_shared.__all__ == EXPORTED
    assert sorted(ai_voice_shared.__all__) == ai_voice_shared.__all__


def test_the_testing_package_exports_exactly_the_locked_sorted_list() -> None:
    assert ai_voice_shared_testing.__all__ == [
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
    assert sorted(ai_voice_shared_testing.__all__) == ai_voice_shared_testing.__all__


@pytest.mark.parametrize("name", EXPORTED)
def test_every_exported_name_resolves(name: str) -> None:
    assert getattr(ai_voice_shared, name) is not None


def test_the_seed_import_paths_keep_working() -> None:
    from ai_voice_shared import CustomerLookupClient, TwilioWebhookPayload  # noqa: F401
    from ai_voice_shared.services.customer_lookup_client import (  # noqa: F401
        CustomerLookupClient as FromModule,
    )
    from ai_voice_shared.services.s3_service import S3Service

    assert ai_voice_shared.S3Service is S3Service


def test_an_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        ai_voice_shared.Nope  # noqa: B018


def test_importing_the_package_does_not_import_boto3() -> None:
    loaded = imported_after(
        "from ai_voice_shared import TwilioWebhookPayload, CustomerLookupClient"
    )

    assert "boto3" not in loaded
    assert "botocore" not in loaded


def test_the_kit_modules_import_cleanly() -> None:
    loaded = imported_after(
        "import ai_voice_shared_testing.factories, ai_voice_shared_testing.strategies"
    )

    assert {"polyfactory", "hypothesis"} <= loaded


def test_importing_the_plugin_imports_none_of_the_heavy_test_libraries() -> None:
    loaded = imported_after("import ai_voice_shared_testing.plugin")

    # The plugin loads in every pytest run of every service: not even httpx or pydantic.
    assert sorted(loaded.intersection([*HEAVY, "httpx", "pydantic", "pydantic_settings"])) == []


@pytest.mark.parametrize("package", [ai_voice_shared, ai_voice_shared_testing])
def test_both_packages_ship_py_typed(package: object) -> None:
    assert (Path(package.__file__).parent / "py.typed").is_file()  # type: ignore[attr-defined]


def test_the_version_is_written_once_and_matches_the_installed_metadata() -> None:
    assert importlib.metadata.version("ai-voice-shared") == ai_voice_shared.__version__


def test_the_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    points = importlib.metadata.entry_points(group="pytest11")

    assert {p.name: p.value for p in points}["ai_voice_shared"] == "ai_voice_shared_testing.plugin"


def test_the_webhook_core_imports_no_web_framework() -> None:
    loaded = imported_after(
        "from ai_voice_shared import TwilioWebhookVerifier, DeliveryGuard, messaging_response"
    )

    assert sorted(loaded.intersection(["starlette", "fastapi", "flask", "werkzeug"])) == []


def test_the_webhook_kit_imports_neither_hypothesis_nor_polyfactory() -> None:
    loaded = imported_after("import ai_voice_shared_testing.webhooks")

    assert sorted(loaded.intersection(["hypothesis", "polyfactory"])) == []


def test_each_adapter_imports_only_its_own_framework() -> None:
    assert "flask" not in imported_after("import ai_voice_shared.adapters.starlette")
    assert "starlette" not in imported_after("import ai_voice_shared.adapters.flask")
    assert {"flask", "starlette"}.isdisjoint(imported_after("import ai_voice_shared.adapters.wsgi"))
