"""The HTTP contracts this library implements, shipped as data with the package.

``customer-lookup.openapi.json`` describes customer-lookup-server's one endpoint; the client
and the plugin's fake server follow it, and services can validate their own server against it.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

__all__ = ["LOOKUP_PATH", "NOT_FOUND_CODE", "customer_lookup_openapi"]

#: The one endpoint of customer-lookup-server (docs/customer-lookup-api.md).
LOOKUP_PATH = "/customers/lookup"
#: The ``code`` of the contract's 404 body: the number is unknown (not the route).
NOT_FOUND_CODE = "customer_not_found"


def customer_lookup_openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of customer-lookup-server, as a dict."""
    text = resources.files(__name__).joinpath("customer-lookup.openapi.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document
