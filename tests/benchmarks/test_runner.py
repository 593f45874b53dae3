"""The benchmark runner: one line per figure, and a non-zero exit when a target is missed."""

from __future__ import annotations

import sys
import types

import pytest

from benchmarks import Figure, format_figure
from benchmarks.__main__ import main


def figure(value: float, *, bound: str = "max", extra_ok: bool = True) -> Figure:
    return Figure(
        name="demo",
        value=value,
        baseline=100.0,
        unit="ms",
        target=1.15,
        bound=bound,  # type: ignore[arg-type]
        extra_ok=extra_ok,
        extra="boto3 absent" if not extra_ok else "",
    )


@pytest.mark.parametrize(
    ("value", "bound", "passed"),
    [(115.0, "max", True), (116.0, "max", False), (115.0, "min", True), (114.0, "min", False)],
)
def test_a_figure_passes_when_its_ratio_is_on_the_right_side_of_the_target(
    value: float, bound: str, passed: bool
) -> None:
    assert figure(value, bound=bound).passed is passed


def test_a_figure_that_misses_its_extra_condition_fails_whatever_its_ratio() -> None:
    line = format_figure(figure(50.0, extra_ok=False))

    assert line == (
        "FAIL  demo: value=50 ms  baseline=100 ms  ratio=0.500  target: ratio <= 1.15; "
        "boto3 absent: NO"
    )


@pytest.mark.parametrize(
    ("value", "code", "last"),
    [(100.0, 0, "all 1 targets met"), (200.0, 1, "1 of 1 targets missed: demo")],
)
def test_the_runner_prints_each_figure_and_exits_non_zero_on_a_miss(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    value: float,
    code: int,
    last: str,
) -> None:
    module = types.ModuleType("fake_benchmark")
    module.run = lambda: [figure(value)]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_benchmark", module)

    assert main(["fake_benchmark"]) == code

    lines = capsys.readouterr().out.splitlines()
    assert lines == [format_figure(figure(value)), last]
