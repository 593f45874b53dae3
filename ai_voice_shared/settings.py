"""Settings read from the environment (pydantic-settings), one class per concern.

``S3Settings`` (prefix ``S3_``) and ``CustomerLookupSettings`` (prefix ``CUSTOMER_LOOKUP_``)
land here with the S3 and customer-lookup services; nothing is read from the environment yet.
"""

from __future__ import annotations

__all__: list[str] = []
