"""The reference webhook handler run locally as a user runs it: ``ai-voice-shared fakes``, the
service under uvicorn reading the environment the fakes wrote, and ``ai-voice-shared twilio
send`` delivering a signed voice note (and Twilio's redelivery of it). Three real processes;
the voice note ends up in the fakes' S3, once."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from dotenv import dotenv_values

from ai_voice_shared import S3Service, S3Settings

ROOT = Path(__file__).parents[2]
CLI = [sys.executable, "-m", "ai_voice_shared_testing"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def fakes(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path, int]]:
    """``ai-voice-shared fakes`` with fixed ports, a customer and an env file; the port the
    service is to listen on (its TWILIO_WEBHOOK_BASE_URL)."""
    customers = tmp_path / "customers.json"
    customers.write_text(json.dumps({"whatsapp:+15555550100": {"company_name": "Acme Ltd"}}))
    env_file = tmp_path / "fakes.env"
    service_port = _free_port()
    process = subprocess.Popen(
        [
            *CLI,
            "fakes",
            "--customers",
            str(customers),
            "--env-file",
            str(env_file),
            "--twilio-port",
            str(_free_port()),
            "--lookup-port",
            str(_free_port()),
            "--s3-port",
            str(_free_port()),
            "--webhook-base-url",
            f"http://127.0.0.1:{service_port}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("# ready"):
                break
        else:
            raise AssertionError(f"fakes exited: {process.stderr.read() if process.stderr else ''}")
        yield process, env_file, service_port
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def service(
    fakes: tuple[subprocess.Popen[str], Path, int], tmp_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """The reference handler under uvicorn, configured by nothing but the fakes' env file;
    under the kit's supervisor, so it dies with the test run however the run ends."""
    _, env_file, port = fakes
    log = tmp_path / "service.log"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "examples.webhook_handler.app:create_app",
        "--env-file",
        str(env_file),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TWILIO_", "S3_", "AWS_", "CUSTOMER_LOOKUP_", "DELIVERY_"))
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ai_voice_shared_testing._servers.supervisor",
                str(tmp_path / "work"),
                str(log) + ".supervisor",
                "--",
                *command,
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.PIPE,
            cwd=ROOT,
            env={**environment, "PYTHONPATH": str(ROOT)},
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the service did not start:\n{log.read_text()[-3000:]}")
            try:
                httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield process
    finally:
        assert process.stdin is not None
        process.stdin.close()  # the supervisor's cue: SIGTERM, then SIGKILL
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def test_a_voice_note_sent_to_the_service_run_against_the_fakes_ends_up_in_s3_once(
    fakes: tuple[subprocess.Popen[str], Path, int],
    service: subprocess.Popen[bytes],
    tmp_path: Path,
) -> None:
    process, env_file, port = fakes
    note = tmp_path / "note.ogg"
    note.write_bytes(b"OggS a real voice note")
    env = {k: v for k, v in dotenv_values(env_file).items() if v is not None}

    sent = subprocess.run(
        [
            *CLI,
            "twilio",
            "send",
            f"http://127.0.0.1:{port}/twilio/whatsapp",
            "--env-file",
            str(env_file),
            "--media",
            str(note),
            "--redeliver",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert sent.returncode == 0, sent.stdout + sent.stderr
    *_, delivery, redelivery = sent.stdout.splitlines()
    assert delivery.startswith("delivery: 200 in ")
    assert delivery.endswith(
        "<Body>Thanks, Acme Ltd! We got your voice note.</Body></Message></Response>"
    )
    assert redelivery.startswith("redelivery: 200 in ")
    assert redelivery.endswith("<Response/>")  # handled once: no second reply
    settings = S3Settings(
        bucket_name=env["S3_BUCKET_NAME"],
        endpoint_url=env["S3_ENDPOINT_URL"],
        region=env["S3_REGION"],
        access_key_id=env["AWS_ACCESS_KEY_ID"],
        secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    with S3Service(settings) as s3:
        [stored] = [item.key for item in s3.iter_objects(env["TWILIO_ACCOUNT_SID"] + "/")]
        assert s3.download_bytes(stored) == b"OggS a real voice note"

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert not env_file.exists()  # its ports and token are gone with the fakes
