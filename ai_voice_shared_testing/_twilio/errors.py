"""Twilio's error answers: a JSON document ``{code, message, more_info, status}``.

The codes are Twilio's own (https://www.twilio.com/docs/api/errors): 20003 authentication,
20404 not found, 20004 method not allowed, 21602-21617 message creation.
"""

from __future__ import annotations

import json

from ai_voice_shared_testing._http.types import FakeAnswer

__all__ = ["method_not_allowed", "not_found", "twilio_error", "unauthorized"]


def twilio_error(status: int, code: int, message: str, **headers: str) -> FakeAnswer:
    """Twilio's JSON error document with ``status``."""
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return FakeAnswer(
        status, {"Content-Type": "application/json", **headers}, json.dumps(body).encode()
    )


def unauthorized() -> FakeAnswer:
    """401 with Twilio's challenge: missing, malformed or wrong credentials (before any 404)."""
    return twilio_error(
        401, 20003, "Authenticate", **{"WWW-Authenticate": 'Basic realm="Twilio API"'}
    )


def not_found(path: str) -> FakeAnswer:
    """404 as Twilio words it, naming the path."""
    return twilio_error(404, 20404, f"The requested resource {path} was not found")


def method_not_allowed(method: str) -> FakeAnswer:
    """405 for a method the resource does not take."""
    return twilio_error(405, 20004, f"Method {method} not allowed")
