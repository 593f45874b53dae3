"""Where the plugin leaves the run's choices for the fixtures: keys of ``config.stash``.

Set in ``pytest_configure`` (:mod:`~ai_voice_shared_testing.plugin`), read by the fixtures
(:mod:`~ai_voice_shared_testing.fixtures`); neither module imports the other.
"""

from __future__ import annotations

import pytest

__all__ = ["BACKEND_KEY", "DELIVERY_STORES_KEY", "ENDPOINT_KEY", "SEED_KEY"]

#: The S3 backend of the run: ``moto``, ``seaweedfs`` or ``endpoint``.
BACKEND_KEY = pytest.StashKey[str]()
#: The S3-compatible endpoint of the ``endpoint`` backend (empty otherwise).
ENDPOINT_KEY = pytest.StashKey[str]()
#: The session's factory seed.
SEED_KEY = pytest.StashKey[int]()
#: The delivery stores ``delivery_store`` runs each test on (``memory``, ``s3``, ``redis``).
DELIVERY_STORES_KEY = pytest.StashKey[tuple[str, ...]]()
