"""moto in-process: :class:`MotoBackend`, the default backend of ``s3_bucket``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Self

from ai_voice_shared.settings import S3Settings
from ai_voice_shared_testing._extras import require
from ai_voice_shared_testing._s3.backend import S3Backend
from ai_voice_shared_testing._s3.moto_stubber import moto_stubber, serialise_moto_requests

__all__ = ["MotoBackend"]


class MotoBackend(S3Backend):
    """moto in-process, one shared client, a bucket created and removed per test.

    ``mock_aws()`` costs ~1.5 ms to enter and leave, almost all of it registering 1,288
    callbacks for the ``requests`` library, which boto3 does not use; a new client costs
    ~100 ms. So the shared client is built once, and each bucket's life only switches on moto's
    botocore stubber (what ``mock_aws()`` switches on for boto3) and resets moto's backends
    at the end (what leaving ``mock_aws()`` does), falling back to ``mock_aws()`` and API calls
    if a moto release moves them. So every bucket moto holds is gone after each test,
    including any the test created itself. Region ``eu-west-1``, never ``us-east-1``, where
    re-creating a bucket you own silently keeps its old objects.
    """

    name = "moto"

    def __init__(self) -> None:
        self._shared_mock = False

    def settings(self, bucket: str) -> S3Settings:
        return S3Settings(
            bucket_name=bucket,
            region=self.region,
            access_key_id="testing",
            secret_access_key="testing",
        )

    def start(self) -> Self:
        require("moto")
        serialise_moto_requests()
        return self

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        require("moto")
        stubber = moto_stubber()
        if stubber is None:
            with require("moto").mock_aws():
                yield
            return
        # Inside a caller's own mock_aws(): share it, and remove only our bucket.
        self._shared_mock = bool(stubber.enabled)
        stubber.enabled = True
        try:
            yield
        finally:
            stubber.enabled = self._shared_mock

    def create(self, name: str) -> None:
        # Straight into moto's S3 backend: a CreateBucket through botocore and moto's request
        # matching costs ~1.3 ms, a third of a typical test's S3 time. The public call is the
        # fallback for a moto release that reshapes its backend.
        try:
            from moto.core.models import DEFAULT_ACCOUNT_ID
            from moto.s3.models import s3_backends

            s3_backends[DEFAULT_ACCOUNT_ID]["aws"].create_bucket(name, self.region)
        except (ImportError, AttributeError, KeyError, TypeError):
            super().create(name)

    def clear(self, name: str) -> None:
        # Straight in moto's S3 backend, as moto's own reset does it (closing each object's
        # spooled file); through the API it costs three calls, most of a fresh bucket's price.
        try:
            from moto.core.models import DEFAULT_ACCOUNT_ID
            from moto.s3.models import FakeKey, s3_backends

            bucket = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].buckets[name]
            for key in bucket.keys.values():
                if isinstance(key, FakeKey):
                    key.dispose()
            for part in bucket.multiparts.values():
                part.dispose()
            bucket.keys.clear()
            bucket.multiparts.clear()
        except (ImportError, AttributeError, KeyError, TypeError):
            super().clear(name)

    def destroy_created(self, names: list[str]) -> None:
        if self._shared_mock:  # otherwise the reset of destroy() removed them already
            super().destroy_created(names)

    def destroy(self, name: str) -> None:
        if self._shared_mock:
            super().destroy(name)
            return
        # Forget every bucket moto holds, ours and any the test made, at once: through the API
        # that is four or more calls at ~1.5 ms each, the most expensive part of the fixture.
        try:
            from moto.core.base_backend import BackendDict
        except ImportError:  # a moto release that moved it: the slow, public way
            for bucket in self.client.list_buckets().get("Buckets", []):
                super().destroy(bucket["Name"])
        else:
            BackendDict.reset()
