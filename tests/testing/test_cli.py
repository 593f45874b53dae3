"""The ai-voice-shared command, run in subprocesses as a user runs it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ai_voice_shared import (
    CustomerLookupClient,
    S3Service,
    S3Settings,
    TwilioMediaClient,
    TwilioRequestValidator,
    TwilioSettings,
    TwilioWebhookPayload,
)
from ai_voice_shared_testing.cli import main

SAMPLE = Path(__file__).parents[1] / "data" / "twilio" / "03_whatsapp_voice_note.form"
TOKEN = "doctor-test-token"
URL = "https://voice.example.com/twilio/webhook"
COMMAND = [sys.executable, "-m", "ai_voice_shared_testing"]


def run(
    *args: str,
    stdin: bytes | None = None,
    token: str | None = TOKEN,
    env: dict[str, str | None] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "TWILIO_AUTH_TOKEN"}
    if token is not None:
        environment["TWILIO_AUTH_TOKEN"] = token
    for name, value in (env or {}).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return subprocess.run(
        [*COMMAND, *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        env=environment,
        timeout=timeout,
        check=False,
    )


def test_demo_runs_every_step_and_exits_0() -> None:
    result = run("demo")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    steps = [line for line in lines if line.startswith("[")]
    assert [line[5:49].strip() for line in steps] == [
        "start the fakes on 127.0.0.1",
        "seed a customer in the fake lookup server",
        "build a signed WhatsApp voice-note webhook",
        "verify and parse it behind a TLS proxy",
        "answer it with TwiML",
        "look the sender up over HTTP",
        "fetch the voice note from Twilio into S3",
        "the same webhook delivered again",
        "the voice-parser receives it by its S3 event",
        "list the stored voice notes",
        "create a presigned URL and download it",
        "stop the fakes",
    ]
    assert all(" ms  " in line for line in steps)
    assert lines[-1].startswith("All 12 steps passed in ")
    assert "+15555550100" not in result.stdout
    assert result.stderr == ""


def test_demo_runs_the_same_flow_on_a_real_seaweedfs_server(weed: object) -> None:
    result = run("demo", "--s3", "seaweedfs")

    assert result.returncode == 0, result.stderr
    assert "S3 (seaweedfs) http://127.0.0.1:" in result.stdout
    assert "S3 event" not in result.stdout  # SeaweedFS sends no S3 events: no queue
    assert result.stdout.splitlines()[-1].startswith("All 11 steps passed in ")


def test_demo_json_reports_the_steps_with_timings() -> None:
    result = run("demo", "--json")

    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert len(report["steps"]) == 12
    assert all(isinstance(step["ms"], float) for step in report["steps"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_fakes_serve_every_endpoint_and_the_media_given_until_sigint_then_free_the_ports(
    tmp_path: Path,
) -> None:
    customers = tmp_path / "customers.json"
    customers.write_text(json.dumps({"whatsapp:+15555550100": {"company_name": "Acme Ltd"}}))
    note = tmp_path / "note.ogg"
    note.write_bytes(b"OggS given")
    twilio_port = free_port()
    with subprocess.Popen(
        [
            *COMMAND,
            "fakes",
            "--customers",
            str(customers),
            "--media",
            str(note),
            "--twilio-port",
            str(twilio_port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        env, lines = use_the_fakes_then_interrupt(process)
    assert env["TWILIO_API_BASE_URL"] == f"http://127.0.0.1:{twilio_port}"
    assert env["TWILIO_WEBHOOK_BASE_URL"] == "http://127.0.0.1:8000"
    assert env["VOICE_NOTE_QUEUE_URL"].endswith("/123456789012/voice-notes")
    [media] = [line for line in lines if line.startswith("# media note.ogg (audio/ogg): ")]
    assert (
        "# 2. send it a voice note: ai-voice-shared twilio send "
        "http://127.0.0.1:8000/YOUR/WEBHOOK/PATH [--media FILE | --text TEXT]\n"
    ) in lines
    assert not any("point TWILIO_API_BASE_URL" in line for line in lines)
    assert media.split(": ", 1)[1].startswith(env["TWILIO_API_BASE_URL"] + "/2010-04-01/")
    for url in (
        env["S3_ENDPOINT_URL"],
        env["CUSTOMER_LOOKUP_BASE_URL"],
        env["TWILIO_API_BASE_URL"],
    ):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", urlsplit(url).port or 0)) != 0


def assert_the_note_reaches_the_queue(env: dict[str, str]) -> None:
    """A voice-parser configured from the printed variables alone receives the note's event."""
    from ai_voice_shared.services.voice_note_queue import VoiceNoteConsumer
    from ai_voice_shared.settings import VoiceNoteQueueSettings

    queue = VoiceNoteQueueSettings(
        queue_url=env["VOICE_NOTE_QUEUE_URL"],
        endpoint_url=env["VOICE_NOTE_QUEUE_ENDPOINT_URL"],
        region=env["VOICE_NOTE_QUEUE_REGION"],
        access_key_id=env["AWS_ACCESS_KEY_ID"],
        secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        wait_seconds=1,
    )
    received: list[str] = []
    consumer = VoiceNoteConsumer(lambda record: received.append(record.key), settings=queue)
    for _ in range(5):
        consumer.poll()
        if received:
            break
    assert received == ["voice/MM1.ogg"]


