"""Every package face loads its names one way: a table, on first use, with no fallback."""

from __future__ import annotations

import ast
import importlib
import sys
import types
from pathlib import Path

import pytest

from ai_voice_shared._face import lazy_face

ROOT = Path(__file__).parents[2]
FACES = [
    "ai_voice_shared",
    "ai_voice_shared.hooks",
    "ai_voice_shared.models",
    "ai_voice_shared.settings",
    "ai_voice_shared_testing",
]


def _fake_package(name: str, table: dict[str, list[str]]) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__package__ = "ai_voice_shared"
    sys.modules[name] = module
    module.__getattr__, module.__dir__ = lazy_face(name, table)  # type: ignore[method-assign]
    return module


@pytest.mark.parametrize("face", FACES)
def test_every_name_of_a_face_resolves_from_the_module_its_table_names(face: str) -> None:
    module = importlib.import_module(face)

    for name in module.__all__:
        value = getattr(module, name)
        assert value is not None
        assert name in dir(module)


@pytest.mark.parametrize("face", FACES)
def test_a_name_a_face_does_not_list_is_an_attribute_error(face: str) -> None:
    module = importlib.import_module(face)

    with pytest.raises(AttributeError, match=f"module '{face}' has no attribute 'Nope'"):
        module.Nope  # noqa: B018


@pytest.mark.parametrize("face", FACES)
def test_no_face_imports_importlib_or_defines_its_own_loader(face: str) -> None:
    path = ROOT / Path(*face.split("."))
    source = (path / "__init__.py" if path.is_dir() else path.with_suffix(".py")).read_text()
    tree = ast.parse(source)

    imports = [node for node in ast.walk(tree) if isinstance(node, ast.Import)]
    imported = {alias.name for node in imports for alias in node.names}
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert "importlib" not in imported
    assert defined == set()


def test_a_table_out_of_date_with_its_module_says_which_name_and_module() -> None:
    face = _fake_package("aivs_face_probe", {".phone": ["mask_phone_number", "gone"]})
    try:
        assert face.mask_phone_number("+15555550100") == "+1555****100"
        with pytest.raises(ImportError, match=r"aivs_face_probe.gone is listed as defined in "):
            face.gone  # noqa: B018
    finally:
        del sys.modules["aivs_face_probe"]


def test_a_name_listed_under_two_modules_is_refused_when_the_face_is_built() -> None:
    with pytest.raises(ValueError, match=r"'x' is listed under both '\.a' and '\.b'"):
        lazy_face("aivs_face_probe", {".a": ["x"], ".b": ["x"]})


def test_a_resolved_name_is_cached_so_the_loader_runs_once() -> None:
    face = _fake_package("aivs_face_probe", {".phone": ["mask_phone_number"]})
    try:
        first = face.mask_phone_number
        assert vars(face)["mask_phone_number"] is first
    finally:
        del sys.modules["aivs_face_probe"]


def test_the_kit_reaches_the_runtime_only_through_public_modules_and_the_hooks() -> None:
    private: list[str] = []
    for path in sorted((ROOT / "ai_voice_shared_testing").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            private += [
                f"{path.relative_to(ROOT)}: {name}"
                for name in names
                if name.startswith("ai_voice_shared.")
                and any(part.startswith("_") for part in name.split(".")[1:])
            ]
    assert private == []


@pytest.mark.parametrize(
    "module",
    [
        "ai_voice_shared.services.async_s3_service",
        "ai_voice_shared.services.customer_lookup_client",
        "ai_voice_shared.services.media_ingest",
        "ai_voice_shared.services.s3_service",
        "ai_voice_shared.services.twilio_media_client",
    ],
)
def test_a_services_module_exports_only_what_the_top_level_exports(module: str) -> None:
    import ai_voice_shared

    exported = set(importlib.import_module(module).__all__)

    assert exported - set(ai_voice_shared.__all__) == set()
