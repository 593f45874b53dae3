"""``CustomerLookupClient``: the httpx client for customer-lookup-server.

Not implemented yet: the module path and name are fixed so that services can depend on them;
the implementation arrives with the CustomerLookupClient issue.
"""

from __future__ import annotations

__all__ = ["CustomerLookupClient"]


class CustomerLookupClient:
    """Placeholder for the customer-lookup-server client (not implemented yet)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise NotImplementedError(
            "CustomerLookupClient is not implemented in this version of ai-voice-shared; "
            "upgrade the package once the CustomerLookupClient release is out."
        )
