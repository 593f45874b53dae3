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


SCRIPTS = [b for b in RUNNABLE if b.marker == "<!-- example: script -->"]
TESTS = [b for b in RUNNABLE if b not in SCRIPTS]


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Every test example in one pytest run in a fresh process, as in a service's suite: each
    block in a folder of its own (a conftest block applies to its folder only). Returns the
    outcomes of each block's tests, by block."""
    root = tmp_path_factory.mktemp("readme")
    for block in TESTS:
        folder = root / f"block_{block.line}"
        folder.mkdir()
        module, conftest = _as_module(block)
        (folder / f"test_readme_{block.line}.py").write_text(module)
        if conftest is not None:
            (folder / "conftest.py").write_text(conftest)
    (root / "pytest.ini").write_text("[pytest]\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", "-q", str(root)],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=600,
    )
    outcomes: dict[str, list[str]] = {f"block_{b.line}": [] for b in TESTS}
    for line in result.stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word in ("PASSED", "FAILED", "ERROR") and rest.startswith("block_"):
            outcomes[rest.split("/", 1)[0]].append(word)
    outcomes["<output>"] = [result.stdout[-6000:] + result.stderr[-2000:]]
    return outcomes


@pytest.mark.parametrize("block", TESTS, ids=[b.id for b in TESTS])
def test_every_test_example_passes(block: Block, readme_run: dict[str, list[str]]) -> None:
    outcomes = readme_run[f"block_{block.line}"]
    output = readme_run["<output>"][0]
    assert outcomes, output
    assert set(outcomes) == {"PASSED"}, output


@pytest.mark.parametrize("block", SCRIPTS, ids=[b.id for b in SCRIPTS])
def test_every_script_example_runs(block: Block, tmp_path: Path) -> None:
    script = subprocess.run(
        [sys.executable, "-c", block.code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert script.returncode == 0, script.stdout + script.stderr
