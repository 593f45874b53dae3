"""The S3 family behind :mod:`~ai_voice_shared_testing.s3_bucket`,
:mod:`~ai_voice_shared_testing.s3_faults` and :mod:`~ai_voice_shared_testing.seaweedfs`.

From the bottom up (each module imports only modules listed before it):

- :mod:`.admin`: name, create, empty and destroy a bucket through the S3 API;
- :mod:`.moto_stubber`: moto's in-process botocore stubber, found and serialised;
- :mod:`.botocore_hooks`: the process-wide handlers and patches every boto3 client gets;
- :mod:`.faults`: :class:`S3FaultInjector`, one bucket's recorded calls and faults;
- :mod:`.bucket`: :class:`S3Bucket`, the handle of one fresh test bucket;
- :mod:`.backend`: :class:`S3Backend`, where buckets live, then one module per backend:
  :mod:`.moto`; :mod:`.seaweedfs` (on the server of
  :mod:`ai_voice_shared_testing._servers.seaweedfs`); :mod:`.endpoint`.

boto3 and moto load when a backend starts, not when these modules do.
"""
