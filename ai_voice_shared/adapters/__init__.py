"""Web-framework adapters for Twilio webhooks, each importing its framework only when imported.

- :mod:`ai_voice_shared.adapters.starlette`: a Starlette/FastAPI dependency and
  ``TwiMLResponse`` (extra ``ai-voice-shared[starlette]`` or ``[fastapi]``);
- :mod:`ai_voice_shared.adapters.flask`: a Flask view decorator and ``twiml_response``
  (extra ``ai-voice-shared[flask]``);
- :mod:`ai_voice_shared.adapters.wsgi`: ``verify_environ`` for any WSGI application, no
  framework needed.

All of them rebuild the request URL as the server received it, read the body up to the
verifier's ``max_body_bytes``, and hand both to
:class:`~ai_voice_shared.webhooks.TwilioWebhookVerifier`; its errors carry the HTTP status to
answer (403 forged, 400 malformed, 413 too large).
"""

from __future__ import annotations

__all__: list[str] = []
