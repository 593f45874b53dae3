"""What customer-lookup-server knows about the sender of a message."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

__all__ = ["CustomerMetadata"]

_NonBlank = Annotated[str, StringConstraints(min_length=1, pattern=r"\S")]


class CustomerMetadata(BaseModel):
    """The customer and company a phone number belongs to.

    Unknown keys from newer servers are ignored, so a server may add fields without breaking
    older clients.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    customer_id: _NonBlank
    company_id: _NonBlank
    company_name: _NonBlank
