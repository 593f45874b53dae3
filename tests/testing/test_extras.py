"""The testing extra stays light: moto's server mode is an extra of its own, and a missing
one is named with the command that installs it."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

from ai_voice_shared_testing import MissingTestingExtraError
from ai_voice_shared_testing._extras import require

EXTRAS = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"][
    "optional-dependencies"
]


def test_the_testing_extra_installs_moto_without_its_server_mode() -> None:
    moto = [spec for spec in EXTRAS["testing"] if spec.startswith("moto")]

    assert moto == ["moto[s3,sqs]>=5.0"]  # sqs: the sqs_queue fixture
    assert "moto[s3,sqs,server]>=5.0" in EXTRAS["moto-server"]
    assert "ai-voice-shared[testing]" in EXTRAS["moto-server"]


def test_a_missing_moto_server_names_its_own_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "moto.server", None)  # an import of it fails

    with pytest.raises(MissingTestingExtraError) as missing:
        require("moto.server")

    assert str(missing.value) == (
        "moto's server mode is not installed (the in-process fixtures do not need it; a moto "
        "server over HTTP, as `ai-voice-shared fakes` starts, does): run `pip install "
        "'ai-voice-shared[moto-server]'` in this environment."
    )
