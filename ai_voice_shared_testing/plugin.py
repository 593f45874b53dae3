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
from ai_voice_shared_testing._stash import (
    BACKEND_KEY,
    DELIVERY_STORES_KEY,
    ENDPOINT_KEY,
    SEED_KEY,
)

#: pytest registers these modules as plugins of their own, with this one: the fixtures are
#: listed where they are defined, and nowhere else.
pytest_plugins = ["ai_voice_shared_testing.fixtures"]

BACKENDS = ("moto", "seaweedfs", "endpoint")
DELIVERY_STORES = ("memory", "s3", "redis")
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
    group.addoption(
        "--aivs-delivery-stores",
        default=None,
        metavar="LIST",
        help="The delivery stores each test taking delivery_store runs on, comma-separated "
        "from memory, s3 (on s3_bucket's backend) and redis (a real server started for the "
        "session). Default: the aivs_delivery_stores ini value, else memory,s3,redis.",
    )
    parser.addini(
        "aivs_delivery_stores",
        help="Default for --aivs-delivery-stores.",
        default="memory,s3,redis",
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
    config.addinivalue_line(
        "markers",
        "aivs_sqs(*, strict=True, real_sleep=False, max_receive_count=3): sqs_queue options; "
        "strict=False turns off the teardown check for faults never triggered and messages "
        "received but never acknowledged; real_sleep=True makes long polls and visibility "
        "timeouts take real time; max_receive_count: receives before the dead-letter queue.",
    )
    config.addinivalue_line(
        "markers",
        "aivs_webhook(*, proxy=False): twilio_webhook options; proxy=True sends webhooks as a "
        "TLS-terminating proxy would (internal URL, X-Forwarded-Proto/Host), with no "
        "TWILIO_WEBHOOK_BASE_URL set, so the app's own proxy settings are under test.",
    )
    config.addinivalue_line(
        "markers",
        "aivs_delivery(*, stores=None): the delivery stores this test's delivery_store runs "
        "on (a subset of memory, s3, redis); default: --aivs-delivery-stores.",
    )
    config.stash[DELIVERY_STORES_KEY] = _stores(
        config.getoption("aivs_delivery_stores") or str(config.getini("aivs_delivery_stores")),
        "--aivs-delivery-stores",
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


def _stores(value: object, where: str) -> tuple[str, ...]:
    """The delivery stores named by ``value`` (a comma-separated str or a sequence)."""
    names = value.split(",") if isinstance(value, str) else value
    if not isinstance(names, list | tuple):
        raise pytest.UsageError(
            f"{where} takes delivery store names (memory, s3, redis), not {value!r}."
        )
    stores = tuple(str(name).strip() for name in names if str(name).strip())
    unknown = [name for name in stores if name not in DELIVERY_STORES]
    if unknown or not stores:
        raise pytest.UsageError(
            f"{where} = {value!r}: {', '.join(unknown) or 'no store'} is not a delivery store; "
            f"choose from {', '.join(DELIVERY_STORES)}."
        )
    return stores


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test that takes ``delivery_store`` once per store of the run (or of its
    ``aivs_delivery`` marker)."""
    if "delivery_store" not in metafunc.fixturenames:
        return
    stores = metafunc.config.stash[DELIVERY_STORES_KEY]
    for marker in metafunc.definition.iter_markers("aivs_delivery"):
        unknown = sorted(set(marker.kwargs) - {"stores"})
        if marker.args or unknown:
            raise pytest.UsageError(
                f"@pytest.mark.aivs_delivery takes one keyword option, stores=[...], not "
                f"{', '.join([*map(repr, marker.args), *unknown])}."
            )
        if marker.kwargs.get("stores") is not None:
            stores = _stores(marker.kwargs["stores"], "@pytest.mark.aivs_delivery(stores=...)")
            break
    metafunc.parametrize("delivery_store", stores, indirect=True, ids=[f"{s}" for s in stores])


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
