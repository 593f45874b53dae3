"""The pytest plugin of ai-voice-shared, loaded in every pytest run through ``pytest11``.

Only hooks live here: the option group, marker registration, the report header and the moto
safety environment. The fixtures are in :mod:`ai_voice_shared_testing.fixtures`, which pytest
loads through ``pytest_plugins`` below. Nothing here imports boto3, moto, respx, hypothesis or
polyfactory; the fixtures import them when used.
"""

from __future__ import annotations

import os
import random
import sys
from typing import Any

import pytest

from ai_voice_shared import __version__
from ai_voice_shared_testing._stash import BACKEND_KEY, ENDPOINT_KEY, SEED_KEY

#: pytest registers these modules as plugins of their own, with this one: the fixtures are
#: listed where they are defined, and nowhere else.
pytest_plugins = ["ai_voice_shared_testing.fixtures"]

BACKENDS = ("moto", "seaweedfs", "endpoint")
#: Set for the whole run on the moto backend, so no test can reach real AWS by accident.
MOTO_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
    "AWS_PROFILE": None,
}
_SAVED_ENVIRONMENT = pytest.StashKey[dict[str, str | None]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """One option group, each option with an ini twin."""
    group = parser.getgroup("ai-voice-shared", "ai-voice-shared test doubles")
    group.addoption(
        "--aivs-s3-backend",
        choices=BACKENDS,
        default=None,
        help="Where s3_bucket creates its buckets: moto (in-process), seaweedfs (a real "
        "SeaweedFS server started for the session) or endpoint (--aivs-s3-endpoint). "
        "Default: the aivs_s3_backend ini value, else moto.",
    )
    group.addoption(
        "--aivs-s3-endpoint",
        default=None,
        metavar="URL",
        help="The S3-compatible endpoint for --aivs-s3-backend=endpoint; credentials come from "
        "the standard AWS variables. Default: the aivs_s3_endpoint ini value.",
    )
    group.addoption(
        "--aivs-seed",
        type=int,
        default=None,
        metavar="N",
        help="Seed of the factories (printed in the header; each test is seeded from it and "
        "its node id, so a failure replays with the same seed). Default: a random seed.",
    )
    parser.addini(
        "aivs_s3_backend",
        help="Default for --aivs-s3-backend (moto, seaweedfs, endpoint).",
        default="moto",
    )
    parser.addini("aivs_s3_endpoint", help="Default for --aivs-s3-endpoint.", default="")


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers, resolve the backend, and make moto runs safe."""
    config.addinivalue_line(
        "markers",
        "aivs_lookup(*, strict=True, real_sleep=False): lookup_server options; strict=False "
        "turns off the teardown check for stray requests and faults never triggered; "
        "real_sleep=True makes retries and delays wait for real.",
    )
    config.addinivalue_line(
        "markers",
        "aivs_twilio(*, strict=True, real_sleep=False): twilio_api options; strict=False turns "
        "off the teardown check for credentials at the CDN, unknown media and faults never "
        "triggered; real_sleep=True makes retries and delays wait for real.",
    )
    config.addinivalue_line(
        "markers",
        "aivs_s3(*, strict=True, real_sleep=False): s3_bucket options; strict=False turns off "
        "the teardown check for faults never triggered; real_sleep=True makes botocore's "
        "retries after injected faults wait for real.",
    )
    backend = config.getoption("aivs_s3_backend") or str(config.getini("aivs_s3_backend"))
    if backend not in BACKENDS:
        raise pytest.UsageError(
            f"aivs_s3_backend = {backend!r} in the ini file is not one of {', '.join(BACKENDS)}."
        )
    endpoint = config.getoption("aivs_s3_endpoint") or str(config.getini("aivs_s3_endpoint"))
    if backend == "endpoint" and not endpoint:
        raise pytest.UsageError(
            "--aivs-s3-backend=endpoint needs the store's URL: pass --aivs-s3-endpoint URL "
            "(or set aivs_s3_endpoint in the ini file)."
        )
    config.stash[BACKEND_KEY] = backend
    config.stash[ENDPOINT_KEY] = endpoint
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    seed = config.getoption("aivs_seed")
    if seed is None and workerinput is not None:
        seed = workerinput.get("aivs_seed")  # the controller's seed, so workers agree
    config.stash[SEED_KEY] = seed if seed is not None else random.SystemRandom().randrange(10**6)
    if "hypothesis" in sys.modules:  # registering is free then; importing it here is not
        from ai_voice_shared_testing.hypothesis_profiles import register_profiles

        register_profiles()
    if backend == "moto":
        config.stash[_SAVED_ENVIRONMENT] = {name: os.environ.get(name) for name in MOTO_ENVIRONMENT}
        for name, value in MOTO_ENVIRONMENT.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def pytest_unconfigure(config: pytest.Config) -> None:
    """Restore the environment the run started with."""
    saved = config.stash.get(_SAVED_ENVIRONMENT, None)
    if saved is None:
        return
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: hand the controller's factory seed to each worker."""
    node.workerinput["aivs_seed"] = node.config.stash[SEED_KEY]


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Name the plugin, its version, the S3 backend and the factory seed."""
    backend = config.stash.get(BACKEND_KEY, "moto")
    detail = {
        "moto": "moto, in-process, fake credentials",
        "seaweedfs": "seaweedfs, a weed mini server started on first use",
        "endpoint": f"endpoint {config.stash.get(ENDPOINT_KEY, '')}",
    }[backend]
    seed = config.stash.get(SEED_KEY, 0)
    return [
        f"ai-voice-shared {__version__}: S3 backend {detail}",
        f"ai-voice-shared factory seed: {seed} (replay with --aivs-seed {seed})",
    ]
