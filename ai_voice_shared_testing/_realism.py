"""What realistic Twilio and S3 values look like; shared by the factories and the strategies.

Plain data and pure functions, so both polyfactory (seeded ``random.Random``) and Hypothesis
(draws) build the same shapes: SIDs with the right prefix, E.164 numbers, canonical media URLs.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "API_VERSION",
    "AUDIO_TYPES",
    "IMAGE_TYPES",
    "MEDIA_TYPES",
    "MESSAGE_TYPES",
    "PROFILE_NAMES",
    "TWILIO_NUMBERS",
    "media_url",
]

API_VERSION = "2010-04-01"
#: Twilio's WhatsApp sandbox number and two business numbers of the synthetic 555 range.
TWILIO_NUMBERS = ["+14155238886", "+15555550000", "+15555550001"]
AUDIO_TYPES = ["audio/ogg", "audio/ogg; codecs=opus", "audio/mpeg", "audio/amr", "audio/mp4"]
IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"]
MEDIA_TYPES = [*AUDIO_TYPES, *IMAGE_TYPES, "video/mp4", "application/pdf", "text/vcard"]
#: MessageType by media family; text has none.
MESSAGE_TYPES: Mapping[str, str] = {
    "audio": "audio",
    "image": "image",
    "video": "video",
    "application": "document",
    "text": "contacts",
}
PROFILE_NAMES = ["Ana Souza", "Ravi Kumar", "Test User", "Chloé Martin", "Jürgen Weiß", "李雷"]


def media_url(account_sid: str, message_sid: str, media_sid: str) -> str:
    """Twilio's canonical URL of one media item."""
    return (
        f"https://api.twilio.com/{API_VERSION}/Accounts/{account_sid}/Messages/{message_sid}"
        f"/Media/{media_sid}"
    )