def use_the_fakes_then_interrupt(
    process: subprocess.Popen[str],
) -> tuple[dict[str, str], list[str]]:
    """Read the printed environment, use every endpoint (the media printed too), send
    SIGINT; return the environment and the lines printed."""
    env: dict[str, str] = {}
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").strip().partition("=")
                env[name] = value
            if line.startswith("# ready"):
                break
        assert set(env) >= {
            "S3_ENDPOINT_URL",
            "S3_BUCKET_NAME",
            "S3_REGION",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "CUSTOMER_LOOKUP_BASE_URL",
            "TWILIO_ACCOUNT_SID",
            "TWILIO_AUTH_TOKEN",
            "TWILIO_API_BASE_URL",
            "TWILIO_WEBHOOK_BASE_URL",
        }
        twilio = TwilioSettings(
            account_sid=env["TWILIO_ACCOUNT_SID"],
            auth_token=env["TWILIO_AUTH_TOKEN"],
            api_base_url=env["TWILIO_API_BASE_URL"],
        )
        for line in lines:
            if line.startswith("# media "):
                with TwilioMediaClient(twilio) as media:
                    assert media.download(line.split(": ", 1)[1].strip()) == b"OggS given"

        with CustomerLookupClient(env["CUSTOMER_LOOKUP_BASE_URL"]) as lookups:
            assert lookups.lookup("+15555550100").company_name == "Acme Ltd"
        settings = S3Settings(
            bucket_name=env["S3_BUCKET_NAME"],
            endpoint_url=env["S3_ENDPOINT_URL"],
            region=env["S3_REGION"],
            access_key_id=env["AWS_ACCESS_KEY_ID"],
            secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )
        with S3Service(settings) as s3:
            s3.upload_bytes("voice/MM1.ogg", b"OggS")
            assert s3.download_bytes("voice/MM1.ogg") == b"OggS"
        if "VOICE_NOTE_QUEUE_URL" in env:  # moto: the bucket's writes reach the events queue
            assert_the_note_reaches_the_queue(env)

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    return env, lines


def test_fakes_refuse_a_customers_file_that_is_not_there(tmp_path: Path) -> None:
    result = run("fakes", "--customers", str(tmp_path / "nope.json"))

    assert result.returncode == 2
    assert "Cannot read the customers file" in result.stderr


def sign(url: str, pairs: list[tuple[str, str]]) -> str:
    return TwilioRequestValidator(TOKEN).compute_signature(url, pairs)


def body_file(tmp_path: Path, body: bytes | None = None) -> str:
    path = tmp_path / "body.form"
    path.write_bytes(SAMPLE.read_bytes() if body is None else body)
    return str(path)


def pairs() -> list[tuple[str, str]]:
    return TwilioWebhookPayload.from_form(SAMPLE.read_bytes()).to_form()


def test_verify_accepts_a_valid_signature_and_masks_the_numbers(tmp_path: Path) -> None:
    result = run(
        "twilio", "verify", "--url", URL, "--signature", sign(URL, pairs()), body_file(tmp_path)
    )

    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == f"Signature: VALID for {URL}"
    assert "from_: whatsapp:+1555****102" in result.stdout
    assert "profile_name: ***" in result.stdout
    assert "+15555550102" not in result.stdout


def test_verify_shows_the_numbers_with_show_pii(tmp_path: Path) -> None:
    result = run(
        "twilio",
        "verify",
        "--url",
        URL,
        "--signature",
        sign(URL, pairs()),
        "--show-pii",
        body_file(tmp_path),
    )

    assert "from_: whatsapp:+15555550102" in result.stdout


