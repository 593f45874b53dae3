"""The docs stay true: every public name, setting variable, error, fixture, marker and option is
documented on the page where a reader looks for it; the README starts with the two
fresh-machine commands; its links resolve; the site builds with ``mkdocs build --strict``."""

from __future__ import annotations

import importlib
import pickle
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest
from markdown.extensions.toc import slugify

import ai_voice_shared
import ai_voice_shared.models
import ai_voice_shared_testing
from ai_voice_shared.errors import AiVoiceSharedError
from ai_voice_shared.settings import (
    CustomerLookupSettings,
    DeliverySettings,
    S3Settings,
    TwilioSettings,
    VoiceNoteQueueSettings,
)

ROOT = Path(__file__).parents[1]
MODELS = ai_voice_shared.models.__all__
DOCS = ROOT / "docs"
README = (ROOT / "README.md").read_text()
#: The pages of the test kit, where the names of ai_voice_shared_testing are documented.
TEST_KIT = ["testing.md", "testing-s3.md", "testing-http.md", "factories.md", "real-s3.md"]

#: Where each public name of ai_voice_shared is documented, besides models (models.md), errors
#: (errors.md) and settings (settings.md). A new public name needs a line here.
RUNTIME_HOME = {
    "AsyncCustomerLookupClient": "lookups.md",
    "AsyncMediaIngest": "media-ingest.md",
    "AsyncS3Service": "async-s3.md",
    "AsyncTwilioMediaClient": "media-ingest.md",
    "AsyncVoiceNoteConsumer": "voice-note-events.md",
    "ConsumerReport": "voice-note-events.md",
    "CustomerLookupClient": "lookups.md",
    "DeliveryClaim": "deliveries.md",
    "DeliveryGuard": "deliveries.md",
    "DeliveryStore": "deliveries.md",
    "MemoryDeliveryStore": "deliveries.md",
    "RedisDeliveryStore": "deliveries.md",
    "S3DeliveryStore": "deliveries.md",
    "delivery_store": "deliveries.md",
    "MediaIngest": "media-ingest.md",
    "S3Service": "s3.md",
    "TwilioMediaClient": "media-ingest.md",
    "TwilioRequestValidator": "twilio.md",
    "TwilioWebhookVerifier": "webhooks.md",
    "VerifiedWebhook": "webhooks.md",
    "VoiceNoteConsumer": "voice-note-events.md",
    "VoiceNoteSweep": "voice-note-events.md",
    "__version__": "index.md",
    "configure_voice_note_notifications": "voice-note-events.md",
    "mask_phone_number": "lookups.md",
    "messaging_response": "webhooks.md",
    "normalize_phone_number": "lookups.md",
}
#: Where each public name of ai_voice_shared_testing is documented (one of TEST_KIT; its
#: errors are on errors.md too).
TESTING_HOME = {
    "ConnectionOverrides": "testing-http.md",
    "DeliveryAttempt": "testing-http.md",
    "EndpointBackend": "testing-s3.md",
    "FakeHttpService": "testing-http.md",
    "FakeLookupServer": "testing-http.md",
    "FakeTwilioApi": "testing-http.md",
    "FaultProxy": "real-s3.md",
    "MissingTestingExtraError": "testing.md",
    "MotoBackend": "testing-s3.md",
    "RealHostError": "testing-http.md",
    "RecordedLookup": "testing-http.md",
    "RedisServer": "real-s3.md",
    "RedisUnavailableError": "real-s3.md",
    "S3Backend": "testing-s3.md",
    "S3Bucket": "testing-s3.md",
    "S3Call": "testing-s3.md",
    "S3FaultInjector": "testing-s3.md",
    "S3NotificationsUnsupportedError": "testing-s3.md",
    "SeaweedFSBackend": "testing-s3.md",
    "SeaweedFSServer": "real-s3.md",
    "SeaweedFSUnavailableError": "real-s3.md",
    "SignedTwilioRequest": "testing-http.md",
    "SqsFaultInjector": "testing-s3.md",
    "SqsQueue": "testing-s3.md",
    "TwilioWebhookSender": "testing-http.md",
    "TwilioWouldNotRetryError": "testing-http.md",
    "VirtualTime": "testing.md",
    "WebhookDelivery": "testing-http.md",
}


