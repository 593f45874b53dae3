"""Claims kept as small objects in the bucket the services already share: no new infrastructure.

A claim is a ``PutObject`` with ``If-None-Match: *`` (of racing deliveries, exactly one
creates the record); completing, releasing and taking over an expired claim are
``PutObject``\\ s with ``If-Match`` on the record's ETag (of racing writers, exactly one wins).
Every record carries its own expiry, so a record S3 still keeps after it (a lifecycle rule
deletes them within a day or two) is simply not counted. A release writes a "released" record
rather than deleting: conditional deletes are not available on every S3-compatible store.

Cost: a first delivery is 2 requests (the claim, the completion), a redelivery of a handled
webhook 2 (the claim's 412 carries no body, so the record is read to tell "handled" from "in
progress" and to check the payload's fingerprint).
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, ClassVar

from botocore.exceptions import BotoCoreError, ClientError

from ai_voice_shared._delivery.base import Created, DeliveryStore, Exists, Stored
from ai_voice_shared._delivery.record import RELEASED, Record
from ai_voice_shared.errors import ConfigurationError, DeliveryStoreError, S3ServiceError
from ai_voice_shared.services._s3.store import Store
from ai_voice_shared.services.s3_service import S3Service

if TYPE_CHECKING:
    from ai_voice_shared.settings import S3Settings

__all__ = ["S3DeliveryStore"]

#: A conditional write that lost: the record changed, appeared or vanished meanwhile.
_LOST = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict", "409"})
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
_READABLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9:_-]{0,199}")


class S3DeliveryStore(DeliveryStore):
    """Records as JSON objects under ``prefix`` (``DELIVERY_S3_PREFIX``) in the bucket of
    ``s3`` (an :class:`~ai_voice_shared.S3Service`, else one from ``S3_*``; its key prefix
    applies too). The store is as fast as the bucket: each operation is one request, bounded
    by ``S3_CONNECT_TIMEOUT_SECONDS`` and ``S3_READ_TIMEOUT_SECONDS`` times ``S3_MAX_ATTEMPTS``.
    """

    kind: ClassVar[str] = "s3"

    def __init__(
        self,
        s3: S3Service | None = None,
        *,
        prefix: str = "deliveries/",
        settings: S3Settings | None = None,
    ) -> None:
        if not prefix or prefix.startswith("/") or not prefix.endswith("/"):
            raise ConfigurationError(
                f"S3DeliveryStore needs a key prefix such as 'deliveries/' (DELIVERY_S3_PREFIX: "
                f"not empty, no leading '/', ending in '/'), not {prefix!r}."
            )
        self._owns = s3 is None
        self.s3 = s3 if s3 is not None else S3Service(settings)
        self.prefix = prefix
        self._store = Store(self.s3.settings, self.s3.client)

    def describe(self) -> str:
        return f"s3://{self.s3.bucket}/{self.s3.key_prefix}{self.prefix}"

    def _key(self, key: str) -> str:
        # A MessageSid (and a status) is its own object name; any other key is hashed, so that
        # every key is a valid object name on every store (SeaweedFS refuses a path segment
        # of more than 255 bytes, S3 a key of more than 1024).
        name = (
            key
            if _READABLE.fullmatch(key)
            else "sha256-" + hashlib.sha256(key.encode()).hexdigest()
        )
        return self._store.full_key(f"{self.prefix}{name}.json")

    def _failed(self, key: str, operation: str, exc: BotoCoreError | ClientError) -> Exception:
        error: S3ServiceError = self._store.translate(exc, operation, self._key(key))
        return DeliveryStoreError(
            f"The delivery store {self.describe()} failed on {operation} for {key!r}: {error} "
            "Nothing was decided for this delivery: answer it 503, so that Twilio delivers it "
            "again.",
            key=key,
        )

    def _put(self, key: str, record: Record, **condition: str) -> str:
        self._store.check_bucket()  # SeaweedFS would create a missing bucket on PUT
        answer = self._store.client.put_object(
            Bucket=self._store.bucket,
            Key=self._key(key),
            Body=record.dumps(),
            ContentType="application/json",
            **condition,  # type: ignore[arg-type]
        )
        return str(answer["ETag"])

    def _create(self, key: str, record: Record, ttl: float) -> Created | Exists:
        try:
            return Created(self._put(key, record, IfNoneMatch="*"))
        except ClientError as exc:
            if _code(exc) in _LOST:
                return Exists(None)
            raise self._failed(key, "PutObject", exc) from exc
        except (BotoCoreError, S3ServiceError) as exc:
            raise self._wrap(key, "PutObject", exc) from exc

    def _read(self, key: str) -> Stored | None:
        try:
            answer = self._store.client.get_object(Bucket=self._store.bucket, Key=self._key(key))
            body = answer["Body"].read()
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return None
            raise self._failed(key, "GetObject", exc) from exc
        except BotoCoreError as exc:
            raise self._failed(key, "GetObject", exc) from exc
        record = Record.loads(body, key=key, where=self.describe())
        return Stored(record, str(answer["ETag"]))

    def _replace(self, key: str, record: Record, version: str, ttl: float) -> str | None:
        try:
            return self._put(key, record, IfMatch=version)
        except ClientError as exc:
            if _code(exc) in _LOST | _MISSING:
                return None
            raise self._failed(key, "PutObject", exc) from exc
        except (BotoCoreError, S3ServiceError) as exc:
            raise self._wrap(key, "PutObject", exc) from exc

    def _remove(self, key: str, version: str) -> bool:
        released = Record(RELEASED, 0.0, "", "")
        return self._replace(key, released, version, 0.0) is not None

    def _wrap(self, key: str, operation: str, exc: Exception) -> Exception:
        if isinstance(exc, BotoCoreError):
            return self._failed(key, operation, exc)
        return DeliveryStoreError(
            f"The delivery store {self.describe()} failed on {operation} for {key!r}: {exc} "
            "Nothing was decided for this delivery: answer it 503.",
            key=key,
        )

    def clear(self) -> None:
        keys = [item.key for item in self.s3.iter_objects(self.prefix)]
        if keys:
            self.s3.delete_objects(keys)

    def close(self) -> None:
        if self._owns:
            self.s3.close()


def _code(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return str(error.get("Code") or status or "")
