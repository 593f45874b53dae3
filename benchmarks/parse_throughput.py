"""Parse throughput: ``from_form`` on the Twilio samples versus the cheapest possible parse.

Floor: ``urllib.parse.parse_qsl`` plus a flat pydantic model with the body's keys as plain
``str`` fields (no media list, no SID checks, no conversions, no unknown-key handling). Target:
ours runs at >= 0.75x the floor's throughput, with every check of the hostile-input work kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from pydantic import BaseModel, Field, create_model

from ai_voice_shared import TwilioStatusCallback, TwilioWebhookPayload
from benchmarks import Figure, best_of

SAMPLES = Path(__file__).parents[1] / "tests" / "data" / "twilio"
NUMBER = 500
REPEAT = 15


def _flat_model(name: str, body: bytes) -> type[BaseModel]:
    keys = [key for key, _ in parse_qsl(body.decode(), keep_blank_values=True)]
    # Field names are placeholders; each is aliased to a wire key so the floor validates the
    # same dict ours does.
    fields: dict[str, Any] = {f"f{i}": (str, Field(alias=key)) for i, key in enumerate(keys)}
    model: type[BaseModel] = create_model(name, **fields)
    return model


def run() -> list[Figure]:
    """Time both parses over all samples, interleaved, best of ``REPEAT``."""
    bodies = sorted(SAMPLES.glob("*.form"))
    ours_cases = [
        (TwilioStatusCallback if "status" in path.name else TwilioWebhookPayload, path.read_bytes())
        for path in bodies
    ]
    floor_cases = [(_flat_model(f"Flat{i}", body), body) for i, (_, body) in enumerate(ours_cases)]
    for model, body in floor_cases:  # the floor must parse the samples, or it measures nothing
        model.model_validate(dict(parse_qsl(body.decode(), keep_blank_values=True)))

    def ours() -> None:
        for cls, body in ours_cases:
            cls.from_form(body)

    def floor() -> None:
        for model, body in floor_cases:
            model.model_validate(dict(parse_qsl(body.decode(), keep_blank_values=True)))

    ours()  # build the deferred schemas before timing
    floor()
    ours_times, floor_times = [], []
    for _ in range(3):
        ours_times.append(best_of(ours, number=NUMBER, repeat=REPEAT // 3))
        floor_times.append(best_of(floor, number=NUMBER, repeat=REPEAT // 3))
    per_body = len(bodies)
    return [
        Figure(
            name="parse throughput (from_form vs parse_qsl + flat str model)",
            value=per_body / min(ours_times),
            baseline=per_body / min(floor_times),
            unit="bodies/s",
            target=0.75,
            bound="min",
        )
    ]
