"""Turn whatever a web framework hands over for a form body into ``(name, value)`` pairs.

Shared by the Twilio models (``from_form``) and the signature validator, which must see the
same parameters: every pair, repeated names and blank values included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeAlias
from urllib.parse import unquote_plus

from ai_voice_shared.errors import InvalidTwilioPayloadError

__all__ = ["MAX_FORM_FIELDS", "FormPairs", "FormSource", "decode_body", "form_pairs"]

#: More parameters than any Twilio webhook carries (about 60 at most, with 10 media items);
#: a larger body is refused before any work is done on it.
MAX_FORM_FIELDS = 1000

FormPairs: TypeAlias = list[tuple[str, str]]
FormSource: TypeAlias = (
    bytes
    | bytearray
    | memoryview
    | str
    | Mapping[str, str]
    | Mapping[str, Sequence[str]]
    | Iterable[tuple[str, str]]
)
"""A raw form body, a mapping or multi-dict (Starlette, Werkzeug, Django, aiohttp), or pairs."""

_BODY = "<body>"
#: A chunk with two "=" (so, with as many "=" as chunks, another chunk has none).
_TWO_EQUALS = re.compile("=[^&]*=")


def decode_body(body: bytes | bytearray | memoryview) -> str:
    """Decode a raw request body as UTF-8, naming the first bad byte if it is not."""
    try:
        return bytes(body).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidTwilioPayloadError(
            f"The request body is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
            f"{exc.start}): pass the raw body Twilio sent, which is form-encoded ASCII.",
            fields=[_BODY],
        ) from None


def form_pairs(source: FormSource | object) -> FormPairs:
    """Return every ``(name, value)`` pair of a form body, in order, blank values kept.

    Raises :class:`InvalidTwilioPayloadError` (a ``ValueError``) naming the parameter when the
    input is not text, and for a body with more than :data:`MAX_FORM_FIELDS` parameters.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        return _parse_body(decode_body(source))
    if isinstance(source, str):
        return _parse_body(source)
    if isinstance(source, Mapping | Iterable):
        try:
            return _checked(source)
        except InvalidTwilioPayloadError:
            raise
        except Exception as exc:  # the caller's own mapping or iterable failed while being read
            raise InvalidTwilioPayloadError(
                f"Reading the form fields from {type(source).__name__} failed "
                f"({_describe(exc)}): pass the raw request body (bytes), or the form object "
                "the web framework built, unchanged.",
                fields=[_BODY],
            ) from exc
    raise InvalidTwilioPayloadError(
        "A form body must be the raw body (bytes or str), a mapping or multi-dict of the form "
        f"fields, or a sequence of (name, value) pairs, not {type(source).__name__}.",
        fields=[_BODY],
    )


def _describe(exc: Exception) -> str:
    try:
        detail = str(exc)
    except Exception:  # an exception of the caller's own making may not even print
        detail = ""
    return f"{type(exc).__name__}: {detail[:80]}" if detail else type(exc).__name__


def _parse_body(text: str) -> FormPairs:
    # Hand-written rather than urllib.parse.parse_qsl so that a percent-escape that is not UTF-8
    # is reported with the parameter it sits in; the splitting rules are parse_qsl's with
    # keep_blank_values=True (split on "&" only, skip empty chunks, "name" alone means "name=").
    chunks = [chunk for chunk in text.split("&") if chunk]
    _check_count(len(chunks))
    return _parse_at_once(chunks) or _parse_each(chunks)


def _parse_at_once(chunks: list[str]) -> FormPairs | None:
    """Every name and value split and unquoted in one pass over the whole text (per-piece
    calls cost half of a parse); ``None`` (or an empty list) to go piece by piece instead.

    The pieces are joined with ``&``, which no piece holds raw and which is not a hex digit, so
    no escape can span two pieces. A piece that decodes to ``&`` (``%26``) would shift the
    split, and a bad escape must be reported with its own parameter: both go piece by piece.
    """
    joined = "&".join(chunks)
    if joined.count("=") == len(chunks) and not _TWO_EQUALS.search(joined):
        flat = joined.replace("=", "&")  # each chunk has exactly one "=": name&value
    else:
        flat = "&".join(part for chunk in chunks for part in chunk.partition("=")[::2])
    if "%" in flat or "+" in flat:
        try:
            flat = unquote_plus(flat, errors="strict")
        except UnicodeDecodeError:
            return None
    pieces = flat.split("&")
    if len(pieces) != 2 * len(chunks):
        return None
    return list(zip(pieces[::2], pieces[1::2], strict=True))


