"""The kit's families import down, never back up: each private sub-package lists its modules
from the bottom up, and a module imports only its family's lower modules and the kit's shared
bottom (``_extras``); only the CLI, the top of the kit, builds on the other families' faces."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

KIT = Path(__file__).parents[2] / "ai_voice_shared_testing"
PREFIX = "ai_voice_shared_testing."
#: Each family's modules from the bottom up, as its __init__ docstring lists them.
FAMILIES = {
    "_http": [
        "types",
        "live",
        "transports",
        "transport_choice",
        "real_hosts",
        "requests_patch",
        "aiohttp_patch",
        "interception",
        "base",
    ],
    "_s3": [
        "admin",
        "moto_stubber",
        "botocore_hooks",
        "faults",
        "bucket",
        "backend",
        "moto",
        "seaweedfs",
        "endpoint",
    ],
    "_servers": ["supervisor", "seaweedfs", "redis"],
    "_sqs": ["faults", "moto", "queue"],
    "_twilio": ["errors", "resources", "callbacks"],
    "_cli": [
        "exits",
        "signature_doctor",
        "fake_stack",
        "verify",
        "send",
        "fakes",
        "demo",
        "main",
    ],
}
#: What a family may use of the rest of the kit, besides its own lower modules.
SHARED = {
    "_http": {"_extras"},
    "_s3": {"_extras", "_servers.seaweedfs"},
    "_servers": set(),
    "_sqs": {"_extras", "_s3.botocore_hooks", "_s3.faults", "_s3.moto_stubber"},
    "_twilio": {"_extras", "_http.types"},
    "_cli": {
        "_extras",
        "_sqs.moto",
        "factories",
        "lookup_server",
        "s3_bucket",
        "seaweedfs",
        "twilio_api",
        "webhooks",
    },
}


def _kit_imports(path: Path) -> list[str]:
    """Every module of the kit that ``path`` imports, at any depth (``TYPE_CHECKING`` too)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PREFIX):
            base = node.module.removeprefix(PREFIX)
            found += [f"{base}.{a.name}" if base in FAMILIES else base for a in node.names]
        elif isinstance(node, ast.Import):
            found += [a.name.removeprefix(PREFIX) for a in node.names if a.name.startswith(PREFIX)]
    return found


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_module_of_a_family_is_in_its_bottom_up_list(family: str) -> None:
    modules = {p.stem for p in (KIT / family).glob("*.py")} - {"__init__"}

    assert modules == set(FAMILIES[family])


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_family_imports_only_down_its_list_and_the_shared_bottom(family: str) -> None:
    order = FAMILIES[family]
    upward = []
    for index, name in enumerate(order):
        for target in _kit_imports(KIT / family / f"{name}.py"):
            own, _, module = target.partition(".")
            if own == family and module in order[:index]:
                continue
            if target in SHARED[family]:
                continue
            upward.append(f"{family}/{name}.py imports {target}")
    assert upward == []


def test_no_module_of_the_kit_imports_the_plugin_or_the_cli_face() -> None:
    importers = [
        f"{path.relative_to(KIT)} imports {target}"
        for path in sorted(KIT.rglob("*.py"))
        for target in _kit_imports(path)
        if target in {"plugin", "cli"} and path.name != "__main__.py"
    ]

    assert importers == []
