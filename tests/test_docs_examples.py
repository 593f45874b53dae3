"""Every Python block of README.md and docs/**/*.md runs as a test, or says on purpose why not.

A block is preceded by one marker line (indented as the block is, inside a list or an
admonition):

- ``<!-- example: tests -->``: the block is a test module (``def test_...``), run with pytest and
  the plugin, as in a service;
- ``<!-- example: test(fixture, ...) -->``: the block is the body of one test taking those
  fixtures (``async test(...)`` for a body that awaits);
- ``<!-- example: conftest -->``: the block is a conftest; a test checks that it loads;
- ``<!-- example: script -->``: the block is a script, run with ``python -c`` in a fresh process;
- ``<!-- example: include -->``: the block only includes files of ``examples/`` with
  pymdownx.snippets, in its block form (a ``--8<--`` line, one path a line, a ``--8<--`` line;
  the one-line form is valid Python that ``ruff format`` would rewrite), a path being
  ``examples/voice_parser/parser.py`` or ``...py:section`` for the lines between
  ``# --8<-- [start:section]`` and ``# --8<-- [end:section]``; those files are real modules
  that pytest, ruff and mypy check with the rest of the repository, so the block is checked
  here only for pointing at such a file (docs pages only: GitHub does not render includes);
- ``<!-- fragment: why -->``: not run, and why (a snippet of a larger handler, say).

A block without a marker fails here, so no example can silently go stale. All test blocks of
all pages run in one pytest process (one per block would cost seconds each).
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
_BLOCK = re.compile(
    r"(?:^(?P<mindent>[ \t]*)(?P<marker><!-- .*? -->)\n)?"
    r"^(?P<indent>[ \t]*)```python\n(?P<code>.*?)^(?P=indent)```",
    re.M | re.S,
)
_KIND = re.compile(
    r"<!-- (?:example: (?P<kind>tests|conftest|script|include"
    r"|(?:async )?test\((?P<fixtures>[^)]*)\))"
    r"|fragment: (?P<why>.+)) -->"
)
#: A fence for Python under another name would escape the runner.
_FENCE = re.compile(r"^[ \t]*(?P<fence>```|~~~)[ \t]*(?P<info>[^\n]*)$", re.M)
_INCLUDE = re.compile(r"(?P<path>examples/[^\s:]+)(?::(?P<section>[\w-]+))?")


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    marker: str | None
    code: str
    index: int

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def folder(self) -> str:
        return f"block_{self.index:03d}"

    @property
    def kind(self) -> str | None:
        match = _KIND.fullmatch(self.marker or "")
        return match.group("kind") if match else None


def blocks() -> list[Block]:
    found: list[Block] = []
    for page in PAGES:
        text = page.read_text()
        for m in _BLOCK.finditer(text):
            marker = m.group("marker") if m.group("mindent") == m.group("indent") else None
            found.append(
                Block(
                    str(page.relative_to(ROOT)),
                    text[: m.start("code")].count("\n"),
                    marker,
                    textwrap.dedent(m.group("code")),
                    len(found),
                )
            )
    return found


ALL = blocks()


def test_the_pages_have_python_examples() -> None:
    assert len(ALL) >= 40
    assert {b.page for b in ALL} >= {"README.md", "docs/s3.md", "docs/voice-parser.md"}


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_python_blocks_are_fenced_as_python(page: Path) -> None:
    odd = [
        m.group(0).strip()
        for m in _FENCE.finditer(page.read_text())
        if m.group("info").strip().lower().startswith("py")
        and (m.group("fence"), m.group("info").strip()) != ("```", "python")
    ]
    assert not odd, f"{page.name}: fence Python as ```python, so that it runs: {odd}"


@pytest.mark.parametrize("block", ALL, ids=[b.id for b in ALL])
def test_every_python_block_is_marked(block: Block) -> None:
    assert _KIND.fullmatch(block.marker or ""), (
        f"{block.id}: a ```python block needs a marker line right before it, indented as the "
        "block: <!-- example: tests -->, <!-- example: test(fixtures) -->, <!-- example: "
        "conftest -->, <!-- example: script -->, <!-- example: include --> (for --8<-- lines), "
        "or <!-- fragment: why it cannot run -->."
    )


INCLUDES = [b for b in ALL if b.kind == "include"]


@pytest.mark.parametrize("block", INCLUDES, ids=[b.id for b in INCLUDES])
def test_every_include_is_a_checked_file_of_examples(block: Block) -> None:
    assert block.page != "README.md", f"{block.id}: GitHub does not render --8<-- includes"
    lines = [line.strip() for line in block.code.splitlines() if line.strip()]
    assert len(lines) >= 3, f"{block.id}: an include block is --8<--, paths, --8<--"
    assert lines[0] == lines[-1] == "--8<--", f"{block.id}: open and close it with --8<--"
    for line in lines[1:-1]:
        match = _INCLUDE.fullmatch(line)
        assert match, f"{block.id}: include only files of examples/, one a line, not {line!r}"
        path = ROOT / match.group("path")
        assert path.is_file(), f"{block.id}: {path} does not exist"
        assert path.is_relative_to(ROOT / "examples"), f"{block.id}: include from examples/"
        if path.suffix != ".py" or path.name.startswith("test_"):
            continue
        tests = [t.read_text() for t in path.parent.glob("test_*.py")]
        assert any(path.stem in t for t in tests), (
            f"{block.id}: {path.name} is not imported by a test_*.py beside it, so no test runs it"
        )


RUNNABLE = [b for b in ALL if b.kind not in (None, "include")]


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
            f"@pytest.mark.anyio\nasync def test_docs_example({fixtures}):\n{body}",
            None,
        )
    return f"def test_docs_example({fixtures}):\n{body}", None


SCRIPTS = [b for b in RUNNABLE if b.kind == "script"]
TESTS = [b for b in RUNNABLE if b not in SCRIPTS]


@pytest.fixture(scope="module")
def docs_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Every test example in one pytest run in a fresh process, as in a service's suite: each
    block in a folder of its own (a conftest block applies to its folder only). Returns the
    outcomes of each block's tests, by block folder."""
    root = tmp_path_factory.mktemp("docs")
    for block in TESTS:
        folder = root / block.folder
        folder.mkdir()
        module, conftest = _as_module(block)
        (folder / f"test_docs_{block.index:03d}.py").write_text(module)
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
    outcomes: dict[str, list[str]] = {b.folder: [] for b in TESTS}
    for line in result.stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word in ("PASSED", "FAILED", "ERROR") and rest.startswith("block_"):
            outcomes[rest.split("/", 1)[0]].append(word)
    outcomes["<output>"] = [result.stdout[-6000:] + result.stderr[-2000:]]
    return outcomes


@pytest.mark.parametrize("block", TESTS, ids=[b.id for b in TESTS])
def test_every_test_example_passes(block: Block, docs_run: dict[str, list[str]]) -> None:
    outcomes = docs_run[block.folder]
    output = docs_run["<output>"][0]
    assert outcomes, f"{block.id} ({block.folder}) did not run:\n{output}"
    assert set(outcomes) == {"PASSED"}, f"{block.id} ({block.folder}) failed:\n{output}"


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