def page(name: str) -> str:
    return (DOCS / name).read_text()


def is_error(name: str, module: object) -> bool:
    value = getattr(module, name)
    return isinstance(value, type) and issubclass(value, BaseException)


def home(name: str) -> list[str]:
    """The pages a runtime name must be on."""
    if is_error(name, ai_voice_shared):
        return ["errors.md"]
    if name in MODELS:
        return ["models.md"]
    if name.endswith("Settings"):
        return ["settings.md"]
    return [RUNTIME_HOME[name]]


def test_every_public_name_has_a_home_page() -> None:
    runtime = {
        n
        for n in ai_voice_shared.__all__
        if not is_error(n, ai_voice_shared) and n not in MODELS and not n.endswith("Settings")
    }
    assert runtime == set(RUNTIME_HOME), "add the new name to RUNTIME_HOME (or drop a stale one)"
    assert set(ai_voice_shared_testing.__all__) == set(TESTING_HOME)
    assert set(TESTING_HOME.values()) <= set(TEST_KIT)


@pytest.mark.parametrize("name", ai_voice_shared.__all__)
def test_every_public_name_is_on_the_page_of_its_area(name: str) -> None:
    for where in home(name):
        text = page(where)
        assert f"`{name}" in text or f"# {name}\n" in text, f"document `{name}` on docs/{where}"


@pytest.mark.parametrize("name", [n for n in ai_voice_shared.__all__ if n in MODELS])
def test_every_model_has_a_section_of_its_own(name: str) -> None:
    assert f"\n## {name}\n" in page("models.md")


@pytest.mark.parametrize(
    "name",
    [n for n in ai_voice_shared.__all__ if is_error(n, ai_voice_shared)]
    + [n for n in ai_voice_shared_testing.__all__ if is_error(n, ai_voice_shared_testing)],
)
def test_every_error_has_a_section_on_the_errors_page(name: str) -> None:
    errors = page("errors.md")
    assert f"\n### {name}\n" in errors, f"give {name} a '### {name}' section on docs/errors.md"
    section = errors.split(f"\n### {name}\n", 1)[1].split("\n#", 1)[0]
    assert "**When:**" in section
    assert "**What to do:**" in section
    if name in ai_voice_shared.__all__:
        assert name in errors.split("## The hierarchy", 1)[1].split("```", 2)[1]


@pytest.mark.parametrize("name", ai_voice_shared_testing.__all__)
def test_every_test_kit_name_is_on_its_test_kit_page(name: str) -> None:
    where = TESTING_HOME[name]
    assert f"`{name}" in page(where), f"document `{name}` on docs/{where}"


SETTINGS = (
    S3Settings,
    CustomerLookupSettings,
    TwilioSettings,
    DeliverySettings,
    VoiceNoteQueueSettings,
)


def variables(
    settings: type[
        S3Settings
        | CustomerLookupSettings
        | TwilioSettings
        | DeliverySettings
        | VoiceNoteQueueSettings
    ],
) -> list[str]:
    names: list[str] = []
    for field in settings.model_fields.values():
        alias = field.validation_alias
        names.extend(getattr(alias, "choices", [alias]))
    return [str(name) for name in names]


def test_every_settings_class_is_checked() -> None:
    assert {n for n in ai_voice_shared.__all__ if n.endswith("Settings")} == {
        s.__name__ for s in SETTINGS
    }


@pytest.mark.parametrize(
    ("settings", "variable"),
    [(s.__name__, v) for s in SETTINGS for v in variables(s)],
)
def test_every_setting_variable_is_in_the_table_of_its_class(settings: str, variable: str) -> None:
    section = page("settings.md").split(f"\n## {settings}\n", 1)[1].split("\n## ", 1)[0]
    assert f"`{variable}`" in section, f"document {variable} under '## {settings}' in settings.md"


def plugin_reference(pytester: pytest.Pytester) -> tuple[set[str], set[str], set[str]]:
    """The fixtures, markers and options (with ini keys) the plugin gives, as pytest sees them."""
    pytester.makepyfile("def test_x():\n    pass\n")
    listing = pytester.runpytest("--fixtures", "-p", "no:cacheprovider").stdout.lines
    fixtures = {
        m.group(1)
        for line in listing
        if (m := re.match(r"(\w+) -- .*ai_voice_shared_testing", line))
    }
    markers = {
        m.group(1)
        for line in pytester.runpytest("--markers").stdout.lines
        if (m := re.match(r"@pytest\.mark\.(aivs_\w+)", line))
    }
    options = {
        m.group(1)
        for line in pytester.runpytest("--help").stdout.lines
        if (m := re.match(r"\s+(--aivs-[\w-]+|aivs_\w+)", line))
    }
    return fixtures, markers, options


