"""The customer-lookup family: :mod:`.base` holds everything the client twins share but the
I/O (configuration, requests, the contract's answers, retry decisions, caches, errors)."""

from __future__ import annotations
