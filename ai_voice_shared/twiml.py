"""TwiML answers to a messaging webhook: nothing to say, or a reply.

    messaging_response()                  # '<?xml version="1.0" encoding="UTF-8"?><Response/>'
    messaging_response("Got it")          # ...<Response><Message><Body>Got it</Body></Message>...

Serve them with :data:`TWIML_MEDIA_TYPE`. The text is XML-escaped; characters XML 1.0 cannot
carry (control characters, lone surrogates) are dropped rather than making the answer invalid
(Twilio would then reply nothing, and log error 12100).
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

__all__ = ["TWIML_MEDIA_TYPE", "messaging_response"]

#: The Content-Type of a TwiML answer.
TWIML_MEDIA_TYPE = "text/xml; charset=utf-8"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
# Characters XML 1.0 does not allow, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def messaging_response(message: str | None = None, *, media_url: str | None = None) -> str:
    """A TwiML document: empty (``<Response/>``), or one ``<Message>`` with the text and,
    optionally, a ``<Media>`` URL to send back."""
    if message is None and media_url is None:
        return f"{_DECLARATION}<Response/>"
    parts = []
    if message is not None:
        parts.append(f"<Body>{_text(message)}</Body>")
    if media_url is not None:
        parts.append(f"<Media>{_text(media_url)}</Media>")
    return f"{_DECLARATION}<Response><Message>{''.join(parts)}</Message></Response>"


def _text(value: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"TwiML text must be str, not {type(value).__name__}")
    # A carriage return written as is comes back from any XML parser as a line feed.
    return escape(_NOT_XML.sub("", value), {"\r": "&#13;"})
