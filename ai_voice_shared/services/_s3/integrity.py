"""Data integrity for S3 transfers: what an object's bytes must hash to, checked as they stream.

What a GET can be checked against, best first:

- a full-object checksum the store keeps and returns with ``ChecksumMode=ENABLED``
  (``x-amz-checksum-crc32``, ``-sha1``, ``-sha256``): every object written by ``S3Service``
  with ``S3_CHECKSUMS=when_supported`` has one;
- the ETag, when it is the MD5 of the bytes: a single-part upload without KMS or customer-key
  encryption (``"9b2cf535..."``, no ``-N`` suffix);
- nothing else: a multipart object with per-part ("composite") checksums only, or encrypted
  with KMS, cannot be checked as a whole. Its parts were checked as they were uploaded.
"""

from __future__ import annotations

import base64
import hashlib
import re
import zlib
from collections.abc import Mapping
from typing import IO, Any

__all__ = [
    "Fingerprint",
    "Verifier",
    "b64_crc32",
    "content_md5",
    "crc32_of",
    "crc32_of_stream",
]

_MD5_ETAG = re.compile(r"^[0-9a-f]{32}$")
#: Full-object checksums this module can compute itself (CRC32C and CRC64NVME need awscrt).
_HASHLIB = {"SHA1": "sha1", "SHA256": "sha256"}


def crc32_of(data: bytes | bytearray | memoryview) -> str:
    """The base64 CRC32 of ``data``, as S3 writes it in ``x-amz-checksum-crc32``."""
    return b64_crc32(zlib.crc32(data))


def crc32_of_stream(stream: IO[bytes], block: int = 1024 * 1024) -> str:
    """The base64 CRC32 of a stream read from its current position to its end."""
    crc = 0
    while chunk := stream.read(block):
        crc = zlib.crc32(chunk, crc)
    return b64_crc32(crc)


def content_md5(data: bytes | bytearray | memoryview) -> str:
    """The base64 MD5 of ``data`` for a ``Content-MD5`` header."""
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


def b64_crc32(crc: int) -> str:
    """A CRC32 value in base64, as S3 writes it."""
    return base64.b64encode(crc.to_bytes(4, "big")).decode()


class Verifier:
    """Checks that the bytes of one object match what the store says they hash to.

    Built from a GetObject (or HeadObject) response; feed every byte of the object in order,
    across resumed ranges, then :meth:`problem` says what does not match, if anything.
    """

    def __init__(self, response: Mapping[str, Any]) -> None:
        self.size = int(response.get("ContentLength") or 0)
        self.algorithm: str | None = None
        self.expected = ""
        self._crc = 0
        self._hash: Any = None
        checksum_type = str(response.get("ChecksumType") or "FULL_OBJECT")
        for name in ("CRC32", "SHA1", "SHA256"):
            value = response.get(f"Checksum{name}")
            if isinstance(value, str) and "-" not in value and checksum_type == "FULL_OBJECT":
                self.algorithm, self.expected = name, value
                if name in _HASHLIB:
                    self._hash = hashlib.new(_HASHLIB[name])
                return
        etag = str(response.get("ETag") or "").strip('"')
        encrypted = str(response.get("ServerSideEncryption") or "").startswith("aws:kms") or (
            response.get("SSECustomerAlgorithm") is not None
        )
        if _MD5_ETAG.match(etag) and not encrypted:
            self.algorithm, self.expected = "MD5", etag
            self._hash = hashlib.md5(usedforsecurity=False)

    @property
    def what(self) -> str:
        """What the bytes are checked against, for messages and documentation."""
        if self.algorithm is None:
            return "nothing (a multipart or encrypted object without a full-object checksum)"
        if self.algorithm == "MD5":
            return "the MD5 in its single-part ETag"
        return f"its stored full-object {self.algorithm} checksum"

    def update(self, data: bytes) -> None:
        """Feed the next bytes of the object."""
        if self.algorithm == "CRC32":
            self._crc = zlib.crc32(data, self._crc)
        elif self._hash is not None:
            self._hash.update(data)

    def problem(self, received: int) -> str | None:
        """Why the ``received`` bytes fed so far are not the object, or ``None``."""
        if received != self.size:
            return f"{received} bytes arrived where the object has {self.size}"
        if self.algorithm is None:
            return None
        if self.algorithm == "CRC32":
            actual = b64_crc32(self._crc)
        elif self.algorithm == "MD5":
            actual = self._hash.hexdigest()
        else:
            actual = base64.b64encode(self._hash.digest()).decode()
        if actual != self.expected:
            return f"their {self.algorithm} is {actual} where the store's is {self.expected}"
        return None


class Fingerprint:
    """What identifies bytes that were written: their size, full CRC32 and the ETag a store
    gives them (the MD5, or the MD5 of the part MD5s and ``-N`` for a multipart upload).

    :meth:`same_as` compares it with a HeadObject answer: ``True`` or ``False`` when that can
    be told, ``None`` when nothing comparable is stored (no full CRC32, an ETag of another
    scheme, such as KMS encryption or another part size).
    """

    def __init__(self, size: int, crc32: str | None, etag: str | None) -> None:
        self.size = size
        self.crc32 = crc32
        self.etag = etag

    @classmethod
    def of(cls, data: bytes | bytearray) -> Fingerprint:
        return cls(len(data), crc32_of(data), hashlib.md5(data, usedforsecurity=False).hexdigest())

    @staticmethod
    def multipart_etag(part_etags: list[str]) -> str:
        """The ETag S3 gives a multipart upload of parts with these ETags."""
        digests = b"".join(bytes.fromhex(etag.strip('"')) for etag in part_etags)
        return f"{hashlib.md5(digests, usedforsecurity=False).hexdigest()}-{len(part_etags)}"

    def same_as(self, head: Mapping[str, Any]) -> bool | None:
        if int(head.get("ContentLength") or 0) != self.size:
            return False
        stored_crc = head.get("ChecksumCRC32")
        full = str(head.get("ChecksumType") or "FULL_OBJECT") == "FULL_OBJECT"
        if (
            self.crc32 is not None
            and isinstance(stored_crc, str)
            and "-" not in stored_crc
            and full
        ):
            return stored_crc == self.crc32
        encrypted = str(head.get("ServerSideEncryption") or "").startswith("aws:kms") or (
            head.get("SSECustomerAlgorithm") is not None
        )
        stored_etag = "" if encrypted else str(head.get("ETag") or "").strip('"')
        if self.etag is not None and stored_etag == self.etag:
            return True
        if self.etag is not None and "-" not in self.etag and _MD5_ETAG.match(stored_etag):
            return False  # both single-part MD5s, and they differ
        return None