@pytest.mark.parametrize(
    ("signed_url", "seen_url", "variant", "meaning"),
    [
        (
            URL,
            URL.replace("https", "http"),
            "https:// instead of http://",
            "a proxy or load balancer in front of it terminates TLS",
        ),
        (URL, URL + "/", "a trailing slash removed", "differ by a trailing slash"),
        (
            URL,
            "http://voice.example.com:8000/twilio/webhook",
            "https:// without the port :8000",
            "your app sees its internal scheme and port",
        ),
        (
            URL,
            URL + "?tenant=a",
            "without the query string",
            "Twilio called the URL without a query string",
        ),
        (
            URL + "?q=a%20b",
            URL + "?q=a+b",
            "the query string re-encoded",
            "The query string was re-encoded",
        ),
    ],
    ids=["TLS proxy", "trailing slash", "internal port", "extra query", "re-encoded query"],
)
def test_verify_diagnoses_each_pitfall(
    tmp_path: Path, signed_url: str, seen_url: str, variant: str, meaning: str
) -> None:
    result = run(
        "twilio",
        "verify",
        "--url",
        seen_url,
        "--signature",
        sign(signed_url, pairs()),
        body_file(tmp_path),
    )

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"Signature: INVALID for {seen_url}"
    assert lines[1].startswith(f"Diagnosis: it matches with {variant}: ")
    assert meaning in lines[2]


def test_verify_diagnoses_blank_values_dropped(tmp_path: Path) -> None:
    without_blanks = [(k, v) for k, v in pairs() if v]

    result = run(
        "twilio",
        "verify",
        "--url",
        URL,
        "--signature",
        sign(URL, without_blanks),
        body_file(tmp_path),
    )

    assert result.returncode == 1
    assert "Diagnosis: it matches with blank values dropped" in result.stdout


def test_verify_says_when_no_pitfall_explains_it(tmp_path: Path) -> None:
    result = run(
        "twilio",
        "verify",
        "--url",
        URL,
        "--signature",
        "bm90LWEtc2lnbmF0dXJl",
        "--json",
        body_file(tmp_path),
    )

    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert (report["valid"], report["variant"]) == (False, None)
    assert report["meaning"].startswith("No common pitfall explains it. Check the auth token")
    assert report["payload"]["message_sid"] == "MM9ed4a7d771aaea5c512d10f53e29edd5"


def test_verify_reads_the_body_from_stdin(tmp_path: Path) -> None:
    result = run(
        "twilio",
        "verify",
        "--url",
        URL,
        "--signature",
        sign(URL, pairs()),
        "-",
        stdin=SAMPLE.read_bytes(),
    )

    assert result.returncode == 0


@pytest.mark.parametrize(
    ("args", "token", "body", "message"),
    [
        (
            ["--url", URL, "--signature", "x"],
            None,
            None,
            "ai-voice-shared: error: the auth token is read from $TWILIO_AUTH_TOKEN, which is "
            "not set",
        ),
        (
            ["--url", URL, "--signature", "x", "/nonexistent/body.form"],
            TOKEN,
            None,
            "ai-voice-shared: error: cannot read '/nonexistent/body.form': No such file or "
            "directory",
        ),
        (
            ["--url", URL, "--signature", "x"],
            TOKEN,
            b"\xff\xfe not a form",
            "ai-voice-shared: error: the body is not a form-encoded Twilio request: The request "
            "body is not UTF-8 text",
        ),
        (
            ["--url", URL, "--signature", "x", "--colour"],
            TOKEN,
            None,
            "ai-voice-shared: error: unrecognized arguments: --colour",
        ),
    ],
    ids=["token not set", "missing file", "malformed body", "unknown option"],
)
def test_verify_usage_errors_exit_2_with_a_clear_message(
    tmp_path: Path, args: list[str], token: str | None, body: bytes | None, message: str
) -> None:
    if "/nonexistent/body.form" not in args:
        args = [*args, body_file(tmp_path, body)]

    result = run("twilio", "verify", *args, token=token)

    assert result.returncode == 2
    assert message in result.stderr


