"""The local fake stack: an S3 server, the fake lookup server and the fake Twilio media API,
all served live on 127.0.0.1.

What ``ai-voice-shared demo`` and ``ai-voice-shared fakes`` run, usable from scripts too::

    with FakeStack(s3="moto") as stack:
        print(stack.environment())       # S3_ENDPOINT_URL, CUSTOMER_LOOKUP_BASE_URL, TWILIO_...
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

from ai_voice_shared.errors import AiVoiceSharedError
from ai_voice_shared_testing._extras import require
from ai_voice_shared_testing.lookup_server import FakeLookupServer
from ai_voice_shared_testing.s3_bucket import create_bucket
from ai_voice_shared_testing.twilio_api import FakeTwilioApi

if TYPE_CHECKING:
    from ai_voice_shared.settings import S3Settings
    from ai_voice_shared_testing.seaweedfs import SeaweedFSServer

__all__ = ["FakeStack", "FakeStackError", "S3Kind", "load_customers"]

S3Kind = Literal["moto", "seaweedfs", "endpoint"]
#: Credentials of the moto server (it accepts any; these make the environment complete).
MOTO_KEYS = {"access_key_id": "testing", "secret_access_key": "testing"}


class FakeStackError(AiVoiceSharedError):
    """The fake stack could not start, or its input is unusable; the message says why."""


class FakeStack:
    """An S3 server (moto server, SeaweedFS, or a given endpoint) with a bucket, the fake
    customer-lookup-server and the fake Twilio media API, served live. Ports are free ones
    unless given."""

    def __init__(
        self,
        *,
        s3: S3Kind = "moto",
        s3_endpoint: str | None = None,
        s3_port: int = 0,
        lookup_port: int = 0,
        bucket: str = "voice-notes",
        region: str = "eu-west-1",
    ) -> None:
        if s3 == "endpoint" and not s3_endpoint:
            raise FakeStackError("The endpoint S3 backend needs its URL (--s3-endpoint URL).")
        self.s3_kind = s3
        self.s3_endpoint = s3_endpoint
        self.s3_port = s3_port
        self.lookup_port = lookup_port
        self.bucket = bucket
        self.region = region if s3 != "seaweedfs" else "us-east-1"
        self.lookup = FakeLookupServer()
        self.twilio = FakeTwilioApi()
        self._moto: Any = None
        self._seaweedfs: SeaweedFSServer | None = None
        self.endpoint_url = ""

    def start(self) -> Self:
        """Start the S3 server, create the bucket, and serve the lookup fake."""
        try:
            self._start_s3()
            self.lookup.serve(port=self.lookup_port)
            self.twilio.serve()
            self._create_bucket()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_s3(self) -> None:
        if self.s3_kind == "moto":
            import logging

            # The moto server logs every request through werkzeug; the stack reports itself.
            logging.getLogger("werkzeug").setLevel(logging.ERROR)
            server_module = require("moto.server")
            self._moto = server_module.ThreadedMotoServer(
                ip_address="127.0.0.1", port=self.s3_port, verbose=False
            )
            self._moto.start()
            host, port = self._moto.get_host_and_port()
            self.endpoint_url = f"http://{host}:{port}"
        elif self.s3_kind == "seaweedfs":
            from ai_voice_shared_testing.seaweedfs import SeaweedFSServer

            self._seaweedfs = SeaweedFSServer().start()
            self.endpoint_url = self._seaweedfs.endpoint_url
        else:
            assert self.s3_endpoint is not None
            self.endpoint_url = self.s3_endpoint.rstrip("/")

    def _create_bucket(self) -> None:
        from botocore.exceptions import ClientError

        from ai_voice_shared.hooks import build_s3_client

        client = build_s3_client(self.s3_settings())
        try:
            create_bucket(client, self.bucket, self.region)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in (
                "BucketAlreadyOwnedByYou",
                "BucketAlreadyExists",
            ):
                raise FakeStackError(
                    f"Could not create bucket {self.bucket!r} at {self.endpoint_url}: {exc}"
                ) from exc

    def s3_settings(self) -> S3Settings:
        """Settings that reach the stack's bucket."""
        from ai_voice_shared.settings import S3Settings

        if self._seaweedfs is not None:
            return self._seaweedfs.s3_settings(self.bucket)
        keys: dict[str, Any] = dict(MOTO_KEYS) if self.s3_kind == "moto" else {}
        if self.s3_kind == "endpoint":
            keys = {
                name: value
                for name, value in (
                    ("access_key_id", os.environ.get("AWS_ACCESS_KEY_ID")),
                    ("secret_access_key", os.environ.get("AWS_SECRET_ACCESS_KEY")),
                )
                if value
            }
        return S3Settings(
            bucket_name=self.bucket, endpoint_url=self.endpoint_url, region=self.region, **keys
        )

    def environment(self) -> dict[str, str]:
        """The variables a service needs to use the stack (credentials included)."""
        settings = self.s3_settings()
        env = {
            "S3_ENDPOINT_URL": self.endpoint_url,
            "S3_BUCKET_NAME": self.bucket,
            "S3_REGION": self.region,
            "CUSTOMER_LOOKUP_BASE_URL": self.lookup.base_url,
            **self.twilio.environment(),
        }
        if settings.access_key_id is not None and settings.secret_access_key is not None:
            env["AWS_ACCESS_KEY_ID"] = settings.access_key_id.get_secret_value()
            env["AWS_SECRET_ACCESS_KEY"] = settings.secret_access_key.get_secret_value()
        return env

    def stop(self) -> None:
        """Stop everything that was started."""
        self.lookup.stop()
        self.twilio.stop()
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        if self._seaweedfs is not None:
            self._seaweedfs.stop()
            self._seaweedfs = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def load_customers(path: Path) -> dict[str, dict[str, str]]:
    """Customers by phone number from JSON or CSV.

    JSON: ``{"+15555550100": {"customer_id": ..., "company_id": ..., "company_name": ...}}`` or
    a list of such objects with a ``phone_number`` key. CSV: a header row with ``phone_number``
    and any of the three fields.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FakeStackError(
            f"Cannot read the customers file {str(path)!r}: {exc.strerror}."
        ) from None
    rows: list[Mapping[str, Any]]
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FakeStackError(
                f"The customers file {str(path)!r} is not JSON ({exc}); use a .csv name for CSV."
            ) from None
        if isinstance(data, dict):
            rows = [{"phone_number": number, **fields} for number, fields in data.items()]
        elif isinstance(data, list):
            rows = data
        else:
            raise FakeStackError(
                f"The customers file {str(path)!r} must hold an object keyed by phone number or "
                "a list of objects with a phone_number."
            )
    customers: dict[str, dict[str, str]] = {}
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping) or not row.get("phone_number"):
            raise FakeStackError(f"Customer #{index} in {str(path)!r} has no phone_number.")
        fields = {k: str(v) for k, v in row.items() if k != "phone_number" and v not in (None, "")}
        customers[str(row["phone_number"])] = fields
    return customers
