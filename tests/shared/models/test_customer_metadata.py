"""CustomerMetadata: what customer-lookup-server returns for a phone number."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ai_voice_shared import CustomerMetadata

VALID = {"customer_id": "cus_1", "company_id": "co_9", "company_name": "Acme Ltd"}


def test_a_server_response_parses() -> None:
    assert CustomerMetadata.model_validate_json(
        '{"customer_id": "cus_1", "company_id": "co_9", "company_name": "Acme Ltd"}'
    ) == CustomerMetadata(**VALID)


def test_unknown_keys_from_a_newer_server_are_ignored() -> None:
    customer = CustomerMetadata.model_validate({**VALID, "tier": "gold", "tags": ["a"]})

    assert customer.model_dump() == VALID


@pytest.mark.parametrize("field", ["customer_id", "company_id", "company_name"])
@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_or_blank_value_is_rejected_naming_the_field(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CustomerMetadata.model_validate({**VALID, field: value})

    assert [error["loc"] for error in caught.value.errors()] == [(field,)]


def test_a_missing_field_is_rejected_naming_it() -> None:
    with pytest.raises(ValidationError) as caught:
        CustomerMetadata.model_validate({"customer_id": "c", "company_id": "x"})

    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [
        (("company_name",), "missing")
    ]


def test_the_model_is_frozen() -> None:
    with pytest.raises(ValidationError, match="frozen"):
        CustomerMetadata(**VALID).company_name = "Other"  # type: ignore[misc]
