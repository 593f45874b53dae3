"""The local fake stack: an S3 server, the fake lookup server and the fake Twilio media API,
all served live on 127.0.0.1.

What ``ai-voice-shared demo`` and ``ai-voice-shared fakes`` run, usable from scripts too::

    with FakeStack(s3="moto") as stack:
        stack.add_media_file(Path("note.ogg"))   # served by the fake Twilio API
        print(stack.environment())       # S3_ENDPOINT_URL, CUSTOMER_LOOKUP_BASE_URL, TWILIO_...

Every server binds in the calling thread, so a port in use is a :class:`PortInUseError` at once
(moto's own ``ThreadedMotoServer.start()`` waits forever when its thread dies on the bind).
"""

from __future__ import annotations

import csv
import errno
import json
import mimetypes
import os
import socket
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

from pydantic import ValidationError

from ai_voice_shared.errors import AiVoiceSharedError
from ai_voice_shared_testing._extras import require
from ai_voice_shared_testing.lookup_server import FakeLookupServer
from ai_voice_shared_testing.s3_bucket import create_bucket
from ai_voice_shared_testing.twilio_api import FakeTwilioApi

if TYPE_CHECKING:
    from ai_voice_shared.models import TwilioMedia
    from ai_voice_shared.settings import S3Settings, VoiceNoteQueueSettings
    from ai_voice_shared_testing.seaweedfs import SeaweedFSServer

__all__ = [
    "DEFAULT_WEBHOOK_BASE_URL",
    "FakeStack",
    "FakeStackError",
    "FakeStackUsageError",
    "MissingCredentialsError",
    "PortInUseError",
    "S3Kind",
    "load_customers",
    "media_type",
]

S3Kind = Literal["moto", "seaweedfs", "endpoint"]
#: Credentials of the moto server (it accepts any; these make the environment complete).
MOTO_KEYS = {"access_key_id": "testing", "secret_access_key": "testing"}
#: The voice-note events queue the stack creates on moto (its dead-letter queue: ``-dlq``).
QUEUE_NAME = "voice-notes"
#: Where a service run locally listens (uvicorn's default), as Twilio would call it.
DEFAULT_WEBHOOK_BASE_URL = "http://127.0.0.1:8000"
#: Audio types Twilio delivers that ``mimetypes`` does not know (or knows otherwise).
_MEDIA_TYPES = {".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg", ".amr": "audio/amr"}


class FakeStackError(AiVoiceSharedError):
    """The fake stack could not start, or its input is unusable; the message says why."""


class FakeStackUsageError(FakeStackError):
    """The caller's input cannot work (a port in use, no credentials for the endpoint): what
    the command line reports as a usage error (exit code 2)."""


class PortInUseError(FakeStackUsageError):
    """A fixed port is taken by another process (or not one this user may bind)."""


class MissingCredentialsError(FakeStackUsageError):
    """``--s3-endpoint`` without credentials for it."""


def media_type(path: Path) -> str:
    """The content type Twilio would give a media file, from its name (``audio/ogg`` for a
    WhatsApp voice note); ``application/octet-stream`` when the name says nothing."""
    suffix = path.suffix.lower()
    return (
        _MEDIA_TYPES.get(suffix)
        or mimetypes.guess_type(path.name)[0]
        or ("application/octet-stream")
    )


def _bind_error(what: str, port: int, error: OSError) -> FakeStackError:
    if error.errno == errno.EADDRINUSE:
        return PortInUseError(
            f"{what} port {port} is in use on 127.0.0.1: stop what listens there, or choose "
            "another port (0 for a free one)."
        )
    return PortInUseError(f"{what} cannot listen on 127.0.0.1:{port}: {error.strerror or error}.")


