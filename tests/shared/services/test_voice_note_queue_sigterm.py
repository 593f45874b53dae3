"""SIGTERM to a real voice-parser process mid-batch: the note in hand is finished and deleted,
the rest of the batch is given back at once, nothing is lost (over moto's server, real HTTP)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import TYPE_CHECKING

import boto3
import pytest

from ai_voice_shared_testing.factories import S3EventNotificationFactory

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

REGION = "eu-west-1"

CHILD = textwrap.dedent(
    """
    import sys, time
    from ai_voice_shared.services.voice_note_queue import VoiceNoteConsumer
    from ai_voice_shared.settings import VoiceNoteQueueSettings

    def handle(record):
        print("handling", record.key, flush=True)
        time.sleep(1.0)  # SIGTERM arrives now: this note must still be finished
        print("done", record.key, flush=True)

    settings = VoiceNoteQueueSettings(
        queue_url=sys.argv[1], endpoint_url=sys.argv[2], region="eu-west-1",
        access_key_id="testing", secret_access_key="testing", wait_seconds=1,
    )
    VoiceNoteConsumer(handle, settings=settings).run(handle_signals=True)
    print("stopped", flush=True)
    """
)


@pytest.fixture
def moto_server() -> Iterator[str]:
    pytest.importorskip("flask", reason="moto's server mode needs the moto-server extra")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def counts(sqs: SQSClient, url: str) -> tuple[int, int]:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def test_sigterm_mid_batch_finishes_the_note_in_hand_and_gives_the_rest_back(
    moto_server: str,
) -> None:
    sqs: SQSClient = boto3.client(
        "sqs",
        endpoint_url=moto_server,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    url = sqs.create_queue(QueueName="voice-notes", Attributes={"VisibilityTimeout": "300"})[
        "QueueUrl"
    ]
    for key in ("voice/a.ogg", "voice/b.ogg", "voice/c.ogg"):
        sqs.send_message(QueueUrl=url, MessageBody=S3EventNotificationFactory.body(key))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, url, moto_server],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as child:
        try:
            assert child.stdout is not None
            first = child.stdout.readline()
            assert first.startswith("handling voice/")
            child.send_signal(signal.SIGTERM)
            rest, errors = child.communicate(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
    assert child.returncode == 0, errors
    handled = first.split()[1]
    assert rest.splitlines() == [f"done {handled}", "stopped"]
    # The handled note's message is deleted; the two not started are visible again at once,
    # not after the 300 s visibility timeout: nothing is lost, nothing waits.
    assert counts(sqs, url) == (2, 0)
