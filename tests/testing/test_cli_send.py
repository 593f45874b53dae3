"""``ai-voice-shared twilio send``, in process: against a live fake Twilio API and a recording
HTTP server standing in for the service (the end-to-end run with the reference handler under
uvicorn is tests/examples/test_webhook_handler_local_run.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from twilio.request_validator import RequestValidator

from ai_voice_shared import TwilioMediaClient
from ai_voice_shared_testing import FakeTwilioApi
from ai_voice_shared_testing.cli import main
from ai_voice_shared_testing.twilio_api import VOICE_NOTE


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Service:
    """A stand-in for the service: records each request, answers TwiML (or ``status``)."""

    base_url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def service() -> Iterator[Service]:
    record = Service("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            record.requests.append(Received(self.path, dict(self.headers.items()), body))
            answer = b"<Response/>"
            self.send_response(record.status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    record.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    yield record
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTwilioApi]:
    """The fake Twilio API served live, its environment exported as `fakes` prints it."""
    with FakeTwilioApi() as twilio:
        twilio.serve()
        for name, value in twilio.environment().items():
            monkeypatch.setenv(name, value)
        yield twilio


def form(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode(), keep_blank_values=True))


def test_a_voice_note_is_signed_as_twilio_signs_it_and_its_media_served_by_the_fake(
    service: Service, fakes: FakeTwilioApi, capsys: pytest.CaptureFixture[str]
) -> None:
    url = service.base_url + "/twilio/whatsapp?tenant=a"

    code = main(["twilio", "send", url])

    assert code == 0
    [request] = service.requests
    params = form(request.body)
    assert RequestValidator(fakes.auth_token).validate(
        url, params, request.headers["X-Twilio-Signature"]
    )
    assert request.path == "/twilio/whatsapp?tenant=a"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["User-Agent"] == "TwilioProxy/1.1"
    assert request.headers["I-Twilio-Idempotency-Token"]
    assert (params["AccountSid"], params["NumMedia"], params["MessageType"]) == (
        fakes.account_sid,
        "1",
        "audio",
    )
    assert params["MediaContentType0"] == "audio/ogg"
    assert params["MediaUrl0"].split("/")[-3] == params["MessageSid"]
    with TwilioMediaClient(fakes.settings()) as client:
        assert client.download(params["MediaUrl0"]) == VOICE_NOTE
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"POST {url}: {params['MessageSid']}, 1 media item(s)"
    assert out[-1].startswith("delivery: 200 in ")
    assert out[-1].endswith(" ms: <Response/>")


def test_redeliver_sends_the_very_same_request_again(
    service: Service, fakes: FakeTwilioApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    note = tmp_path / "note.ogg"
    note.write_bytes(b"OggS mine")
    url = service.base_url + "/hook"

    code = main(["twilio", "send", url, "--media", str(note), "--redeliver", "--json"])

    assert code == 0
    first, again = service.requests
    assert (again.body, again.path) == (first.body, first.path)
    for name in ("X-Twilio-Signature", "I-Twilio-Idempotency-Token"):
        assert again.headers[name] == first.headers[name]
    report = json.loads(capsys.readouterr().out)
    assert [d["attempt"] for d in report["deliveries"]] == [1, 2]
    with TwilioMediaClient(fakes.settings()) as client:
        assert client.download(report["media"][0]["url"]) == b"OggS mine"


def test_a_text_message_carries_no_media_and_the_fragment_stays_with_the_sender(
    service: Service, fakes: FakeTwilioApi
) -> None:
    code = main(["twilio", "send", service.base_url + "/hook#rt=2000&rp=5xx", "--text", "hello"])

    assert code == 0
    [request] = service.requests
    params = form(request.body)
    assert (params["Body"], params["NumMedia"]) == ("hello", "0")
    assert params["MessageSid"].startswith("SM")
    assert request.path == "/hook"  # Twilio neither signs nor sends its connection overrides
    assert RequestValidator(fakes.auth_token).validate(
        service.base_url + "/hook", params, request.headers["X-Twilio-Signature"]
    )
    assert fakes.requests == []  # no media registered for a text


def test_an_answer_that_is_not_2xx_or_no_answer_exits_1(
    service: Service, fakes: FakeTwilioApi, capsys: pytest.CaptureFixture[str]
) -> None:
    service.status = 403
    refused = main(["twilio", "send", service.base_url + "/hook", "--text", "x"])
    absent = main(["twilio", "send", "http://127.0.0.1:1/hook", "--text", "x"])

    assert (refused, absent) == (1, 1)
    out = capsys.readouterr().out.splitlines()
    assert "delivery: 403 in " in out[1]
    assert out[-1].startswith("delivery: no answer after ")
    assert "ConnectError" in out[-1]


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        (
            {"TWILIO_AUTH_TOKEN": None},
            [],
            "the auth token is read from $TWILIO_AUTH_TOKEN, which is not set",
        ),
        (
            {"TWILIO_API_BASE_URL": None},
            [],
            "the media must be registered with the running fake Twilio API",
        ),
        (
            {"TWILIO_API_BASE_URL": "https://api.twilio.com"},
            [],
            "TWILIO_API_BASE_URL is Twilio's own API",
        ),
        (
            {"TWILIO_API_BASE_URL": "http://127.0.0.1:1"},
            [],
            "the fake Twilio API at http://127.0.0.1:1 does not answer",
        ),
        ({"TWILIO_AUTH_TOKEN": "not-the-fakes"}, [], "are not this fake's (restarted?)"),
        ({}, ["--media", "/nonexistent.ogg"], "cannot read --media '/nonexistent.ogg'"),
        ({}, ["--text", "x", "--media-url", "http://x/y"], "--text sends a message without"),
        ({}, ["--env-file", "/nonexistent.env"], "cannot read --env-file"),
    ],
    ids=[
        "no token",
        "no fake API",
        "Twilio's own API",
        "fake not running",
        "stale credentials",
        "missing media file",
        "text with media",
        "missing env file",
    ],
)
def test_usage_errors_exit_2_with_one_line(
    service: Service,
    fakes: FakeTwilioApi,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str | None],
    args: list[str],
    message: str,
) -> None:
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name)
        else:
            monkeypatch.setenv(name, value)

    code = main(["twilio", "send", service.base_url + "/hook", *args])

    assert code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("ai-voice-shared: error: ")
    assert message in line
    assert service.requests == []


def test_the_environment_is_read_from_the_env_file_fakes_writes(
    service: Service,
    fakes: FakeTwilioApi,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    env_file = tmp_path / "fakes.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in fakes.environment().items()))
    for name in fakes.environment():
        monkeypatch.delenv(name)

    code = main(["twilio", "send", service.base_url + "/hook", "--env-file", str(env_file)])

    assert code == 0
    assert len(service.requests) == 1


def test_media_urls_given_keep_their_message_and_a_foreign_one_is_sent_as_given(
    service: Service, fakes: FakeTwilioApi
) -> None:
    served = fakes.add_media(b"OggS served")

    first = main(["twilio", "send", service.base_url + "/hook", "--media-url", served.url])
    other = main(["twilio", "send", service.base_url + "/hook", "--media-url", "http://x/y"])

    assert (first, other) == (0, 0)
    given, foreign = (form(request.body) for request in service.requests)
    assert given["MessageSid"] == served.url.split("/")[-3]
    assert given["MediaUrl0"] == served.url
    assert foreign["MediaUrl0"] == "http://x/y"  # the service under test decides what to trust


@pytest.mark.parametrize(
    ("fragment", "message"),
    [
        ("#rc=9", "Twilio refuses the connection override rc='9'"),
        ("#ct=0", "Twilio refuses the connection override ct='0'"),
        ("#retries=2", "'retries' is not one of Twilio's connection overrides"),
    ],
)
def test_a_fragment_twilio_would_refuse_is_a_usage_error_as_in_the_fixture(
    service: Service,
    fakes: FakeTwilioApi,
    capsys: pytest.CaptureFixture[str],
    fragment: str,
    message: str,
) -> None:
    code = main(["twilio", "send", service.base_url + "/hook" + fragment])

    assert code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert message in line
    assert service.requests == []