class _MotoServer:
    """moto's server, bound in the calling thread and served in a daemon thread."""

    def __init__(self, port: int) -> None:
        server_module = require("moto.server")
        from werkzeug.serving import make_server

        app = server_module.DomainDispatcherApplication(server_module.create_backend_app)
        # Bound here, not by werkzeug: on a bind error werkzeug prints two lines and calls
        # sys.exit(1); an OSError from our own bind becomes a clear PortInUseError.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", port))
            listener.listen(128)
            self.server = make_server(
                "127.0.0.1",
                port,
                app,
                threaded=True,
                request_handler=server_module.MotoRequestHandler,
                fd=listener.fileno(),  # werkzeug takes a duplicate of it
            )
        finally:
            listener.close()
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="aivs-moto-server", daemon=True
        )
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


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
        twilio_port: int = 0,
        bucket: str = "voice-notes",
        region: str = "eu-west-1",
        webhook_base_url: str = DEFAULT_WEBHOOK_BASE_URL,
    ) -> None:
        if s3 == "endpoint" and not s3_endpoint:
            raise FakeStackError("The endpoint S3 backend needs its URL (--s3-endpoint URL).")
        for what, port in (("S3", s3_port), ("lookup", lookup_port), ("Twilio", twilio_port)):
            if not 0 <= port <= 65535:
                raise FakeStackError(
                    f"The {what} port must be 0-65535 (0: a free one), not {port}."
                )
        self.s3_kind = s3
        self.s3_endpoint = s3_endpoint
        self.s3_port = s3_port
        self.lookup_port = lookup_port
        self.twilio_port = twilio_port
        self.webhook_base_url = webhook_base_url.rstrip("/")
        self.bucket = bucket
        self.region = region if s3 != "seaweedfs" else "us-east-1"
        self.lookup = FakeLookupServer()
        self.twilio = FakeTwilioApi()
        self._moto: _MotoServer | None = None
        self._seaweedfs: SeaweedFSServer | None = None
        self._queue: VoiceNoteQueueSettings | None = None
        self.endpoint_url = ""

    def start(self) -> Self:
        """Start the S3 server, create the bucket, and serve the lookup fake."""
        try:
            self._check_ports()
            self._start_s3()
            for what, fake, port in (
                ("The lookup server's", self.lookup, self.lookup_port),
                ("The fake Twilio API's", self.twilio, self.twilio_port),
            ):
                try:
                    fake.serve(port=port)
                except OSError as error:
                    raise _bind_error(what, port, error) from None
            self._create_bucket()
            if self.s3_kind == "moto":
                self._start_queue()
        except BaseException:
            self.stop()
            raise
        return self

    def _check_ports(self) -> None:
        """Every fixed port free, before anything starts (a taken one is reported at once,
        not after the S3 server started; a race after this check is still reported)."""
        for what, port in (
            (
                f"The S3 ({self.s3_kind}) server's",
                self.s3_port if self.s3_kind != "endpoint" else 0,
            ),
            ("The lookup server's", self.lookup_port),
            ("The fake Twilio API's", self.twilio_port),
        ):
            if port:
                with socket.socket() as probe:
                    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    try:
                        probe.bind(("127.0.0.1", port))
                    except OSError as error:
                        raise _bind_error(what, port, error) from None

    def _start_s3(self) -> None:
        if self.s3_kind == "moto":
            import logging

            # The moto server logs every request through werkzeug; the stack reports itself.
            logging.getLogger("werkzeug").setLevel(logging.ERROR)
            try:
                self._moto = _MotoServer(self.s3_port)
            except OSError as error:
                raise _bind_error("The S3 (moto) server's", self.s3_port, error) from None
            self.endpoint_url = f"http://127.0.0.1:{self._moto.port}"
        elif self.s3_kind == "seaweedfs":
            from ai_voice_shared_testing.seaweedfs import SeaweedFSServer

            self._seaweedfs = SeaweedFSServer(s3_port=self.s3_port).start()
            self.endpoint_url = self._seaweedfs.endpoint_url
        else:
            assert self.s3_endpoint is not None
            self.endpoint_url = self.s3_endpoint.rstrip("/")
            self._check_credentials()

    def _check_credentials(self) -> None:
        """Refuse an endpoint without credentials before the first request (botocore would
        raise ``NoCredentialsError`` from deep inside the bucket creation)."""
        settings = self.s3_settings()
        if settings.access_key_id is not None and settings.secret_access_key is not None:
            return
        import botocore.session

        if botocore.session.get_session().get_credentials() is None:
            raise MissingCredentialsError(
                f"No AWS credentials for the S3 endpoint {self.endpoint_url}: export "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) for it."
            )

    def _create_bucket(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

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
        except BotoCoreError as exc:  # unreachable endpoint, bad URL, ...
            raise FakeStackError(
                f"Could not create bucket {self.bucket!r} at {self.endpoint_url}: {exc}"
            ) from None

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
            "TWILIO_WEBHOOK_BASE_URL": self.webhook_base_url,
        }
        if settings.access_key_id is not None and settings.secret_access_key is not None:
            env["AWS_ACCESS_KEY_ID"] = settings.access_key_id.get_secret_value()
            env["AWS_SECRET_ACCESS_KEY"] = settings.secret_access_key.get_secret_value()
        env.update(self.queue_environment())
        return env

    def _start_queue(self) -> None:
        """The voice-note events queue (with its dead-letter queue) on the same moto server,
        and the bucket's notifications wired to it, as in production: a voice-parser run
        locally receives an event for each note a webhook handler stores. moto's server
        answers every AWS service on its one port; SeaweedFS and other endpoints send no S3
        events, so there is no queue on them."""
        from ai_voice_shared import S3Service
        from ai_voice_shared.hooks import build_sqs_client
        from ai_voice_shared.services.voice_note_queue import configure_voice_note_notifications
        from ai_voice_shared_testing._sqs.moto import create_queue_pair

        client = build_sqs_client(self._queue_settings(f"{self.endpoint_url}/{QUEUE_NAME}"))
        try:
            url, _ = create_queue_pair(client, QUEUE_NAME, max_receive_count=3)
            self._queue = self._queue_settings(url)
            with S3Service(self.s3_settings()) as s3:
                configure_voice_note_notifications(s3, queue=self._queue, sqs_client=client)
        finally:
            client.close()

    def _queue_settings(self, url: str) -> VoiceNoteQueueSettings:
        from pydantic import SecretStr

        from ai_voice_shared.settings import VoiceNoteQueueSettings

        return VoiceNoteQueueSettings(
            queue_url=url,
            endpoint_url=self.endpoint_url,
            region=self.region,
            access_key_id=SecretStr(MOTO_KEYS["access_key_id"]),
            secret_access_key=SecretStr(MOTO_KEYS["secret_access_key"]),
        )

    @property
    def queue_settings(self) -> VoiceNoteQueueSettings | None:
        """Settings that reach the events queue (on moto, once started), else ``None``."""
        return self._queue

    def queue_environment(self) -> dict[str, str]:
        """The events queue's variables (``VOICE_NOTE_QUEUE_URL`` and its endpoint and
        region), on moto; none on other S3 backends (they send no S3 events)."""
        if self._queue is None:
            return {}
        return {
            "VOICE_NOTE_QUEUE_URL": self._queue.queue_url,
            "VOICE_NOTE_QUEUE_ENDPOINT_URL": self.endpoint_url,
            "VOICE_NOTE_QUEUE_REGION": self.region,
        }

    def add_media_file(self, path: Path) -> TwilioMedia:
        """Serve the bytes of ``path`` from the fake Twilio API (type from its name); return
        the item as a webhook lists it (its ``url`` is the ``MediaUrl0`` to send)."""
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise FakeStackError(
                f"Cannot read the media file {str(path)!r}: {exc.strerror}."
            ) from None
        if not content:
            raise FakeStackError(f"The media file {str(path)!r} is empty.")
        return self.twilio.add_media(content, content_type=media_type(path))

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
    except UnicodeDecodeError as exc:
        raise FakeStackError(
            f"The customers file {str(path)!r} is not UTF-8 text (byte {exc.start}): save it as "
            "UTF-8 JSON or CSV."
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
        number = str(row["phone_number"])
        try:  # what the lookup server will do with it, checked before anything starts
            FakeLookupServer().add_customer(number, fields)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, error['loc']))}: {error['msg']}" for error in exc.errors()
            )
            raise FakeStackError(f"Customer #{index} in {str(path)!r}: {problems}.") from None
        except (AiVoiceSharedError, ValueError) as exc:
            why = str(exc).removeprefix("FakeLookupServer.add_customer: ")
            raise FakeStackError(f"Customer #{index} in {str(path)!r}: {why}") from None
        customers[number] = fields
    return customers
