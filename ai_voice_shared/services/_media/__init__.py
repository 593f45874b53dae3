"""The Twilio media family behind the media clients and ``MediaIngest``.

- :mod:`.base`: everything the client twins share but the I/O: which URLs get credentials,
  where redirects may go, the retry decisions, the size cap and the errors;
- :mod:`.download`: an open download (its type, size and body), sync and async;
- :mod:`.naming`: where a media item is stored in S3 and with which metadata.
"""

from __future__ import annotations