def mentioned(name: str, text: str) -> bool:
    """``name`` in code: `s3_bucket`, `@pytest.mark.aivs_s3(...)`, `--aivs-seed N`."""
    return re.search(rf"`(@pytest\.mark\.)?{re.escape(name)}[` (]", text) is not None


def test_every_fixture_marker_and_option_is_in_the_readme_and_on_the_test_kit_page(
    pytester: pytest.Pytester,
) -> None:
    fixtures, markers, options = plugin_reference(pytester)
    assert len(fixtures) >= 20
    assert len(markers) >= 3
    assert len(options) >= 5
    readme_table = README.split("## Fixtures, markers and options", 1)[1].split("\n## ", 1)[0]
    missing = {
        where: sorted(n for n in fixtures | markers | options if not mentioned(n, text))
        for where, text in (("README", readme_table), ("docs/testing.md", page("testing.md")))
    }
    assert missing == {"README": [], "docs/testing.md": []}


def test_the_readme_starts_with_the_two_fresh_machine_commands() -> None:
    commands = README.split("```sh\n", 1)[1].split("```", 1)[0].strip().splitlines()

    assert commands == [
        "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && "
        ".venv/bin/ai-voice-shared demo",
        "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && "
        ".venv/bin/python -m pytest -n auto",
    ]


def test_the_readme_is_a_front_page() -> None:
    assert README.count("\n") <= 250
    assert "**Contents:**" in README


def anchors(markdown: str) -> set[str]:
    """The section anchors mkdocs gives a page (its toc extension's default slugs)."""
    headings = re.findall(r"^#{1,6} (.+)$", re.sub(r"```.*?```", "", markdown, flags=re.S), re.M)
    return {slugify(re.sub(r"[`*]", "", h).strip(), "-") for h in headings}


@pytest.mark.parametrize(
    "link", sorted(set(re.findall(r"\]\(([^)\s]+)\)", README))), ids=lambda link: link
)
def test_every_readme_link_resolves(link: str) -> None:
    if link.startswith(("http://", "https://")):
        return
    target, _, anchor = link.partition("#")
    assert not target or (ROOT / target).exists(), f"README links to missing {target}"
    text = (ROOT / target).read_text() if target else README
    if anchor:
        assert anchor in anchors(text), f"{target or 'README.md'} has no section #{anchor}"


def test_the_site_builds_with_mkdocs_strict(tmp_path: Path) -> None:
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert build.returncode == 0, build.stderr


def every_error_class() -> list[type[AiVoiceSharedError]]:
    """Every subclass of the root, public or not, once every module of both packages is imported."""
    for package in (ai_voice_shared, ai_voice_shared_testing):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if not module.name.endswith("__main__"):
                importlib.import_module(module.name)
    found: list[type[AiVoiceSharedError]] = []
    todo: list[type[AiVoiceSharedError]] = [AiVoiceSharedError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(found, key=lambda cls: cls.__name__)


@pytest.mark.parametrize("error", every_error_class(), ids=lambda cls: cls.__name__)
def test_every_error_names_a_docs_section_that_exists(error: type[AiVoiceSharedError]) -> None:
    target, _, anchor = error.docs.partition("#")
    assert (DOCS / target).is_file(), f"{error.__name__}.docs names a missing page {target}"
    assert anchor in anchors(page(target)), f"docs/{target} has no section #{anchor}"


def test_an_error_says_where_its_docs_are_under_its_message() -> None:
    error = ai_voice_shared.S3ObjectNotFoundError(
        "s3://bucket/a/key does not exist.", operation="GetObject", bucket="bucket"
    )

    assert error.__notes__ == [
        "See docs/errors.md#s3objectnotfounderror for what this error means and what to do."
    ]
    assert "See docs" not in str(error)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.__notes__, str(copy), copy.operation) == (error.__notes__, str(error), "GetObject")
