"""Import cost: our public API in a fresh interpreter versus the libraries it stands on.

Baseline: ``import pydantic, pydantic_settings, httpx`` (what any service importing us already
pays). Ours: ``from ai_voice_shared import TwilioWebhookPayload, CustomerLookupClient``. Both are
timed inside fresh interpreters, alternating, and the medians compared. Target: ratio <= 1.15,
and boto3 must not be imported.

Both sides import compiled bytecode: pip compiled the baseline's libraries when it installed them,
and this package is compiled here first (an editable install under PYTHONDONTWRITEBYTECODE would
otherwise recompile every module in every interpreter, which no deployed service does).
"""

from __future__ import annotations

import compileall
import json
import subprocess
import sys
from pathlib import Path

from benchmarks import Figure, median

OURS = "from ai_voice_shared import TwilioWebhookPayload, CustomerLookupClient"
BASELINE = "import pydantic, pydantic_settings, httpx"
ROUNDS = 21

_PROBE = """
import json, sys, time
start = time.perf_counter()
{statement}
elapsed = time.perf_counter() - start
print(json.dumps({{"seconds": elapsed, "boto3": "boto3" in sys.modules}}))
"""


def _time_import(statement: str) -> tuple[float, bool]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(statement=statement)],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(result.stdout)
    return float(data["seconds"]), bool(data["boto3"])


def run() -> list[Figure]:
    """Measure both imports ``ROUNDS`` times each, interleaved."""
    import ai_voice_shared

    compileall.compile_dir(Path(ai_voice_shared.__file__).parent, quiet=1)
    ours: list[float] = []
    baseline: list[float] = []
    boto3_loaded = False
    for _ in range(ROUNDS):
        seconds, loaded = _time_import(OURS)
        ours.append(seconds)
        boto3_loaded |= loaded
        baseline.append(_time_import(BASELINE)[0])
    return [
        Figure(
            name="import cost (ai_voice_shared vs pydantic+pydantic_settings+httpx)",
            value=median(ours) * 1000,
            baseline=median(baseline) * 1000,
            unit="ms",
            target=1.15,
            bound="max",
            extra_ok=not boto3_loaded,
            extra="boto3 absent from sys.modules",
        )
    ]
