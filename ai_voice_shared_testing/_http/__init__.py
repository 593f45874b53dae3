"""The HTTP-fake family behind :mod:`ai_voice_shared_testing.http_fakes`; one concept a module.

- :mod:`.types`: the values a fake passes around (request, answer, record, fault);
- :mod:`.base`: :class:`FakeHttpService`, the core every fake builds on;
- :mod:`.interception`: which fake answers which origin, process-wide;
- :mod:`.transport_choice`: the one patch of httpx's insides, and why it is needed;
- :mod:`.transports`: the httpx transports (sync and async) that answer a fake's hosts;
- :mod:`.live`: a fake served over real HTTP on 127.0.0.1.

Imports run down this list, never back up; nothing here imports httpx until a fake intercepts.
"""
