"""VoiceNoteSweep on every backend (moto and a real SeaweedFS), sync and async S3 services:
bounded pages, every key once per pass, passes that start again, and a cursor's resume."""

from __future__ import annotations

import pytest

from ai_voice_shared import ConfigurationError, S3Service, VoiceNoteSweep
from tests.shared.services.s3_backends import S3Backend

#: Keys whose order differs between S3 (UTF-8 bytes: " " < "/") and SeaweedFS (directory tree).
TRICKY = ["l/a b", "l/a/1", "l/a/2", "l/a0", "l/b"]


def sweep_all(sweep: VoiceNoteSweep) -> list[str]:
    """The keys of one whole pass."""
    keys: list[str] = []
    while True:
        keys += [item.key for item in sweep.step()]
        if sweep.at_start:
            return keys


def test_a_pass_lists_every_key_once_in_pages_of_bounded_size(s3: S3Service) -> None:
    keys = [f"AC1/MM{n:02d}/0-ME{n:02d}.ogg" for n in range(23)] + TRICKY
    for key in keys:
        s3.upload_bytes(key, b"OggS")
    sweep = VoiceNoteSweep(s3, page_size=10)

    listed = sweep_all(sweep)

    assert sorted(listed) == sorted(keys)
    assert len(listed) == len(set(listed))
    assert (sweep.requests, sweep.passes) == (3, 1)


def test_the_next_pass_starts_again_from_the_first_key(s3: S3Service) -> None:
    for n in range(3):
        s3.upload_bytes(f"AC1/MM{n}/0-ME{n}.ogg", b"OggS")
    sweep = VoiceNoteSweep(s3, prefix="AC1/", page_size=2)
    first = sweep_all(sweep)
    s3.upload_bytes("AC1/MM9/0-ME9.ogg", b"OggS")  # written between two passes

    second = sweep_all(sweep)

    assert second == [*first, "AC1/MM9/0-ME9.ogg"]
    assert sweep.passes == 2


def test_a_cursor_resumes_a_pass_exactly_in_s3_order(s3: S3Service, backend: S3Backend) -> None:
    for key in TRICKY:
        s3.upload_bytes(key, b"OggS")
    sweep = VoiceNoteSweep(s3, page_size=2)
    first_page = [item.key for item in sweep.step()]
    cursor = sweep.cursor
    assert cursor == first_page[-1]

    resumed = sweep_all(VoiceNoteSweep(s3, page_size=2, start_after=cursor))  # after a restart

    if backend.name == "moto":  # S3's order: UTF-8 bytes, so the resume is exact
        assert first_page == ["l/a b", "l/a/1"]
        assert resumed == ["l/a/2", "l/a0", "l/b"]
    else:  # SeaweedFS lists in directory-tree order (docs/voice-note-events.md#the-sweep)
        assert first_page == ["l/a/1", "l/a/2"]
        assert resumed == ["l/a b", "l/a0", "l/b"]


def test_an_uninterrupted_pass_is_exact_in_the_stores_own_order(
    s3: S3Service, backend: S3Backend
) -> None:
    for key in TRICKY:
        s3.upload_bytes(key, b"OggS")

    listed = sweep_all(VoiceNoteSweep(s3, page_size=2))

    assert listed == (
        TRICKY if backend.name == "moto" else ["l/a/1", "l/a/2", "l/a b", "l/a0", "l/b"]
    )


@pytest.mark.parametrize("size", [0, 1001])
def test_a_page_size_outside_s3s_page_is_a_configuration_error(s3: S3Service, size: int) -> None:
    with pytest.raises(ConfigurationError, match="page_size must be 1 to 1000"):
        VoiceNoteSweep(s3, page_size=size)
