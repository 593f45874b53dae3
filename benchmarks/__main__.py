"""Run every benchmark, print one line per figure, exit 1 if any target is missed."""

from __future__ import annotations

import importlib
import sys

from benchmarks import BENCHMARKS, Figure, format_figure


def main(modules: list[str] | None = None) -> int:
    """Run the named benchmark modules (all by default); return the process exit code."""
    figures: list[Figure] = []
    for name in modules or BENCHMARKS:
        module = importlib.import_module(name)
        for figure in module.run():
            print(format_figure(figure), flush=True)
            figures.append(figure)
    missed = [figure.name for figure in figures if not figure.passed]
    if missed:
        print(f"{len(missed)} of {len(figures)} targets missed: {', '.join(missed)}")
        return 1
    print(f"all {len(figures)} targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or None))