def one_line_usage_error(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a usage error prints (exit code 2, no traceback)."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    [line] = result.stderr.splitlines()
    return line


@pytest.mark.parametrize("fake", ["s3", "lookup", "twilio"])
def test_fakes_with_a_port_in_use_exit_2_with_one_line_at_once(fake: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()

        result = run("fakes", f"--{fake}-port", str(port), timeout=5)

    assert time.monotonic() - started < 5
    line = one_line_usage_error(result)
    assert line.startswith("ai-voice-shared: error: The ")
    assert line.endswith(
        f"port {port} is in use on 127.0.0.1: stop what listens there, or choose another port "
        "(0 for a free one)."
    )
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["fakes", "--s3-port", "99999"],
            "ai-voice-shared fakes: error: argument --s3-port: 99999 is not a port number: "
            "use 0-65535 (0: a free one)",
        ),
        (
            ["fakes", "--twilio-port", "-5"],
            "ai-voice-shared fakes: error: argument --twilio-port: -5 is not a port number",
        ),
        (
            ["twilio", "verify", "--url", "http://[::1", "--signature", "x", "-"],
            "ai-voice-shared twilio verify: error: argument --url: 'http://[::1' is not a valid "
            "URL: Invalid IPv6 URL",
        ),
        (
            ["twilio", "send", "http://[::1"],
            "ai-voice-shared twilio send: error: argument URL: 'http://[::1' is not a valid URL",
        ),
    ],
    ids=["port too large", "negative port", "verify: malformed URL", "send: malformed URL"],
)
def test_malformed_options_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exit:
        main(args)

    assert exit.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(message)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            json.dumps({"12345": {"company_name": "Acme"}}).encode(),
            "Customer #1 in '{path}': '***45' is not a phone number in E.164 form",
        ),
        (
            b"phone_number,company_name\nnot-a-number,Acme\n",
            "Customer #1 in '{path}': 'not-a****ber' is not a phone number in E.164 form",
        ),
        (b"\xff\xfe{}", "The customers file '{path}' is not UTF-8 text (byte 0)"),
    ],
    ids=["bad number (JSON)", "bad number (CSV)", "not UTF-8"],
)
def test_fakes_refuse_an_unusable_customers_file_before_starting_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    path = tmp_path / ("customers.csv" if content.startswith(b"phone") else "customers.json")
    path.write_bytes(content)

    code = main(["fakes", "--customers", str(path)])

    assert code == 2
    captured = capsys.readouterr()
    [line] = captured.err.splitlines()
    assert line.startswith("ai-voice-shared: error: " + message.format(path=path))
    assert captured.out == ""


def test_demo_with_an_s3_endpoint_and_no_credentials_exits_2_naming_them(
    tmp_path: Path,
) -> None:
    nowhere = str(tmp_path / "none")
    result = run(
        "demo",
        "--s3-endpoint",
        "http://127.0.0.1:9",
        env={
            "AWS_ACCESS_KEY_ID": None,
            "AWS_SECRET_ACCESS_KEY": None,
            "AWS_PROFILE": None,
            "AWS_SHARED_CREDENTIALS_FILE": nowhere,
            "AWS_CONFIG_FILE": nowhere,
            "AWS_EC2_METADATA_DISABLED": "true",  # no look-up beyond loopback
        },
        timeout=30,
    )

    assert one_line_usage_error(result) == (
        "ai-voice-shared: error: No AWS credentials for the S3 endpoint http://127.0.0.1:9: "
        "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) for it."
    )


def test_a_reader_that_goes_away_ends_verify_quietly(tmp_path: Path) -> None:
    # `ai-voice-shared twilio verify ... | head`: stdout closed before the verdict is written.
    env = {**os.environ, "TWILIO_AUTH_TOKEN": TOKEN}
    with subprocess.Popen(
        [*COMMAND, "twilio", "verify", "--url", URL, "--signature", "x", body_file(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as process:
        assert process.stdout is not None
        process.stdout.close()
        assert process.stderr is not None
        error = process.stderr.read()
        code = process.wait(timeout=60)

    assert error == b""
    assert code == 1


def test_fakes_help_names_every_fake_and_its_port_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["fakes", "--help"])

    text = " ".join(capsys.readouterr().out.split())
    assert "the fake Twilio REST API" in text
    for option in ("--s3-port", "--lookup-port", "--twilio-port", "--media", "--env-file"):
        assert option in text
    assert "POST $TWILIO_API_BASE_URL/__aivs/media" in text


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_stops_fakes_during_start_up(weed: Path, stop: signal.Signals) -> None:
    # SeaweedFS takes seconds to start: the signal arrives while start() waits for it.
    environment = {**os.environ, "PATH": f"{weed.parent}{os.pathsep}{os.environ['PATH']}"}
    with subprocess.Popen(
        [*COMMAND, "fakes", "--s3", "seaweedfs"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        start_new_session=True,
    ) as process:
        try:
            deadline = time.monotonic() + 30
            while not children(process.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert children(process.pid), "fakes never started SeaweedFS"
            process.send_signal(stop)
            started = time.monotonic()
            code = process.wait(timeout=10)
            stopped_in = time.monotonic() - started
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
        out = process.stdout.read() if process.stdout else ""

    assert code == 0
    assert stopped_in < 5
    assert "# ready" not in out
    deadline = time.monotonic() + 10
    while group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not group_alive(process.pid), "a process of fakes outlived it"


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in (task / "children").read_text().split()]
    return found


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True
