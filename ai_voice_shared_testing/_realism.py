"""What realistic Twilio and S3 values look like; shared by the factories and the strategies.

Plain data and pure functions, so both polyfactory (seeded ``random.Random``) and Hypothesis
(draws) build the same shapes: SIDs with the right prefix, E.164 numbers, canonical media URLs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote_plus

__all__ = [
    "API_VERSION",
    "AUDIO_TYPES",
    "IMAGE_TYPES",
    "MEDIA_TYPES",
    "MESSAGE_TYPES",
    "OBJECT_CREATED_EVENTS",
    "PROFILE_NAMES",
    "S3_EVENT_SHAPES",
    "TWILIO_NUMBERS",
    "media_url",
    "s3_event_body",
    "s3_event_record",
]

API_VERSION = "2010-04-01"
#: Twilio's WhatsApp sandbox number and two business numbers of the synthetic 555 range.
TWILIO_NUMBERS = ["+14155238886", "+15555550000", "+15555550001"]
AUDIO_TYPES = ["audio/ogg", "audio/ogg; codecs=opus", "audio/mpeg", "audio/amr", "audio/mp4"]
IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"]
MEDIA_TYPES = [*AUDIO_TYPES, *IMAGE_TYPES, "video/mp4", "application/pdf", "text/vcard"]
#: MessageType by media family; text has none.
MESSAGE_TYPES: Mapping[str, str] = {
    "audio": "audio",
    "image": "image",
    "video": "video",
    "application": "document",
    "text": "contacts",
}
PROFILE_NAMES = ["Ana Souza", "Ravi Kumar", "Test User", "Chloé Martin", "Jürgen Weiß", "李雷"]


def media_url(account_sid: str, message_sid: str, media_sid: str) -> str:
    """Twilio's canonical URL of one media item."""
    return (
        f"https://api.twilio.com/{API_VERSION}/Accounts/{account_sid}/Messages/{message_sid}"
        f"/Media/{media_sid}"
    )


#: The ``eventName`` of each way S3 creates an object.
OBJECT_CREATED_EVENTS = [
    "ObjectCreated:Put",
    "ObjectCreated:Post",
    "ObjectCreated:Copy",
    "ObjectCreated:CompleteMultipartUpload",
]
#: How an S3 event message looks: as AWS sends it (every field), as moto sends it (no
#: ``sequencer``, ``versionId``, ``userIdentity``, ``requestParameters``,
#: ``responseElements``; ``/`` encoded in the key), or AWS's wrapped in an SNS notification.
S3EventShape = Literal["aws", "moto", "sns"]
S3_EVENT_SHAPES: list[S3EventShape] = ["aws", "moto", "sns"]


def s3_event_record(
    *,
    bucket: str,
    key: str,
    etag: str,
    size: int,
    event_name: str,
    event_time: datetime,
    shape: S3EventShape,
    region: str = "eu-west-1",
    sequencer: str = "0055AED6DCD90281E5",
    version_id: str | None = None,
) -> dict[str, Any]:
    """One record as S3 (or moto) writes it; the key URL-encoded as each encodes it."""
    stamp = event_time.strftime("%Y-%m-%dT%H:%M:%S.") + f"{event_time.microsecond // 1000:03d}Z"
    obj: dict[str, Any] = {
        "key": quote_plus(key) if shape == "moto" else quote_plus(key, safe="/"),
        "size": size,
        "eTag": etag,
    }
    record: dict[str, Any] = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": stamp,
        "eventName": event_name,
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "ai-voice-shared-voice-notes",
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": obj,
        },
    }
    if shape != "moto":
        obj["sequencer"] = sequencer
        if version_id is not None:
            obj["versionId"] = version_id
        record["s3"]["bucket"]["ownerIdentity"] = {"principalId": "A3NL1KOZZKExample"}
        record["userIdentity"] = {"principalId": "AWS:AIDAJDPLRKLG7UEXAMPLE"}
        record["requestParameters"] = {"sourceIPAddress": "127.0.0.1"}
        record["responseElements"] = {
            "x-amz-request-id": "C3D13FE58DE4C810",
            "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
        }
    return record


def s3_event_body(records: Sequence[Mapping[str, Any]], *, shape: S3EventShape) -> str:
    """The SQS message body of ``records`` (inside an SNS notification for ``"sns"``)."""
    body = json.dumps({"Records": list(records)})
    if shape != "sns":
        return body
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
            "TopicArn": "arn:aws:sns:eu-west-1:123456789012:voice-notes",
            "Subject": "Amazon S3 Notification",
            "Message": body,
            "Timestamp": "2026-12-04T10:00:00.000Z",
        }
    )
