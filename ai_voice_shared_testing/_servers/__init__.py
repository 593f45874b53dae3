"""Real servers the kit starts for tests on free 127.0.0.1 ports, never outliving the run.

From the bottom up: :mod:`.supervisor` (the process guard every server runs under: it stops
the server and deletes its data when the test run ends, however it ends), :mod:`.seaweedfs`
(an S3-compatible server, ``weed mini``) and :mod:`.redis` (Valkey or Redis).
"""

from __future__ import annotations
