"""The kit's one patch of httpx's insides: it still fits the installed httpx, or says so loudly."""

from __future__ import annotations

import textwrap
import tomllib
from pathlib import Path

import httpx
import pytest
from packaging.requirements import Requirement

from ai_voice_shared_testing._http import transport_choice
from ai_voice_shared_testing._http.transport_choice import (
    HTTPX_RANGE,
    HttpxIncompatibleError,
    incompatibility,
    patch,
)

ROOT = Path(__file__).parents[3]
FAKE = "http://fake.aivs.test"


def _answer(text: str) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(200, text=text))


def test_the_installed_httpx_still_picks_each_transport_where_the_fakes_intercept() -> None:
    assert incompatibility() is None, incompatibility()


def test_the_pin_in_pyproject_is_the_range_the_patch_is_written_for() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (pin,) = [Requirement(d) for d in project["dependencies"] if Requirement(d).name == "httpx"]

    assert pin.specifier == Requirement(f"httpx{HTTPX_RANGE}").specifier
    assert pin.specifier.contains(httpx.__version__)


def test_every_request_and_redirect_hop_of_a_client_built_before_asks_the_patch_first() -> None:
    def app(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/hop":
            return httpx.Response(307, headers={"Location": f"{FAKE}/landed"})
        return httpx.Response(200, text="the client's own transport")

    client = httpx.Client(transport=httpx.MockTransport(app))  # built before the patch
    undo = patch(
        lambda url: _answer(f"fake {url.path}") if url.host == "fake.aivs.test" else None,
        lambda url: None,
    )
    try:
        assert client.get(f"{FAKE}/direct").text == "fake /direct"
        assert client.get("http://elsewhere.aivs.test/").text == "the client's own transport"
        hop = client.get("http://elsewhere.aivs.test/hop", follow_redirects=True)
        assert hop.text == "fake /landed"
    finally:
        undo()
    assert client.get(f"{FAKE}/direct").text == "the client's own transport"


async def _async_get(client: httpx.AsyncClient, url: str) -> str:
    return (await client.get(url)).text


def test_async_clients_ask_the_patch_too() -> None:
    import asyncio

    async def app(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="own")

    client = httpx.AsyncClient(transport=httpx.MockTransport(app))
    undo = patch(
        lambda url: None,
        lambda url: _answer("fake") if url.host == "fake.aivs.test" else None,
    )
    try:
        assert asyncio.run(_async_get(client, FAKE)) == "fake"
        assert asyncio.run(_async_get(client, "http://elsewhere.aivs.test/")) == "own"
    finally:
        undo()


def test_an_httpx_without_the_method_is_refused_with_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(httpx.Client, "_transport_for_url")

    with pytest.raises(HttpxIncompatibleError) as refused:
        patch(lambda url: None, lambda url: None)

    assert str(refused.value) == (
        f"httpx.Client has no _transport_for_url() any more (httpx {httpx.__version__}). The "
        "kit's HTTP fakes intercept there; install an httpx release in the range they are "
        f"written for: pip install 'httpx{HTTPX_RANGE}'."
    )


def test_an_httpx_that_reshaped_the_method_is_refused_with_its_new_signature(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def reshaped(self: object, url: object, *, proxy: object) -> None: ...

    monkeypatch.setattr(httpx.AsyncClient, "_transport_for_url", reshaped)

    assert (incompatibility() or "").startswith(
        "httpx.AsyncClient._transport_for_url() is no longer called as (self, url): it is "
        "_transport_for_url(self, url, *, proxy)"
    )


def test_a_fake_fixture_on_an_incompatible_httpx_fails_the_test_with_that_message(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_user=textwrap.dedent(
            """
            import httpx
            import pytest

            @pytest.fixture(autouse=True)
            def an_httpx_that_moved_it(monkeypatch):
                monkeypatch.delattr(httpx.Client, "_transport_for_url")

            def test_lookup(lookup_server):
                pass
            """
        )
    )

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*httpx.Client has no _transport_for_url() any more (httpx *). The kit's HTTP fakes*"]
    )


def test_no_other_module_of_the_kit_touches_the_private_method() -> None:
    kit = ROOT / "ai_voice_shared_testing"
    touching = [
        str(path.relative_to(kit))
        for path in sorted(kit.rglob("*.py"))
        if "_transport_for_url" in path.read_text()
    ]

    assert touching == [str(Path(transport_choice.__file__).relative_to(kit))]
