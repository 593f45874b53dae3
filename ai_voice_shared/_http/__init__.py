"""HTTP machinery every httpx client of the library shares: hard deadlines and bounded bodies.

httpx's timeouts apply to each socket operation: a server that sends one byte every half second
never trips a 1 s read timeout, and holds a request for as long as it likes. And httpx reads and
decompresses whatever a server sends. The family closes both holes:

- :mod:`.deadline`: the deadline of the current call (a context variable);
- :mod:`.guard`: httpcore's network backend with every socket operation (connect, TLS, write,
  each read) bounded by the time left before that deadline;
- :mod:`.transports`: the httpx transports the clients use, with the guard;
- :mod:`.bodies`: response bodies read within a size limit and the deadline, decoded as
  declared, a compressed body inflated in bounded steps (a "zip bomb" costs no more memory
  than an honest body of the limit's size).
"""

from __future__ import annotations
