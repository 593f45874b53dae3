"""Values as Twilio writes them in a form: digits-only integers, blanks for "no value", and
JSON parameters parsed within bounds (depth, lone surrogates)."""

from __future__ import annotations

import json
import re
from typing import Annotated

from pydantic import BeforeValidator, Field

__all__ = [
    "LONE_SURROGATE",
    "MAX_JSON_DEPTH",
    "WireInt",
    "blank_to_none",
    "has_lone_surrogate",
    "nests_deeper_than",
    "parse_json_text",
]


def _wire_int(value: object) -> object:
    # pydantic's lax int parsing also takes "1_0", "+1" and "1.0"; Twilio writes digits only,
    # and accepting other spellings would break the exact round trip of the form.
    if isinstance(value, str) and not (value.isascii() and value.isdigit() and len(value) < 19):
        raise ValueError("must be a whole number written in digits")
    return value


#: A non-negative integer as Twilio writes it ("0", "12").
WireInt = Annotated[int, Field(ge=0), BeforeValidator(_wire_int)]


def blank_to_none(value: object) -> object:
    """Twilio sends optional typed parameters blank (``ErrorCode=``): that means "no value"."""
    return None if value == "" else value


#: A lone surrogate: a str that holds one cannot be encoded as UTF-8 (nor sent, nor stored).
LONE_SURROGATE = re.compile("[\ud800-\udfff]")

#: How deeply a JSON parameter (``ChannelMetadata``) may nest lists and objects. Twilio's
#: channel metadata nests 3 levels (``{"type": ..., "data": {"context": {...}}}``); 64 leaves
#: ample room for growth while staying far below the limits of the layers a document goes
#: through afterwards: pydantic-core validates ``JsonValue`` to 254 levels and serialises to
#: about 250, and Python's own recursion limit (1000 frames, shared with the caller's stack)
#: bounds ``json.loads`` and ``json.dumps``. A deeper document is refused with a clear error.
MAX_JSON_DEPTH = 64


def has_lone_surrogate(value: object) -> bool:
    """Whether ``value`` (a str, or JSON made of lists, dicts and str) holds a lone surrogate.

    Walks the value with an explicit stack, so no nesting depth can exhaust Python's recursion
    limit.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if LONE_SURROGATE.search(item):
                return True
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
    return False


def nests_deeper_than(value: object, limit: int) -> bool:
    """Whether lists, tuples and dicts in ``value`` nest more than ``limit`` levels deep.

    Stops at the first container past the limit, so a self-referencing list is answered too.
    """
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, list | tuple | dict):
            if depth == limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def parse_json_text(value: object) -> object:
    """Parse a JSON string (blank means ``None``); other values (already parsed) pass through.

    A document nesting more than :data:`MAX_JSON_DEPTH` levels is refused, whatever its size.
    A JSON ``\\ud800`` escape parses to a lone surrogate that no UTF-8 form or JSON writer can
    carry again: such a document is refused here rather than failing on the way out.
    """
    if value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except RecursionError:  # deeper than the interpreter's stack allows
            raise _too_deep() from None
        except ValueError as exc:
            raise ValueError(f"is not a JSON document ({exc})") from None
    if nests_deeper_than(value, MAX_JSON_DEPTH):
        raise _too_deep()
    if has_lone_surrogate(value):
        raise ValueError(
            "holds a lone surrogate (an unpaired \\ud800-\\udfff escape): it is not text "
            "that can be written back to a form or to JSON"
        )
    return value


def _too_deep() -> ValueError:
    return ValueError(
        f"nests lists and objects more than {MAX_JSON_DEPTH} levels deep (Twilio's channel "
        "metadata nests about 3): it is not a document Twilio sent"
    )
