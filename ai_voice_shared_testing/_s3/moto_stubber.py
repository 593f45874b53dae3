"""moto's in-process botocore stubber: find it, and make it answer one request at a time.

moto answers boto3 through one ``BotocoreStubber`` registered on every client's ``before-send``
event. The moto backend switches it on per bucket instead of entering ``mock_aws()`` (which
costs ~1.5 ms per test), and the fault injector hands it a request whose answer a fault throws
away. Both reach it here; a moto release that moves it makes :func:`moto_stubber` return
``None`` and the callers take moto's public, slower paths.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["moto_stubber", "serialise_moto_requests"]

_MOTO_LOCK = threading.RLock()


def moto_stubber() -> Any:
    """moto's botocore stubber, or ``None`` if moto is not installed or keeps it elsewhere."""
    try:
        from moto.core.models import botocore_stubber
    except ImportError:
        return None
    return botocore_stubber if hasattr(botocore_stubber, "enabled") else None


def serialise_moto_requests() -> None:
    """Make moto answer one request at a time, as a store applies one write at a time.

    moto checks a conditional write (``If-None-Match: *``) and then writes, unlocked: of
    concurrent ``CompleteMultipartUpload`` calls on one key, several succeeded, where S3 lets
    exactly one (the others get 412 or 409). moto answers in the calling thread and holds the
    GIL for nearly all of it, so one request at a time costs the tests nothing measurable.
    """
    try:
        from moto.core.botocore_stubber import BotocoreStubber
    except ImportError:  # a moto release that moved it: moto's own behaviour, unserialised
        return
    original = BotocoreStubber.__call__
    if getattr(original, "_aivs_serialised", False):
        return

    def serialised(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        with _MOTO_LOCK:
            return original(self, event_name, request, **kwargs)

    serialised._aivs_serialised = True  # type: ignore[attr-defined]
    BotocoreStubber.__call__ = serialised  # type: ignore[method-assign]
