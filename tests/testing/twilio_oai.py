"""The vendored twilio-oai subset (tests/data/twilio_oai/) as a checker of the fake's answers."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator

SUBSET = Path(__file__).parents[1] / "data" / "twilio_oai" / "api_v2010_subset.json"
#: Twilio's error document (https://www.twilio.com/docs/usage/twilios-response#response-formats-exceptions);
#: twilio-oai describes only the successful answers.
ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message", "more_info", "status"],
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string"},
        "more_info": {"type": "string", "pattern": "^https://www.twilio.com/docs/errors/[0-9]+$"},
        "status": {"type": "integer"},
    },
}


@cache
def spec() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SUBSET.read_text())
    return document


def _template(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[A-Za-z]+\\\}", "[^/]+", re.escape(path)) + "$")


def operation(method: str, path: str) -> dict[str, Any]:
    """The twilio-oai operation answering ``method path``."""
    for template, item in spec()["paths"].items():
        if _template(template).match(path) and method.lower() in item:
            found: dict[str, Any] = item[method.lower()]
            return found
    raise LookupError(f"twilio-oai has no operation for {method} {path}")


def problems(method: str, path: str, status: int, body: bytes) -> list[str]:
    """Where an answer departs from twilio-oai (or from Twilio's error document)."""
    if status >= 400:
        schema: dict[str, Any] = ERROR_SCHEMA
    else:
        responses = operation(method, path)["responses"]
        if str(status) not in responses:
            return [f"{method} {path}: status {status} is not one of {sorted(responses)}"]
        content = responses[str(status)].get("content")
        if content is None:
            return [] if body == b"" else [f"{method} {path}: {status} has a body: {body[:80]!r}"]
        schema = content["application/json"]["schema"]
    # The components ride along, so the schema's "#/components/..." references resolve.
    validator = OAS30Validator({**schema, "components": spec()["components"]})
    errors = list(validator.iter_errors(json.loads(body)))
    return [f"{method} {path}: {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]
