"""S3 call recording and fault injection for every boto3 client of the process.

:func:`install` puts the kit's handlers into botocore's built-in list, so every boto3 client
created afterwards carries them (and older clients get them on their first call); an
:class:`S3FaultInjector` then watches one bucket: every call about it, from any such client, is
recorded in :attr:`S3FaultInjector.calls`, and the faults registered with
:meth:`S3FaultInjector.fail` are answered instead of the request, retried by botocore exactly as
S3's own errors are, without real waiting under virtual time.

This module is the public face; how it works is told in
:mod:`ai_voice_shared_testing._s3.botocore_hooks` and :mod:`ai_voice_shared_testing._s3.faults`.
"""

from __future__ import annotations

from ai_voice_shared_testing._s3.botocore_hooks import install
from ai_voice_shared_testing._s3.faults import S3Call, S3FaultInjector

__all__ = ["S3Call", "S3FaultInjector", "install"]