def _parse_each(chunks: list[str]) -> FormPairs:
    pairs: FormPairs = []
    for chunk in chunks:
        raw_name, _, raw_value = chunk.partition("=")
        name = _unquote(raw_name, raw_name)
        pairs.append((name, _unquote(raw_value, name)))
    return pairs


def _unquote(text: str, name: str) -> str:
    if "%" not in text and "+" not in text:
        return text
    try:
        return unquote_plus(text, errors="strict")
    except UnicodeDecodeError:
        raise InvalidTwilioPayloadError(
            f"{name[:60]!r}: a percent-escape does not decode as UTF-8: the body was re-encoded "
            "on the way (Twilio percent-encodes UTF-8); pass the raw request body.",
            fields=[name[:60]],
        ) from None


def _mapping_items(source: Mapping[Any, Any]) -> Iterable[object]:
    multi_items = getattr(source, "multi_items", None)
    if callable(multi_items):  # Starlette / FastAPI FormData
        return multi_items()  # type: ignore[no-any-return]
    if callable(getattr(source, "getall", None)):  # multidict (aiohttp): items() has every pair
        return source.items()
    lists = getattr(source, "lists", None)
    if callable(lists):  # Django QueryDict, Werkzeug MultiDict
        return _flattened(_pairs(lists(), source))
    return _flattened(source.items())


def _flattened(items: Iterable[tuple[object, object]]) -> Iterable[tuple[object, object]]:
    """``(name, [value, ...])`` items as one pair per value; a lone value is one pair."""
    return (
        (name, value)
        for name, raw in items
        for value in (raw if isinstance(raw, list | tuple) else (raw,))
    )


def _pairs(items: Iterable[object], source: object) -> Iterable[tuple[object, object]]:
    """Each item as a ``(name, value)`` pair, or an error naming the first item that is not."""
    for index, item in enumerate(items):
        if not isinstance(item, tuple | list) or len(item) != 2:
            shown = f"{type(item).__name__} {str(item)[:40]!r}"
            if isinstance(source, Mapping):
                raise InvalidTwilioPayloadError(
                    f"{type(source).__name__} gave form item #{index} as {shown}, not a "
                    "(name, value) pair: pass the raw request body (bytes), or the form object "
                    "the web framework built, unchanged.",
                    fields=[_BODY],
                )
            raise InvalidTwilioPayloadError(
                f"Form pair #{index} is {shown}, not a (name, value) pair: pass pairs such as "
                "[('Body', 'hi'), ...].",
                fields=[_BODY],
            )
        yield item[0], item[1]


def _checked(source: Mapping[Any, Any] | Iterable[Any]) -> FormPairs:
    items = _mapping_items(source) if isinstance(source, Mapping) else source
    pairs: FormPairs = []
    for name, value in _pairs(items, source):
        if not isinstance(name, str):
            raise InvalidTwilioPayloadError(
                f"A form field name is {type(name).__name__} {name!r:.40}, not str: "
                "decode the body before passing its fields.",
                fields=[_BODY],
            )
        if not isinstance(value, str):
            raise InvalidTwilioPayloadError(
                f"{name[:60]!r}: the value is {type(value).__name__}, not str; Twilio webhooks "
                "carry only text fields: pass the decoded form fields, not files or numbers.",
                fields=[name[:60]],
            )
        pairs.append((name, value))
        _check_count(len(pairs))
    return pairs


def _check_count(count: int) -> None:
    if count > MAX_FORM_FIELDS:
        raise InvalidTwilioPayloadError(
            f"The form has {count} or more parameters, more than the {MAX_FORM_FIELDS} any "
            "Twilio webhook carries: this is not a Twilio request; reject it.",
            fields=[_BODY],
        )
