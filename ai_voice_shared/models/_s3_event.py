"""S3 event notifications as S3 sends them to SQS: :class:`S3EventNotification`.

The shape is AWS's (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-
structure.html), read leniently where emulators leave fields out: moto sends no ``sequencer``,
``versionId``, ``userIdentity``, ``requestParameters`` or ``responseElements`` (so powertools'
strict S3 model cannot parse its events); each is optional here. Unknown fields are kept, as the
Twilio models keep them. The object key arrives URL-encoded (``+`` for a space, ``%XX`` for the
rest, as ``quote_plus`` writes it) and is decoded on parsing; writing the model back encodes it
again. An S3 notification wrapped in an SNS notification (``"Type": "Notification"``) is
unwrapped. The ``s3:TestEvent`` S3 sends when a notification is configured parses to a message
with no records and :attr:`S3EventNotification.is_test_event` set.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote_plus, unquote_plus

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    StringConstraints,
    ValidationError,
    field_serializer,
    field_validator,
)

from ai_voice_shared.errors import InvalidS3EventError

__all__ = [
    "S3EventBucket",
    "S3EventEntity",
    "S3EventNotification",
    "S3EventObject",
    "S3EventRecord",
]

_CONFIG = ConfigDict(
    frozen=True, extra="allow", populate_by_name=True, serialize_by_alias=True, defer_build=True
)
_NonEmpty = Annotated[str, StringConstraints(min_length=1)]


class S3EventBucket(BaseModel):
    """The bucket of an event: its name and, when S3 says, its ARN."""

    model_config = _CONFIG

    name: _NonEmpty
    arn: str | None = None
    owner_identity: dict[str, Any] | None = Field(None, alias="ownerIdentity")


class S3EventObject(BaseModel):
    """The object of an event; ``key`` is decoded (S3 sends it URL-encoded)."""

    model_config = _CONFIG

    key: _NonEmpty
    size: NonNegativeInt | None = None
    etag: str | None = Field(None, alias="eTag")
    version_id: str | None = Field(None, alias="versionId")
    sequencer: str | None = None

    @field_validator("key", mode="before")
    @classmethod
    def _decode(cls, value: object) -> object:
        return unquote_plus(value) if isinstance(value, str) else value

    @field_validator("etag", mode="before")
    @classmethod
    def _strip_quotes(cls, value: object) -> object:
        return value.strip('"') if isinstance(value, str) else value

    @field_serializer("key")
    def _encode(self, key: str) -> str:
        return quote_plus(key, safe="/")


class S3EventEntity(BaseModel):
    """The ``s3`` part of a record: which notification matched, the bucket and the object."""

    model_config = _CONFIG

    s3_schema_version: str = Field("1.0", alias="s3SchemaVersion")
    configuration_id: str | None = Field(None, alias="configurationId")
    bucket: S3EventBucket
    object: S3EventObject


class S3EventRecord(BaseModel):
    """One S3 event: what happened (``event_name``, ``ObjectCreated:Put``), when and to which
    object. :attr:`identity` is what deduplicates it (bucket, key and ETag)."""

    model_config = _CONFIG

    event_version: str = Field("2.1", alias="eventVersion")
    event_source: str = Field("aws:s3", alias="eventSource")
    aws_region: str | None = Field(None, alias="awsRegion")
    event_time: AwareDatetime = Field(alias="eventTime")
    event_name: _NonEmpty = Field(alias="eventName")
    user_identity: dict[str, Any] | None = Field(None, alias="userIdentity")
    request_parameters: dict[str, Any] | None = Field(None, alias="requestParameters")
    response_elements: dict[str, Any] | None = Field(None, alias="responseElements")
    s3: S3EventEntity

    @field_validator("event_name", mode="before")
    @classmethod
    def _bare_name(cls, value: object) -> object:
        # AWS sends "ObjectCreated:Put"; the configuration's "s3:ObjectCreated:Put" is accepted.
        return value.removeprefix("s3:") if isinstance(value, str) else value

    @property
    def bucket(self) -> str:
        """The bucket's name."""
        return self.s3.bucket.name

    @property
    def key(self) -> str:
        """The object's key, decoded, as stored (with any ``S3_KEY_PREFIX``)."""
        return self.s3.object.key

    @property
    def etag(self) -> str | None:
        """The object's ETag, without quotes."""
        return self.s3.object.etag

    @property
    def is_object_created(self) -> bool:
        """Whether an object was written (``ObjectCreated:*``: put, post, copy, multipart)."""
        return self.event_name.startswith("ObjectCreated:")

    @property
    def identity(self) -> tuple[str, str, str]:
        """``(bucket, key, etag)``: the same object version, however often it is delivered."""
        return (self.bucket, self.key, self.etag or "")


class S3EventNotification(BaseModel):
    """The body of one SQS message from S3: its records, or the ``s3:TestEvent``.

    Parse a body with :meth:`parse` (JSON text, or an SNS notification around it).
    """

    model_config = _CONFIG

    records: list[S3EventRecord] = Field(default_factory=list, alias="Records")
    event: str | None = Field(None, alias="Event")

    @property
    def is_test_event(self) -> bool:
        """Whether this is the ``s3:TestEvent`` S3 sends when a notification is configured."""
        return self.event == "s3:TestEvent"

    @classmethod
    def parse(cls, body: str | bytes) -> S3EventNotification:
        """Parse an SQS message body; :class:`~ai_voice_shared.errors.InvalidS3EventError` if it
        is not an S3 event notification (not JSON, no ``Records``, a field of the wrong type)."""
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidS3EventError(f"the message body is not JSON ({exc})") from None
        if isinstance(data, dict) and data.get("Type") == "Notification" and "Message" in data:
            return cls.parse(data["Message"])  # an SNS topic between the bucket and the queue
        if not isinstance(data, dict) or ("Records" not in data and "Event" not in data):
            shown = type(data).__name__ if not isinstance(data, dict) else sorted(data)[:5]
            raise InvalidS3EventError(
                f"the message body is not an S3 event notification (no 'Records'; got {shown})"
            )
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)
            )
            raise InvalidS3EventError(f"the S3 event notification is invalid: {problems}") from None

    def to_body(self) -> str:
        """The JSON body S3 would send (keys URL-encoded again)."""
        return self.model_dump_json(exclude_none=True)
