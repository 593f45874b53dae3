"""The base of the Twilio webhook models: parse a form body, keep every pair, emit it again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from ai_voice_shared._form import FormPairs, FormSource, form_pairs
from ai_voice_shared.errors import InvalidTwilioPayloadError
from ai_voice_shared.models._wire import LONE_SURROGATE, has_lone_surrogate

__all__ = ["TwilioFormModel", "describe_pattern"]

#: Validation context key of the unknown parameters of a form body (``from_form``).
_WIRE_EXTRAS = "aivs_wire_extras"
#: Validation context key: the text came from bytes decoded as strict UTF-8 (``from_form``).
_UTF8_CHECKED = "aivs_utf8_checked"

#: How a failed SID pattern is explained to the user, by pattern.
_PATTERN_HINTS: dict[str, str] = {}


def describe_pattern(pattern: str, hint: str) -> str:
    """Register a human description for a SID pattern, used in error messages; return it."""
    _PATTERN_HINTS[pattern] = hint
    return pattern


class TwilioFormModel(BaseModel):
    """A Twilio webhook as a frozen model that round-trips to the exact form pairs it came from.

    Unknown parameters are kept in ``model_extra`` (a ``str``, or a ``tuple[str, ...]`` when the
    name repeats) and emitted again by :meth:`to_form`.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="allow",
        validate_by_name=True,
        validate_by_alias=True,
        defer_build=True,
        regex_engine="rust-regex",
    )

    #: Fields whose wire value is a JSON document.
    #: The section of docs/twilio.md that lists this model's parameters (named in errors).
    _docs_section: ClassVar[str] = "parameters"
    _json_fields: ClassVar[frozenset[str]] = frozenset()
    #: Wire names of the declared fields; a repeated one is an error, not a multi-value.
    _wire_names: ClassVar[frozenset[str]] = frozenset()
    #: Python names of fields that do not appear on the wire as themselves (media).
    _derived_fields: ClassVar[frozenset[str]] = frozenset()

    #: Wire names of the required fields.
    _required_wire_names: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        wire = {
            name: field.alias or name
            for name, field in cls.model_fields.items()
            if name not in cls._derived_fields
        }
        cls._wire_names = frozenset(wire.values())
        cls._required_wire_names = frozenset(
            alias for name, alias in wire.items() if cls.model_fields[name].is_required()
        )

    # -- parsing ---------------------------------------------------------------------------

    @classmethod
    def from_form(cls, body: FormSource) -> Self:
        """Parse a webhook from its raw form body or the fields a web framework parsed.

        ``body`` is the raw body (``bytes`` or ``str``, form-encoded), a mapping or multi-dict
        (Starlette ``FormData``, Werkzeug ``MultiDict``, Django ``QueryDict``, aiohttp
        ``MultiDict``), or a sequence of ``(name, value)`` pairs. Only Twilio's wire names are
        read (``From``, not ``from_``). Raises :class:`InvalidTwilioPayloadError` (a
        ``ValueError``) naming every offending parameter.
        """
        fields: dict[str, Any] = {}
        extras: dict[str, str | tuple[str, ...]] = {}
        wire_names, is_derived = cls._wire_names, cls._is_derived_wire_name
        for name, value in form_pairs(body):
            # Only Twilio's exact wire names reach the fields; any other name ("from_",
            # "\x00Body", "media") is an unknown parameter, kept as sent.
            if name in wire_names:
                if name in fields:
                    raise InvalidTwilioPayloadError(
                        f"Twilio webhook payload is invalid: {name} appears more than once; "
                        "Twilio sends it once. Pass the body as Twilio sent it.",
                        fields=[name],
                    )
                fields[name] = value
            else:
                _add(fields if is_derived(name) else extras, name, value)
        if not cls._required_wire_names.intersection(fields):
            raise InvalidTwilioPayloadError(
                f"The body carries none of the parameters a {cls.__name__} always has "
                f"({', '.join(sorted(cls._required_wire_names))}): it is not this kind of Twilio "
                "webhook, or the handler passed something else (a JSON body, the query string, "
                "an already-consumed stream).",
                fields=["<body>"],
            )
        # The unknown parameters travel beside the data, in the validation context, rather than
        # in it: in the data, a name such as "message_sid" would meet pydantic's by-name
        # matching of the fields (validate_by_name, which the constructor needs).
        context: dict[str, Any] = {_WIRE_EXTRAS: extras}
        if isinstance(body, bytes | bytearray | memoryview):
            # Decoded as strict UTF-8 and unquoted with errors="strict": no lone surrogate can
            # be in it, so the check (a fifth of a parse) is skipped, not dropped.
            context[_UTF8_CHECKED] = True
        try:
            return cls.model_validate(fields, by_alias=True, by_name=False, context=context)
        except ValidationError as exc:
            raise cls._payload_error(exc) from exc

    @classmethod
    def _is_derived_wire_name(cls, name: str) -> bool:
        """Whether ``name`` is a wire parameter of a derived field; subclasses override."""
        return False

    @model_validator(mode="before")
    @classmethod
    def _prepare(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict):
            return data
        context = info.context
        if not (isinstance(context, dict) and context.get(_UTF8_CHECKED) is True):
            _refuse_lone_surrogates(data)
            _refuse_lone_surrogates(_wire_extras(info))
        return cls._prepare_data(data)

    @classmethod
    def _prepare_data(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Map wire parameters onto derived fields; subclasses with derived fields override."""
        return data

    @model_validator(mode="after")
    def _check_extras(self, info: ValidationInfo) -> Self:
        extra = self.__pydantic_extra__
        if extra is None:
            return self
        extra.update(_wire_extras(info))
        for key, value in extra.items():
            if isinstance(value, list):
                value = extra[key] = tuple(value)
            if not (
                isinstance(value, str)
                or (isinstance(value, tuple) and all(isinstance(v, str) for v in value))
            ):
                raise ValueError(
                    f"unknown parameter {key[:60]!r} must be a str or a tuple of str (its wire "
                    f"value), not {type(value).__name__}"
                )
        return self

    @classmethod
    def _payload_error(cls, exc: ValidationError) -> InvalidTwilioPayloadError:
        fields: list[str] = []
        lines: list[str] = []
        for error in exc.errors(include_url=False):
            names = cls._wire_locations(error)
            fields.extend(name for name in names if name not in fields)
            lines.append(f"- {', '.join(names) or '<payload>'}: {_explain(error)}")
        count = len(lines)
        return InvalidTwilioPayloadError(
            f"{cls.__name__} is invalid ({count} problem{'s' if count != 1 else ''}):\n"
            + "\n".join(lines)
            + "\nPass the raw form body exactly as Twilio sent it (every parameter, blank "
            f"values included); see the parameters in docs/twilio.md#{cls._docs_section}.",
            fields=fields,
        )

    @classmethod
    def _wire_locations(cls, error: ErrorDetails) -> list[str]:
        ctx = error.get("ctx") or {}
        if "fields" in ctx:
            return str(ctx["fields"]).split(",")
        loc = error["loc"]
        if not loc:
            return []
        head = loc[0]
        if head in cls._derived_fields:
            return [cls._derived_location(loc)]
        if isinstance(head, str) and head in cls.model_fields:
            return [cls.model_fields[head].alias or head]
        return [str(head)]

    @classmethod
    def _derived_location(cls, loc: tuple[int | str, ...]) -> str:
        """The wire name behind an error inside a derived field; subclasses override."""
        return ".".join(map(str, loc))

    # -- emitting --------------------------------------------------------------------------

    def to_form(self) -> FormPairs:
        """Return the wire pairs: ``from_form(urlencode(p.to_form())) == p``.

        Every parameter the payload was parsed from comes back, unknown ones included; a typed
        parameter Twilio sent blank is emitted blank again. Numbers and booleans are written
        the way Twilio writes them (``1``, ``true``).
        """
        pairs: FormPairs = []
        fields_set = self.model_fields_set
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if name in self._derived_fields:
                pairs.extend(self._derived_pairs(name, value))
            elif value is not None:
                pairs.append((field.alias or name, self._render(name, value)))
            elif name in fields_set:
                pairs.append((field.alias or name, ""))
        for key, value in (self.__pydantic_extra__ or {}).items():
            if isinstance(value, str):
                pairs.append((key, value))
            else:
                pairs.extend((key, item) for item in value)
        return pairs

    def _derived_pairs(self, name: str, value: Any) -> Iterator[tuple[str, str]]:
        """Emit the wire pairs of a derived field; subclasses that declare one override this."""
        raise NotImplementedError(f"{type(self).__name__} declares {name} but cannot emit it")

    def _render(self, name: str, value: object) -> str:
        if name in self._json_fields:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, Enum):
            return str(value.value)
        if isinstance(value, int | Decimal | str):
            return str(value)
        raise TypeError(f"{type(self).__name__}.{name}: cannot write {type(value).__name__}")


def _add(data: dict[str, Any], name: str, value: str) -> None:
    """Store a form pair: a repeated name keeps every value, in order, as a tuple."""
    previous = data.get(name)
    if previous is None:
        data[name] = value
    elif isinstance(previous, tuple):
        data[name] = (*previous, value)
    else:
        data[name] = (previous, value)


def _wire_extras(info: ValidationInfo) -> dict[str, str | tuple[str, ...]]:
    """The unknown parameters ``from_form`` passes in the context (none for other callers)."""
    context = info.context
    extras = context.get(_WIRE_EXTRAS) if isinstance(context, dict) else None
    return extras if isinstance(extras, dict) else {}


def _refuse_lone_surrogates(data: dict[str, Any]) -> None:
    # One search over all the text first (the usual answer is "none"); only then find who.
    texts: list[str] = []
    for name, value in data.items():
        texts.append(name)
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, tuple):
            texts.extend(item for item in value if isinstance(item, str))
    if not LONE_SURROGATE.search("".join(texts)):
        return
    for name, value in data.items():
        if has_lone_surrogate(name) or (
            isinstance(value, str | tuple) and has_lone_surrogate(value)
        ):
            shown = name.encode("utf-8", "backslashreplace").decode()[:60]
            raise PydanticCustomError(
                "twilio_text",
                "{what} holds a lone surrogate (U+D800 to U+DFFF), which no UTF-8 text "
                "can carry: it cannot have come from Twilio",
                {"what": shown, "fields": shown},
            )


def _explain(error: ErrorDetails) -> str:
    message = error["msg"]
    if error["type"] == "string_pattern_mismatch":
        pattern = str((error.get("ctx") or {}).get("pattern", ""))
        message = f"must be {_PATTERN_HINTS.get(pattern, f'of the form {pattern}')}"
    elif message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    if error["type"] in ("missing", "twilio_media", "twilio_text"):
        return message
    given = error.get("input")
    if isinstance(given, str | int | float | Decimal | tuple):
        shown = repr(given)
        shown = shown if len(shown) <= 50 else shown[:47] + "..."
        message += f" (got {shown})"
    return message
