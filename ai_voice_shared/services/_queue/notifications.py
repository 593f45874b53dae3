"""Wire a bucket's ``ObjectCreated`` notifications to the voice-note queue (and its policy).

S3 needs two things to deliver: the queue's access policy must let ``s3.amazonaws.com`` send
to it for this bucket, and the bucket's notification configuration must name the queue.
:func:`configure_voice_note_notifications` applies both, keeping what else is there (other
statements of the policy, other notifications of the bucket), and refuses a queue without a
dead-letter queue: a poison message would then be received forever instead of set aside.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ai_voice_shared.errors import ConfigurationError
from ai_voice_shared.services._queue.client import build_sqs_client, queue_errors
from ai_voice_shared.settings._queue import VoiceNoteQueueSettings

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from ai_voice_shared.services.s3_service import S3Service

__all__ = ["NOTIFICATION_ID", "POLICY_SID", "configure_voice_note_notifications"]

#: The id of the bucket's queue notification, and the Sid of the queue policy's statement.
NOTIFICATION_ID = "ai-voice-shared-voice-notes"
POLICY_SID = "ai-voice-shared-s3-notifications"


def configure_voice_note_notifications(
    s3: S3Service,
    *,
    queue: VoiceNoteQueueSettings | None = None,
    sqs_client: SQSClient | None = None,
    prefix: str = "",
    suffix: str = "",
    require_dead_letter_queue: bool = True,
) -> dict[str, Any]:
    """Make S3 send an event to the queue for each object created under ``prefix`` (after
    ``S3_KEY_PREFIX``) ending in ``suffix``; return the queue configuration applied.

    Idempotent: run it at deploy time, or at each start. S3 sends an ``s3:TestEvent`` to the
    queue when the configuration changes (the consumer drops it).
    """
    queue = queue if queue is not None else VoiceNoteQueueSettings()
    sqs = sqs_client if sqs_client is not None else build_sqs_client(queue)
    with queue_errors("GetQueueAttributes", queue.queue_url):
        attributes = sqs.get_queue_attributes(
            QueueUrl=queue.queue_url, AttributeNames=["QueueArn", "RedrivePolicy", "Policy"]
        )["Attributes"]
    if require_dead_letter_queue and not attributes.get("RedrivePolicy"):
        raise ConfigurationError(
            f"The voice-note queue {queue.queue_url} has no dead-letter queue (RedrivePolicy): "
            "a message no handler can take would be received forever. Give it one "
            "(maxReceiveCount 5, say), or pass require_dead_letter_queue=False; see "
            "docs/voice-note-events.md#the-queue."
        )
    queue_arn = attributes["QueueArn"]
    bucket_arn = f"arn:aws:s3:::{s3.bucket}"
    policy = json.loads(attributes.get("Policy") or '{"Version": "2012-10-17", "Statement": []}')
    statements = [s for s in policy.get("Statement", []) if s.get("Sid") != POLICY_SID]
    statements.append(
        {
            "Sid": POLICY_SID,
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {"ArnLike": {"aws:SourceArn": bucket_arn}},
        }
    )
    policy["Statement"] = statements
    with queue_errors("SetQueueAttributes", queue.queue_url):
        sqs.set_queue_attributes(
            QueueUrl=queue.queue_url, Attributes={"Policy": json.dumps(policy)}
        )
    rules = [{"Name": "prefix", "Value": s3.key_prefix + prefix}] if s3.key_prefix + prefix else []
    if suffix:
        rules.append({"Name": "suffix", "Value": suffix})
    wanted: dict[str, Any] = {
        "Id": NOTIFICATION_ID,
        "QueueArn": queue_arn,
        "Events": ["s3:ObjectCreated:*"],
    }
    if rules:
        wanted["Filter"] = {"Key": {"FilterRules": rules}}
    with s3._store.errors("PutBucketNotificationConfiguration", None):
        current: dict[str, Any] = dict(
            s3.client.get_bucket_notification_configuration(Bucket=s3.bucket)
        )
        current.pop("ResponseMetadata", None)
        others = [
            c for c in current.get("QueueConfigurations", []) if c.get("Id") != NOTIFICATION_ID
        ]
        current["QueueConfigurations"] = [*others, wanted]
        s3.client.put_bucket_notification_configuration(
            Bucket=s3.bucket,
            NotificationConfiguration=current,  # type: ignore[arg-type]
        )
    if sqs_client is None:
        sqs.close()
    return wanted
