"""Every Python block of the README runs as a test, or says on purpose why it cannot.

A block is preceded by one marker line:

- ``<!-- example: tests -->``: the block is a test module (``def test_...``), run with pytest and
  the plugin, as in a service;
- ``<!-- example: test(fixture, ...) -->``: the block is the body of one test taking those
  fixtures (``async test(...)`` for a body that awaits);
- ``<!-- example: conftest -->``: the block is a conftest; a test checks that it loads;
- ``<!-- example: script -->``: the block is a script, run with ``python -c`` in a fresh process;
- ``<!-- fragment: why -->``: not run, and why (a snippet of a larger handler, say).

A block without a marker fails here, so no example can silently go stale.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

README = Path(__file__).parents[1] / "README.md"
_BLOCK = re.compile(r"(?:^(?P<marker><!-- .*? -->)\n)?^```python\n(?P<code>.*?)^```", re.M | re.S)
_KIND = re.compile(
    r"<!-- (?:example: (?P<kind>tests|conftest|script|(?:async )?test\((?P<fixtures>[^)]*)\))"
    r"|fragment: (?P<why>.+)) -->"
)


@dataclass(frozen=True)
class Block:
    line: int
    marker: str | None
    code: str

    @property
    def id(self) -> str:
        return f"README.md:{self.line}"


def blocks() -> list[Block]:
    text = README.read_text()
    return [
        Block(text[: m.start("code")].count("\n"), m.group("marker"), m.group("code"))
        for m in _BLOCK.finditer(text)
    ]


ALL = blocks()


def test_the_readme_has_python_examples() -> None:
    assert len(ALL) >= 10


@pytest.mark.parametrize("block", ALL, ids=[b.id for b in ALL])
def test_every_python_block_is_marked(block: Block) -> None:
    assert _KIND.fullmatch(block.marker or ""), (
        f"{block.id}: a ```python block needs a marker line right before it: <!-- example: tests "
        "-->, <!-- example: test(fixtures) -->, <!-- example: conftest -->, <!-- example: script "
        "-->, or <!-- fragment: why it cannot run -->."
    )


RUNNABLE = [b for b in ALL if b.marker and b.marker.startswith("<!-- example:")]


def _as_module(block: Block) -> tuple[str, str | None]:
    """The block as a test module, and a conftest if it is one."""
    match = _KIND.fullmatch(block.marker or "")
    assert match is not None
    kind = match.group("kind")
    if kind == "tests":
        return block.code, None
    if kind == "conftest":
        return "def test_the_conftest_loads():\n    pass\n", block.code
    fixtures = match.group("fixtures")
    body = textwrap.indent(block.code, "    ")
    if kind.startswith("async "):
        return (
            "import pytest\n\n"
            "@pytest.fixture\ndef anyio_backend():\n    return 'asyncio'\n\n"
            f"@pytest.mark.anyio\nasync def test_readme_example({fixtures}):\n{body}",
            None,
        )
    return f"def test_readme_example({fixtures}):\n{body}", None


@pytest.mark.parametrize("block", RUNNABLE, ids=[b.id for b in RUNNABLE])
def test_every_example_runs(block: Block, pytester: pytest.Pytester) -> None:
    if block.marker == "<!-- example: script -->":
        script = subprocess.run(
            [sys.executable, "-c", block.code],
            capture_output=True,
            text=True,
            cwd=pytester.path,
            timeout=120,
        )
        assert script.returncode == 0, script.stdout + script.stderr
        return
    module, conftest = _as_module(block)
    if conftest is not None:
        pytester.makeconftest(conftest)
    pytester.makepyfile(test_readme_example=module)

    # In a fresh process, as in a service: in-process runs share this one's imports.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    outcomes = result.parseoutcomes()
    output = "\n".join(result.outlines)
    assert outcomes.get("passed", 0) >= 1, output
    assert set(outcomes) <= {"passed", "warnings"}, output
