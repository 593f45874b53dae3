"""The HTTP-fake family behind :mod:`ai_voice_shared_testing.http_fakes`; one concept a module.

From the bottom up (each module imports only modules listed before it):

- :mod:`.types`: the values a fake passes around (request, answer, record, fault);
- :mod:`.live`: a fake served over real HTTP on 127.0.0.1;
- :mod:`.transports`: the httpx transports (sync and async) that answer a fake's hosts;
- :mod:`.transport_choice`: the one patch of httpx's insides, and why it is needed;
- :mod:`.real_hosts`: the guard that stops requests to real Twilio and AWS hosts;
- :mod:`.requests_patch`: the fakes for ``requests`` (the official ``twilio`` SDK);
- :mod:`.aiohttp_patch`: the fakes for aiohttp (the SDK's ``AsyncTwilioHttpClient``);
- :mod:`.interception`: which fake answers which origin, process-wide;
- :mod:`.base`: :class:`FakeHttpService`, the core every fake builds on.

Nothing here imports httpx, requests or aiohttp until a fake intercepts.
"""
