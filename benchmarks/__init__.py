"""Benchmarks of ai-voice-shared, each measured against a baseline run in the same process.

Run them all with ``python -m benchmarks``. Each benchmark module exposes ``run() -> list[Figure]``
and is listed in :data:`BENCHMARKS`. Only ratios are judged: this machine is shared and noisy,
so absolute times say little.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = ["BENCHMARKS", "Figure", "best_of", "format_figure", "reset_peak_rss", "rss_kib"]

#: The benchmark modules the runner executes, in order.
BENCHMARKS = [
    "benchmarks.import_cost",
    "benchmarks.parse_throughput",
    "benchmarks.lookup_client",
    "benchmarks.fixture_cost",
    "benchmarks.bucket_clear",
    "benchmarks.s3_streaming",
    "benchmarks.hostile_lookup",
    "benchmarks.media_ingest",
    "benchmarks.webhook_adapter",
    "benchmarks.async_s3",
    "benchmarks.delivery_guard",
    "benchmarks.voice_note_queue",
]


@dataclass(frozen=True)
class Figure:
    """One measured figure: our value, the baseline's, and the target for their ratio."""

    name: str
    value: float
    baseline: float
    unit: str
    target: float
    #: "max": the ratio value/baseline must be <= target; "min": it must be >= target.
    bound: Literal["max", "min"]
    #: An extra condition the figure must meet, and what it is (empty when there is none).
    extra_ok: bool = True
    extra: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("inf")

    @property
    def passed(self) -> bool:
        within = self.ratio <= self.target if self.bound == "max" else self.ratio >= self.target
        return within and self.extra_ok


def format_figure(figure: Figure) -> str:
    """One line: name, value, baseline, ratio, target and verdict."""
    op = "<=" if figure.bound == "max" else ">="
    extra = f"; {figure.extra}: {'yes' if figure.extra_ok else 'NO'}" if figure.extra else ""
    return (
        f"{'PASS' if figure.passed else 'FAIL'}  {figure.name}: "
        f"value={figure.value:.4g} {figure.unit}  baseline={figure.baseline:.4g} {figure.unit}  "
        f"ratio={figure.ratio:.3f}  target: ratio {op} {figure.target}{extra}"
    )


def best_of(func: Callable[[], object], *, number: int, repeat: int) -> float:
    """Seconds per call of ``func``: the best of ``repeat`` runs of ``number`` calls each."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            func()
        runs.append((time.perf_counter() - start) / number)
    return min(runs)


def median(values: list[float]) -> float:
    """The median, a robust centre for noisy timings."""
    return statistics.median(values)


def rss_kib(field: str) -> int:
    """A memory figure of this process from /proc/self/status (``VmRSS``, ``VmHWM``), in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def reset_peak_rss() -> None:
    """Reset this process's peak RSS (VmHWM), so that the next peak is the next step's own.

    ``ru_maxrss`` survives exec (a forked child starts with its parent's peak), so the peak is
    read from the process's own memory map instead: writing 5 to clear_refs resets VmHWM.
    """
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")


def run_child(module: str, *args: str) -> dict[str, float]:
    """Run ``python -m module *args`` in a fresh process (memory and imports of its own) and
    return the JSON object its last line of output prints."""
    result = subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"benchmark child {module} {args[:1]} failed:\n{result.stderr[-2000:]}")
    data: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return data
