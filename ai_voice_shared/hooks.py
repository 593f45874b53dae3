"""Seams for test kits: all that ``ai_voice_shared_testing`` uses of the runtime's insides.

A test double needs a few things no service does, and takes them from here, never from a
private module:

- :class:`Clock`, :func:`get_clock`, :func:`set_clock`: the clock every retry loop, deadline and
  cache of the library reads and waits on. A kit installs a virtual one
  (``ai_voice_shared_testing.VirtualTime``) so a backoff or ``Retry-After`` costs no real time
  while the decisions stay exactly those of production.
- :func:`deadline_remaining`: seconds left before the current call's total deadline (``None``
  outside a call), so a fake's delay can honour the client's deadline as a slow server would.
- :func:`form_pairs`: every ``(name, value)`` pair of a form body, read exactly as the webhook
  models and the signature validator read it.
- :func:`build_s3_client`: the boto3 client ``S3Service`` builds from ``S3Settings`` (retries,
  checksums, addressing), for a kit that must reach the same store exactly as the service does.
- :func:`build_sqs_client`: the boto3 SQS client the voice-note consumers build from
  ``VoiceNoteQueueSettings``, for the same reason.
- :func:`lazy_face`: the one mechanism behind every package face (names that load on first
  use), for a kit's own faces.

Importing this module imports none of them; each loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ai_voice_shared._face import lazy_face

if TYPE_CHECKING:
    from ai_voice_shared._clock import Clock, get_clock, set_clock
    from ai_voice_shared._form import form_pairs
    from ai_voice_shared._http.deadline import deadline_remaining
    from ai_voice_shared.services._queue.client import build_sqs_client
    from ai_voice_shared.services._s3.client import build_s3_client

__all__ = [
    "Clock",
    "build_s3_client",
    "build_sqs_client",
    "deadline_remaining",
    "form_pairs",
    "get_clock",
    "lazy_face",
    "set_clock",
]

__getattr__, __dir__ = lazy_face(
    __name__,
    {
        "._form": ["form_pairs"],
        "._http.deadline": ["deadline_remaining"],
        "._clock": ["Clock", "get_clock", "set_clock"],
        ".services._queue.client": ["build_sqs_client"],
        ".services._s3.client": ["build_s3_client"],
    },
)
