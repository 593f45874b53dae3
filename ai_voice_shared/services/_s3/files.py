"""Files and file objects around transfers: a caller's stream lent to s3transfer (left open,
read whole), and a download written beside its target then renamed into place."""

from __future__ import annotations

import contextlib
import io
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast

from ai_voice_shared.errors import ConfigurationError

__all__ = [
    "Borrowed",
    "PathOrFile",
    "borrow",
    "check_binary",
    "seekable",
    "sized",
    "temporary_beside",
]

PathOrFile = str | os.PathLike[str] | IO[bytes]


class Borrowed(io.BufferedIOBase):
    """The caller's stream, lent to s3transfer, which closes what it uploads: closing this
    view leaves the caller's stream open (no surprise for code that keeps using it)."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__()
        self._stream = stream
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        data = self._stream.read(-1 if size is None else size)
        self.read_bytes += len(data)
        return data

    def read1(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.read_bytes += len(data)
        return data

    def seekable(self) -> bool:
        return self._stream.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()


@contextlib.contextmanager
def borrow(source: IO[bytes]) -> Iterator[Borrowed]:
    """``source`` lent to s3transfer as a :class:`Borrowed` view."""
    check_binary(source, "source")
    if not isinstance(source, io.RawIOBase):
        yield Borrowed(source)
        return
    # A raw stream may return short reads, which makes s3transfer buffer the whole object;
    # a BufferedReader restores full reads. Detach it afterwards so that it does not close
    # the caller's stream when it is garbage-collected.
    reader = io.BufferedReader(source)
    try:
        yield Borrowed(cast("IO[bytes]", reader))
    finally:
        reader.detach()


def check_binary(stream: object, name: str) -> None:
    """Refuse a text stream, or an object without ``read`` (``source``) / ``write``."""
    if isinstance(stream, io.TextIOBase):
        raise ConfigurationError(
            f"{name} is a text stream: open the file in binary mode ('rb' / 'wb')."
        )
    needed = "read" if name == "source" else "write"
    if not callable(getattr(stream, needed, None)):
        raise ConfigurationError(
            f"{name} must be a path or a binary file object with .{needed}(), not "
            f"{type(stream).__name__}."
        )


def temporary_beside(target: Path) -> tuple[int, str]:
    """A new file next to ``target`` for a download, opened for writing.

    Not ``tempfile.mkstemp``: its files are 0600 whatever the umask, and the download would
    keep that mode; ``os.open`` with 0666 gives what ``open()`` and boto3 give (0644 under the
    usual umask).
    """
    while True:
        temporary = str(target.parent / f".{target.name}.{secrets.token_hex(6)}.part")
        try:
            return os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temporary
        except FileExistsError:
            continue


def seekable(stream: object) -> bool:
    """Whether ``stream`` can seek (a failing ``seekable()`` counts as no)."""
    try:
        return bool(stream.seekable())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return False


def sized(stream: IO[bytes]) -> int | None:
    """Bytes left in a seekable stream, or ``None`` for one that cannot seek."""
    if not seekable(stream):
        return None
    try:
        start = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(start)
    except (OSError, ValueError):
        return None
    return end - start
