"""The delivery-claim family behind :class:`~ai_voice_shared.DeliveryGuard`.

Modelled on powertools' idempotency persistence layers: :mod:`.core` holds the one state
machine (claim, complete, release, leases, the payload check) as steps that name store
operations, :mod:`.base` the small base class every store implements (create if absent, read,
replace if unchanged, remove if unchanged; sync and async), and each store its own module:
:mod:`.memory` (one process), :mod:`.s3` (conditional writes on the services' bucket) and
:mod:`.redis` (Redis or Valkey). :mod:`.record` is what a store keeps per delivery key.
"""

from __future__ import annotations
