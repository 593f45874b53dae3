"""The S3 family behind :class:`~ai_voice_shared.S3Service` and its async twin.

One concept per module, none importing the public services above them:

- :mod:`.keys`: which keys may be sent (:func:`validate_key`) and S3's key limits;
- :mod:`.client`: the boto3 client built from :class:`~ai_voice_shared.S3Settings`;
- :mod:`.errors`: botocore's failures as the typed :class:`~ai_voice_shared.S3ServiceError`
  family;
- :mod:`.store`: one bucket through one client (the key prefix, error glue, the bucket check);
- :mod:`.integrity`: what an object's bytes must hash to, checked as they stream;
- :mod:`.writes`: what a write returns, and a refused conditional write compared with the bytes;
- :mod:`.upload`: the streaming multipart engine (two part buffers, full-object CRC32);
- :mod:`.download`: the verified, resuming GET;
- :mod:`.files`: file objects lent to s3transfer, and downloads written beside their target;
- :mod:`.capture`: the botocore hook that keeps s3transfer's answer to an upload;
- :mod:`.bridge`: iterators carried between the event loop and the worker threads.
"""

from __future__ import annotations
