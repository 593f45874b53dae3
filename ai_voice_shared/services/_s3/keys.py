"""Which S3 keys ``S3Service`` sends: the checks made before any request."""

from __future__ import annotations

import re
from typing import Final

from ai_voice_shared.errors import InvalidS3KeyError

__all__ = ["MAX_KEY_BYTES", "validate_key"]

#: S3's limit on a key's length, counted in UTF-8 bytes (with the prefix).
MAX_KEY_BYTES: Final = 1024
#: C0 controls, DEL and C1 controls (U+0080 to U+009F, such as NEL and CSI).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
#: Where a tool mapping keys to paths cuts segments: '/' everywhere, '\\' on Windows too.
_SEPARATORS = re.compile(r"[/\\]")


def validate_key(key: object) -> str:
    """Return ``key`` if S3Service may send it, else raise :class:`InvalidS3KeyError`.

    A key is non-empty text without control characters (C0, DEL and C1), is valid UTF-8 (no
    lone surrogate), does not start with ``/`` and has no ``.`` or ``..`` segment (between
    ``/`` or ``\\``, which Windows tools also read as a separator): such keys
    work on S3 but break every tool that maps keys to paths (s3fs, aws s3 sync, a download to
    disk) and are a path-traversal risk.
    """
    if not isinstance(key, str):
        raise InvalidS3KeyError(
            f"S3 key {key!r} is {type(key).__name__}, not str: pass the key as text.", key=key
        )
    problem = None
    if not key:
        problem = "is empty"
    elif key.startswith("/"):
        problem = "starts with '/' (S3 keys are not absolute paths; drop the leading '/')"
    elif _CONTROL.search(key):
        problem = "contains a control character"
    elif _SURROGATE.search(key):
        problem = "holds a lone surrogate, so it is not valid UTF-8 text"
    elif any(part in (".", "..") for part in _SEPARATORS.split(key)):
        problem = "has a '.' or '..' segment (keys are not resolved like paths)"
    if problem:
        raise InvalidS3KeyError(
            f"S3 key {key!r} {problem}: use a key such as 'voice/AC.../MM....ogg'.", key=key
        )
    return key
