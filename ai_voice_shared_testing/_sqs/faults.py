"""Per-queue call recording, faults and acknowledgement tracking: :class:`SqsFaultInjector`.

The S3 injector's machinery (:mod:`ai_voice_shared_testing._s3.faults`) watching a queue URL
instead of a bucket: the same botocore hooks see every SQS call of every client about the
queue; a fault is answered as SQS's JSON protocol answers errors, so botocore parses and
retries it as it would SQS's own. On top, the messages a client received are tracked until
it deletes them or changes their visibility (gives them back, or extends them): what is left
at the end was received and then dropped on the floor.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from ai_voice_shared_testing._s3.faults import S3Call, S3FaultInjector

__all__ = ["SqsCall", "SqsFaultInjector"]

#: One SQS operation made on a watched queue: the S3 record's shape, named for SQS.
SqsCall = S3Call


class SqsFaultInjector(S3FaultInjector):
    """Records the calls about one queue (by URL), answers chosen ones with SQS errors, and
    tracks received messages until acknowledged."""

    def __init__(self, queue_url: str) -> None:
        super().__init__(queue_url)
        self._received: dict[str, str] = {}  # receipt handle -> message id
        self._received_lock = threading.Lock()

    def _error_body(self, code: str) -> bytes:
        return json.dumps(
            {"__type": f"com.amazonaws.sqs#{code}", "message": "injected by SqsQueue.fail()"}
        ).encode()

    def _error_headers(self, code: str) -> dict[str, str]:
        return {
            "x-amzn-requestid": "aivs-injected",
            "content-type": "application/x-amz-json-1.0",
            "x-amzn-query-error": f"{code};Sender",
        }

    def _after_call(self, operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        with self._received_lock:
            if operation == "ReceiveMessage":
                for message in parsed.get("Messages", []):
                    self._received[message["ReceiptHandle"]] = message.get("MessageId", "")
            elif operation in ("DeleteMessage", "ChangeMessageVisibility"):
                if "Error" not in parsed:
                    self._received.pop(params.get("ReceiptHandle", ""), None)
            elif operation in ("DeleteMessageBatch", "ChangeMessageVisibilityBatch"):
                ok = {entry["Id"] for entry in parsed.get("Successful", [])}
                for entry in params.get("Entries", []):
                    if entry.get("Id") in ok:
                        self._received.pop(entry.get("ReceiptHandle", ""), None)
            elif operation == "PurgeQueue":
                self._received.clear()

    def unacknowledged(self) -> list[str]:
        """Message ids received but neither deleted nor given back (visibility changed)."""
        with self._received_lock:
            return list(dict.fromkeys(self._received.values()))

    def clear(self) -> None:
        super().clear()
        with self._received_lock:
            self._received.clear()
