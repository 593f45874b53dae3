"""S3Settings: every documented variable is read, and every bad value names its variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from ai_voice_shared import ConfigurationError, CustomerLookupSettings, S3Settings
from ai_voice_shared.settings import TwilioSettings
from ai_voice_shared.settings._s3 import validate_bucket_name

VARIABLES = [
    "S3_BUCKET_NAME",
    "S3_REGION",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "S3_ENDPOINT_URL",
    "S3_KEY_PREFIX",
    "S3_PRESIGNED_URL_EXPIRY_SECONDS",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "S3_MAX_ATTEMPTS",
    "S3_CONNECT_TIMEOUT_SECONDS",
    "S3_READ_TIMEOUT_SECONDS",
    "S3_MULTIPART_THRESHOLD_BYTES",
    "S3_MULTIPART_CHUNK_SIZE_BYTES",
    "S3_MAX_CONCURRENCY",
    "S3_CHECKSUMS",
    "S3_MAX_WORKERS",
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No S3 variable from the machine, and no .env file, leaks into these tests."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("S3_BUCKET_NAME", "voice-notes")


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("S3_BUCKET_NAME", "other-bucket", "bucket_name", "other-bucket"),
        ("S3_REGION", "eu-central-1", "region", "eu-central-1"),
        ("S3_ENDPOINT_URL", "http://127.0.0.1:8333/", "endpoint_url", "http://127.0.0.1:8333"),
        ("S3_KEY_PREFIX", "tenant-a/", "key_prefix", "tenant-a/"),
        ("S3_PRESIGNED_URL_EXPIRY_SECONDS", "600", "presigned_url_expiry_seconds", 600),
        ("S3_MAX_ATTEMPTS", "7", "max_attempts", 7),
        ("S3_CONNECT_TIMEOUT_SECONDS", "2.5", "connect_timeout_seconds", 2.5),
        ("S3_READ_TIMEOUT_SECONDS", "30", "read_timeout_seconds", 30.0),
        ("S3_MULTIPART_THRESHOLD_BYTES", "16777216", "multipart_threshold_bytes", 16777216),
        ("S3_MULTIPART_CHUNK_SIZE_BYTES", "6291456", "multipart_chunk_size_bytes", 6291456),
        ("S3_MAX_CONCURRENCY", "2", "max_concurrency", 2),
        ("S3_CHECKSUMS", "when_required", "checksums", "when_required"),
        ("S3_MAX_WORKERS", "32", "max_workers", 32),
    ],
)
def test_each_variable_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str, expected: object
) -> None:
    monkeypatch.setenv(variable, value)

    assert getattr(S3Settings(), field) == expected


def test_the_defaults_are_the_documented_ones() -> None:
    settings = S3Settings()

    assert settings.model_dump() == {
        "bucket_name": "voice-notes",
        "region": None,
        "endpoint_url": None,
        "key_prefix": "",
        "presigned_url_expiry_seconds": 3600,
        "access_key_id": None,
        "secret_access_key": None,
        "max_attempts": 5,
        "connect_timeout_seconds": 5.0,
        "read_timeout_seconds": 60.0,
        "multipart_threshold_bytes": 8 * 1024 * 1024,
        "multipart_chunk_size_bytes": 8 * 1024 * 1024,
        "max_concurrency": 10,
        "max_workers": 16,
        "checksums": "when_supported",
    }


@pytest.mark.parametrize(
    ("present", "expected"),
    [
        (
            {"S3_REGION": "eu-west-1", "AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "x-1"},
            "eu-west-1",
        ),
        ({"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "ap-south-1"}, "us-west-2"),
        ({"AWS_DEFAULT_REGION": "ap-south-1"}, "ap-south-1"),
        ({"S3_REGION": "", "AWS_REGION": "us-west-2"}, "us-west-2"),
    ],
)
def test_the_region_falls_back_to_aws_region_then_aws_default_region(
    monkeypatch: pytest.MonkeyPatch, present: dict[str, str], expected: str
) -> None:
    for name, value in present.items():
        monkeypatch.setenv(name, value)

    assert S3Settings().region == expected


def test_the_key_pair_is_read_as_secrets_that_never_show(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3_ACCESS_KEY_ID", "AKIAEXAMPLEKEY")
    monkeypatch.setenv("S3_SECRET_ACCESS_KEY", "very-secret-value")

    settings = S3Settings()

    assert settings.access_key_id is not None
    assert settings.secret_access_key is not None
    assert settings.access_key_id.get_secret_value() == "AKIAEXAMPLEKEY"
    assert settings.secret_access_key.get_secret_value() == "very-secret-value"
    assert "very-secret-value" not in repr(settings)
    assert "AKIAEXAMPLEKEY" not in repr(settings)
    assert "very-secret-value" not in str(settings.model_dump())


def test_a_dotenv_file_in_the_working_directory_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("S3_BUCKET_NAME")
    (tmp_path / ".env").write_text("S3_BUCKET_NAME=from-dotenv\nS3_KEY_PREFIX=voice\nOTHER=1\n")

    settings = S3Settings()

    assert (settings.bucket_name, settings.key_prefix) == ("from-dotenv", "voice/")


def test_the_environment_wins_over_the_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("S3_BUCKET_NAME=from-dotenv\n")

    assert S3Settings().bucket_name == "voice-notes"


def test_constructor_arguments_win_over_the_environment() -> None:
    assert S3Settings(bucket_name="explicit-bucket").bucket_name == "explicit-bucket"


@pytest.mark.parametrize(
    ("prefix", "expected"), [("voice", "voice/"), ("voice/", "voice/"), ("a/b", "a/b/"), ("", "")]
)
def test_the_key_prefix_is_a_folder(
    monkeypatch: pytest.MonkeyPatch, prefix: str, expected: str
) -> None:
    monkeypatch.setenv("S3_KEY_PREFIX", prefix)

    assert S3Settings().key_prefix == expected


INVALID = [
    pytest.param(
        {"S3_BUCKET_NAME": None},
        "- S3_BUCKET_NAME: is required but not set",
        id="bucket missing",
    ),
    pytest.param(
        {"S3_BUCKET_NAME": "Voice_Notes"},
        "- S3_BUCKET_NAME: bucket name 'Voice_Notes' breaks the S3 naming rules: it must use only "
        "lowercase letters, digits, '.' and '-'",
        id="bucket with capitals",
    ),
    pytest.param(
        {"S3_PRESIGNED_URL_EXPIRY_SECONDS": "604801"},
        "- S3_PRESIGNED_URL_EXPIRY_SECONDS: Input should be less than or equal to 604800",
        id="expiry beyond 7 days",
    ),
    pytest.param(
        {"S3_ENDPOINT_URL": "localhost:8333"},
        "- S3_ENDPOINT_URL: 'localhost:8333' is not an http(s) URL such as "
        "'http://127.0.0.1:8333' (no query)",
        id="endpoint without scheme",
    ),
    pytest.param(
        {"S3_KEY_PREFIX": "/voice"},
        "- S3_KEY_PREFIX: '/voice' must not start with '/': S3 keys are not paths",
        id="prefix with a leading slash",
    ),
    pytest.param(
        {"S3_KEY_PREFIX": "tenant-a/.."},
        "- S3_KEY_PREFIX: 'tenant-a/..' has a '.' or '..' segment: every stored key would carry "
        "it, and tools that map keys to paths resolve it (use a plain prefix such as 'tenant-a')",
        id="prefix with a dot-dot segment",
    ),
    pytest.param(
        {"S3_MAX_ATTEMPTS": "zero"},
        "- S3_MAX_ATTEMPTS: Input should be a valid integer, unable to parse string as an integer",
        id="attempts not a number",
    ),
    pytest.param(
        {"S3_MULTIPART_CHUNK_SIZE_BYTES": "1048576"},
        "- S3_MULTIPART_CHUNK_SIZE_BYTES: Input should be greater than or equal to 5242880",
        id="parts below S3's 5 MiB minimum",
    ),
    pytest.param(
        {"S3_ACCESS_KEY_ID": "AKIA"},
        "- S3_SECRET_ACCESS_KEY is not set but the other half of the key pair is: set both "
        "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither to use the standard AWS "
        "credential chain",
        id="half a key pair",
    ),
]


@pytest.mark.parametrize(("variables", "line"), INVALID)
def test_an_invalid_value_names_the_variable_and_the_rule(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str | None], line: str
) -> None:
    for name, value in variables.items():
        if value is None:
            monkeypatch.delenv(name)
        else:
            monkeypatch.setenv(name, value)

    with pytest.raises(ConfigurationError) as caught:
        S3Settings()

    assert str(caught.value).splitlines() == [
        "S3Settings: the S3 settings are invalid:",
        line,
        "Set the environment variables (or a .env file) as docs/settings.md#s3settings "
        "describes, or pass the values to the constructor.",
    ]


def test_an_invalid_constructor_argument_is_named_by_its_variable_too() -> None:
    with pytest.raises(ConfigurationError, match="- S3_MAX_CONCURRENCY: Input should be"):
        S3Settings(max_concurrency=0)


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("ab", "be 3 to 63 characters long"),
        ("a" * 64, "be 3 to 63 characters long"),
        ("-voice", "start and end with a letter or digit"),
        ("voice.", "start and end with a letter or digit"),
        ("voice..notes", "not contain '..'"),
        ("192.168.5.4", "not be an IP address"),
        ("xn--voice", "not start with 'xn--'"),
        ("sthree-voice", "not start with 'xn--', 'sthree-'"),
        ("voice-s3alias", "not end with '-s3alias'"),
        ("voice--ol-s3", "not end with '-s3alias', '--ol-s3'"),
    ],
)
def test_bucket_names_follow_the_s3_rules_that_moto_does_not_check(name: str, rule: str) -> None:
    with pytest.raises(ValueError, match=f"it must {rule}"):
        validate_bucket_name(name)


@pytest.mark.parametrize("name", ["voice-notes", "a.b.c", "abc", "a" * 63, "v0ice-2026"])
def test_valid_bucket_names_pass(name: str) -> None:
    assert validate_bucket_name(name) == name


LOOKUP_VARIABLES = [
    "CUSTOMER_LOOKUP_BASE_URL",
    "CUSTOMER_LOOKUP_API_KEY",
    "CUSTOMER_LOOKUP_TIMEOUT_SECONDS",
    "CUSTOMER_LOOKUP_CONNECT_TIMEOUT_SECONDS",
    "CUSTOMER_LOOKUP_TOTAL_TIMEOUT_SECONDS",
    "CUSTOMER_LOOKUP_MAX_RETRIES",
    "CUSTOMER_LOOKUP_CACHE_TTL_SECONDS",
    "CUSTOMER_LOOKUP_NEGATIVE_CACHE_TTL_SECONDS",
    "CUSTOMER_LOOKUP_CACHE_MAX_SIZE",
]


@pytest.fixture
def lookup_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in LOOKUP_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CUSTOMER_LOOKUP_BASE_URL", "http://customer-lookup:8080")
    return monkeypatch


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        (
            "CUSTOMER_LOOKUP_BASE_URL",
            "http://lookup.internal/v1/",
            "base_url",
            "http://lookup.internal/v1",
        ),
        ("CUSTOMER_LOOKUP_TIMEOUT_SECONDS", "2.5", "timeout_seconds", 2.5),
        ("CUSTOMER_LOOKUP_CONNECT_TIMEOUT_SECONDS", "0.5", "connect_timeout_seconds", 0.5),
        ("CUSTOMER_LOOKUP_TOTAL_TIMEOUT_SECONDS", "20", "total_timeout_seconds", 20.0),
        ("CUSTOMER_LOOKUP_MAX_RETRIES", "0", "max_retries", 0),
        ("CUSTOMER_LOOKUP_CACHE_TTL_SECONDS", "0", "cache_ttl_seconds", 0.0),
        ("CUSTOMER_LOOKUP_NEGATIVE_CACHE_TTL_SECONDS", "5", "negative_cache_ttl_seconds", 5.0),
        ("CUSTOMER_LOOKUP_CACHE_MAX_SIZE", "100", "cache_max_size", 100),
    ],
)
def test_each_lookup_variable_is_read_from_the_environment(
    lookup_env: pytest.MonkeyPatch, variable: str, value: str, field: str, expected: object
) -> None:
    lookup_env.setenv(variable, value)

    assert getattr(CustomerLookupSettings(), field) == expected


def test_the_lookup_defaults_are_the_documented_ones(lookup_env: pytest.MonkeyPatch) -> None:
    assert CustomerLookupSettings().model_dump() == {
        "base_url": "http://customer-lookup:8080",
        "api_key": None,
        "timeout_seconds": 5.0,
        "connect_timeout_seconds": 2.0,
        "total_timeout_seconds": 15.0,
        "max_retries": 2,
        "cache_ttl_seconds": 300.0,
        "negative_cache_ttl_seconds": 30.0,
        "cache_max_size": 10_000,
    }


def test_the_lookup_api_key_is_a_secret(lookup_env: pytest.MonkeyPatch) -> None:
    lookup_env.setenv("CUSTOMER_LOOKUP_API_KEY", "lookup-secret")

    settings = CustomerLookupSettings()

    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == "lookup-secret"
    assert "lookup-secret" not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        (
            "CUSTOMER_LOOKUP_BASE_URL",
            None,
            "- CUSTOMER_LOOKUP_BASE_URL: is required but not set",
        ),
        (
            "CUSTOMER_LOOKUP_BASE_URL",
            "customer-lookup:8080",
            "- CUSTOMER_LOOKUP_BASE_URL: 'customer-lookup:8080' is not an http(s) URL such as "
            "'http://customer-lookup:8080' (no query string)",
        ),
        (
            "CUSTOMER_LOOKUP_MAX_RETRIES",
            "-1",
            "- CUSTOMER_LOOKUP_MAX_RETRIES: Input should be greater than or equal to 0",
        ),
        (
            "CUSTOMER_LOOKUP_TIMEOUT_SECONDS",
            "0",
            "- CUSTOMER_LOOKUP_TIMEOUT_SECONDS: Input should be greater than 0",
        ),
        (
            "CUSTOMER_LOOKUP_CACHE_MAX_SIZE",
            "0",
            "- CUSTOMER_LOOKUP_CACHE_MAX_SIZE: Input should be greater than or equal to 1",
        ),
    ],
)
def test_an_invalid_lookup_value_names_the_variable(
    lookup_env: pytest.MonkeyPatch, variable: str, value: str | None, line: str
) -> None:
    if value is None:
        lookup_env.delenv(variable)
    else:
        lookup_env.setenv(variable, value)

    with pytest.raises(ConfigurationError) as caught:
        CustomerLookupSettings()

    assert str(caught.value).splitlines()[:2] == [
        "CustomerLookupSettings: the customer lookup settings are invalid:",
        line,
    ]


# -- TwilioSettings ------------------------------------------------------------------------------

TWILIO_VARIABLES = [
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_API_KEY_SID",
    "TWILIO_API_KEY_SECRET",
    "TWILIO_API_BASE_URL",
    "TWILIO_MEDIA_MAX_BYTES",
    "TWILIO_TIMEOUT_SECONDS",
    "TWILIO_CONNECT_TIMEOUT_SECONDS",
    "TWILIO_TOTAL_TIMEOUT_SECONDS",
    "TWILIO_MAX_RETRIES",
    "TWILIO_WEBHOOK_BASE_URL",
    "TWILIO_TRUST_FORWARDED_HEADERS",
]
ACCOUNT = "AC" + "0123456789abcdef" * 2
API_KEY = "SK" + "fedcba9876543210" * 2


@pytest.fixture
def twilio_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in TWILIO_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("TWILIO_ACCOUNT_SID", ACCOUNT, "account_sid", ACCOUNT),
        ("TWILIO_API_BASE_URL", "http://127.0.0.1:8000/", "api_base_url", "http://127.0.0.1:8000"),
        ("TWILIO_MEDIA_MAX_BYTES", "5242880", "media_max_bytes", 5242880),
        ("TWILIO_TIMEOUT_SECONDS", "30", "timeout_seconds", 30.0),
        ("TWILIO_CONNECT_TIMEOUT_SECONDS", "1.5", "connect_timeout_seconds", 1.5),
        ("TWILIO_TOTAL_TIMEOUT_SECONDS", "300", "total_timeout_seconds", 300.0),
        ("TWILIO_MAX_RETRIES", "0", "max_retries", 0),
        (
            "TWILIO_WEBHOOK_BASE_URL",
            "https://voice.example.com/hooks/",
            "webhook_base_url",
            "https://voice.example.com/hooks",
        ),
        ("TWILIO_TRUST_FORWARDED_HEADERS", "true", "trust_forwarded_headers", True),
    ],
)
def test_each_twilio_variable_is_read_from_the_environment(
    twilio_env: pytest.MonkeyPatch, variable: str, value: str, field: str, expected: object
) -> None:
    twilio_env.setenv(variable, value)

    assert getattr(TwilioSettings(), field) == expected


def test_the_twilio_defaults_are_the_documented_ones(twilio_env: pytest.MonkeyPatch) -> None:
    assert TwilioSettings().model_dump() == {
        "account_sid": None,
        "auth_token": None,
        "api_key_sid": None,
        "api_key_secret": None,
        "api_base_url": "https://api.twilio.com",
        "media_max_bytes": 16 * 1024 * 1024,
        "timeout_seconds": 15.0,
        "connect_timeout_seconds": 5.0,
        "total_timeout_seconds": 120.0,
        "max_retries": 2,
        "webhook_base_url": None,
        "trust_forwarded_headers": False,
    }


def test_the_twilio_secrets_never_show(twilio_env: pytest.MonkeyPatch) -> None:
    twilio_env.setenv("TWILIO_AUTH_TOKEN", "token-secret")
    twilio_env.setenv("TWILIO_API_KEY_SID", API_KEY)
    twilio_env.setenv("TWILIO_API_KEY_SECRET", "key-secret")

    settings = TwilioSettings()

    assert settings.auth_token is not None
    assert settings.api_key_secret is not None
    assert settings.auth_token.get_secret_value() == "token-secret"
    assert settings.api_key_secret.get_secret_value() == "key-secret"
    assert "token-secret" not in repr(settings)
    assert "key-secret" not in repr(settings)


@pytest.mark.parametrize(
    ("variables", "line"),
    [
        (
            {"TWILIO_ACCOUNT_SID": "AC123"},
            "- TWILIO_ACCOUNT_SID: 'AC123' is not an account SID ('AC' and 32 hex digits)",
        ),
        (
            {"TWILIO_API_KEY_SID": API_KEY},
            "- TWILIO_API_KEY_SECRET is not set but the other half of the API key is: set both "
            "TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET, or neither to use TWILIO_AUTH_TOKEN",
        ),
        (
            {"TWILIO_API_KEY_SID": ACCOUNT, "TWILIO_API_KEY_SECRET": "s"},
            f"- TWILIO_API_KEY_SID: '{ACCOUNT}' is not an API key SID ('SK' and 32 hex digits)",
        ),
        (
            {"TWILIO_API_BASE_URL": "https://api.twilio.com/2010-04-01"},
            "- TWILIO_API_BASE_URL: 'https://api.twilio.com/2010-04-01' is not a base URL such "
            "as 'https://api.twilio.com' (scheme and host, no path, query or credentials)",
        ),
        (
            {"TWILIO_WEBHOOK_BASE_URL": "https://voice.example.com/hook#rc=3"},
            "- TWILIO_WEBHOOK_BASE_URL: 'https://voice.example.com/hook#rc=3' is not the public "
            "base URL Twilio calls, such as 'https://voice.example.com' or "
            "'https://example.com/voice' (no query or fragment: Twilio does not sign the "
            "#connection overrides)",
        ),
        (
            {"TWILIO_MEDIA_MAX_BYTES": "0"},
            "- TWILIO_MEDIA_MAX_BYTES: Input should be greater than or equal to 1",
        ),
    ],
)
def test_an_invalid_twilio_value_names_the_variable(
    twilio_env: pytest.MonkeyPatch, variables: dict[str, str], line: str
) -> None:
    for name, value in variables.items():
        twilio_env.setenv(name, value)

    with pytest.raises(ConfigurationError) as caught:
        TwilioSettings()

    assert str(caught.value).splitlines()[:2] == [
        "TwilioSettings: the Twilio settings are invalid:",
        line,
    ]
