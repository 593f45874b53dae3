"""The ai-voice-shared command, run in subprocesses as a user runs it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ai_voice_shared import (
    CustomerLookupClient,
    S3Service,
    S3Settings,
    TwilioRequestValidator,
    TwilioWebhookPayload,
)

SAMPLE = Path(__file__).parents[1] / "data" / "twilio" / "03_whatsapp_voice_note.form"
TOKEN = "doctor-test-token"
URL = "https://voice.example.com/twilio/webhook"
COMMAND = [sys.executable, "-m", "ai_voice_shared_testing"]


def run(
    *args: str, stdin: bytes | None = None, token: str | None = TOKEN
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TWILIO_AUTH_TOKEN"}
    if token is not None:
        env["TWILIO_AUTH_TOKEN"] = token
    return subprocess.run(
        [*COMMAND, *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
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
        "list the stored voice notes",
        "create a presigned URL and download it",
        "stop the fakes",
    ]
    assert all(" ms  " in line for line in steps)
    assert lines[-1].startswith("All 11 steps passed in ")
    assert "+15555550100" not in result.stdout
    assert result.stderr == ""


def test_demo_runs_the_same_flow_on_a_real_seaweedfs_server(weed: object) -> None:
    result = run("demo", "--s3", "seaweedfs")

    assert result.returncode == 0, result.stderr
    assert "S3 (seaweedfs) http://127.0.0.1:" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("All 11 steps passed in ")


def test_demo_json_reports_the_steps_with_timings() -> None:
    result = run("demo", "--json")

    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert len(report["steps"]) == 11
    assert all(isinstance(step["ms"], float) for step in report["steps"])


def test_fakes_serve_both_endpoints_until_sigint_then_free_the_ports(tmp_path: Path) -> None:
    customers = tmp_path / "customers.json"
    customers.write_text(json.dumps({"whatsapp:+15555550100": {"company_name": "Acme Ltd"}}))
    with subprocess.Popen(
        [*COMMAND, "fakes", "--customers", str(customers)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        env = use_the_fakes_then_interrupt(process)
    for url in (env["S3_ENDPOINT_URL"], env["CUSTOMER_LOOKUP_BASE_URL"]):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", urlsplit(url).port or 0)) != 0


def use_the_fakes_then_interrupt(process: subprocess.Popen[str]) -> dict[str, str]:
    """Read the printed environment, use both endpoints, send SIGINT; return the environment."""
    env: dict[str, str] = {}
    try:
        assert process.stdout is not None
        for line in process.stdout:
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
        }

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

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    return env


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
