"""A TCP proxy on 127.0.0.1 that damages traffic on purpose: what a service tests resilience with.

Put it between a client and a real server (SeaweedFS, a live fake, a moto server) and choose
what goes wrong, per direction (``"request"``: client to server, ``"response"``: back):

- :meth:`FaultProxy.flip`: flip one bit, ``offset`` bytes after a marker (by default the end of
  the HTTP headers, so the body is hit), in the next ``times`` messages;
- :meth:`FaultProxy.cut`: drop the connection after ``after_bytes`` bytes of a direction;
- :meth:`FaultProxy.trickle`: pass a direction on ``chunk`` bytes at a time, one chunk every
  ``every`` seconds (a server that never quite times out);
- :meth:`FaultProxy.latency`: hold each request ``seconds`` before passing it on (a distant
  region on loopback).

::

    with FaultProxy(server.endpoint_url) as proxy:
        proxy.flip(direction="response", offset=100)
        S3Service(settings.model_copy(update={"endpoint_url": proxy.url})).download_bytes(key)

One thread per connection and direction; meant for tests and benchmarks, not for production
traffic. Only the standard library is used.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, Self
from urllib.parse import urlsplit

__all__ = ["Direction", "FaultProxy"]

Direction = Literal["request", "response"]
_CHUNK = 64 * 1024


@dataclass
class _Flip:
    direction: Direction
    after: bytes
    offset: int
    bit: int
    times: int


@dataclass
class _Cut:
    direction: Direction
    after_bytes: int
    times: int


@dataclass
class _Trickle:
    direction: Direction
    chunk: int
    every: float


class _Connection:
    """One proxied connection: its two sockets and where its request/response turns are."""

    def __init__(self, client: socket.socket, server: socket.socket) -> None:
        self.client = client
        self.server = server
        self.responded = 0
        self._seen = -1

    def before_request(self, latency: float) -> None:
        # A request starts when the client speaks first, or again after an answer.
        if latency and self.responded != self._seen:
            time.sleep(latency)
        self._seen = self.responded


class _Pump:
    """Copies one direction of one connection, applying the proxy's faults."""

    def __init__(
        self,
        proxy: FaultProxy,
        direction: Direction,
        source: socket.socket,
        sink: socket.socket,
        connection: _Connection,
    ) -> None:
        self.proxy = proxy
        self.connection = connection
        self.direction = direction
        self.source = source
        self.sink = sink
        self.sent = 0
        self.window = b""  # the tail of what passed, to find a marker split across reads
        self.armed: tuple[_Flip, int] | None = None  # a flip found its marker: where to flip

    def run(self) -> None:
        try:
            while data := self.source.recv(_CHUNK):
                if self.direction == "request":
                    self.connection.before_request(self.proxy._latency)
                data = self._flip(data)
                if not self._send(data):
                    break
        except OSError:
            pass
        finally:
            for sock in (self.sink, self.source):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def _flip(self, data: bytes) -> bytes:
        buffer = bytearray(data)
        cursor = 0  # where the next marker search starts in buffer
        while True:
            if self.armed is None:
                flip = self.proxy._pending_flip(self.direction)
                if flip is None:
                    break
                # Before the first flip the marker may straddle the previous read.
                before = self.window if cursor == 0 else b""
                haystack = before + bytes(buffer[cursor:])
                found = haystack.find(flip.after) if flip.after else 0
                if found < 0:
                    break
                target = cursor - len(before) + found + len(flip.after) + flip.offset
                self.armed = (flip, max(target, cursor))
            flip, target = self.armed
            if target >= len(buffer):
                self.armed = (flip, target - len(buffer))
                break
            buffer[target] ^= 1 << flip.bit
            self.proxy._flipped(flip)
            self.armed = None
            cursor = target + 1
        self.window = (self.window + bytes(buffer))[-64:]
        return bytes(buffer)

    def _send(self, data: bytes) -> bool:
        cut = self.proxy._pending_cut(self.direction)
        if cut is not None and self.sent + len(data) >= cut.after_bytes:
            keep = max(cut.after_bytes - self.sent, 0)
            self._deliver(data[:keep])
            self.proxy._cut_done(cut)
            for sock in (self.connection.client, self.connection.server):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            return False
        self._deliver(data)
        return True

    def _deliver(self, data: bytes) -> None:
        trickle = self.proxy._trickle_for(self.direction)
        if trickle is None:
            self.sink.sendall(data)
        else:
            for start in range(0, len(data), trickle.chunk):
                time.sleep(trickle.every)
                self.sink.sendall(data[start : start + trickle.chunk])
        self.sent += len(data)
        if self.direction == "response":
            self.connection.responded += len(data)
            self.proxy._bytes_to_client(len(data))


class FaultProxy:
    """Forwards 127.0.0.1:<port> to ``upstream`` (``http://host:port`` or ``host:port``)."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream if "://" in upstream else f"tcp://{upstream}")
        if parts.hostname is None or parts.port is None:
            raise ValueError(
                f"FaultProxy needs an upstream with a host and a port, not {upstream!r}"
            )
        self.upstream = (parts.hostname, parts.port)
        self._scheme = parts.scheme if parts.scheme in ("http", "https") else "http"
        self._lock = threading.Lock()
        self._flips: list[_Flip] = []
        self._cuts: list[_Cut] = []
        self._trickles: dict[Direction, _Trickle] = {}
        self._latency = 0.0
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._open: list[socket.socket] = []
        self.connections = 0
        self.flipped = 0
        self.cuts = 0
        self.response_bytes = 0

    # -- faults ---------------------------------------------------------------------------------

    def flip(
        self,
        *,
        direction: Direction = "response",
        after: bytes = b"\r\n\r\n",
        offset: int = 0,
        bit: int = 0,
        times: int = 1,
    ) -> None:
        """Flip ``bit`` of the byte ``offset`` bytes after the next ``after`` marker (the end
        of the HTTP headers by default; ``b""`` counts from the connection's start), in each
        of the next ``times`` messages of ``direction``."""
        with self._lock:
            self._flips.append(_Flip(direction, after, offset, bit, times))

    def cut(self, *, direction: Direction = "response", after_bytes: int, times: int = 1) -> None:
        """Drop the next ``times`` connections once ``after_bytes`` bytes of ``direction``
        have passed (each connection counts from zero)."""
        with self._lock:
            self._cuts.append(_Cut(direction, after_bytes, times))

    def trickle(self, *, direction: Direction = "response", chunk: int = 1, every: float) -> None:
        """Pass ``direction`` on ``chunk`` bytes at a time, one chunk every ``every`` seconds."""
        with self._lock:
            self._trickles[direction] = _Trickle(direction, chunk, every)

    def latency(self, seconds: float) -> None:
        """Hold each request ``seconds`` before passing it on."""
        with self._lock:
            self._latency = seconds

    def clear(self) -> None:
        """Forget every fault."""
        with self._lock:
            self._flips.clear()
            self._cuts.clear()
            self._trickles.clear()
            self._latency = 0.0

    # -- bookkeeping used by the pumps ----------------------------------------------------------

    def _pending_flip(self, direction: Direction) -> _Flip | None:
        with self._lock:
            return next((f for f in self._flips if f.direction == direction and f.times), None)

    def _flipped(self, flip: _Flip) -> None:
        with self._lock:
            flip.times -= 1
            self.flipped += 1

    def _pending_cut(self, direction: Direction) -> _Cut | None:
        with self._lock:
            return next((c for c in self._cuts if c.direction == direction and c.times), None)

    def _cut_done(self, cut: _Cut) -> None:
        with self._lock:
            cut.times -= 1
            self.cuts += 1

    def _trickle_for(self, direction: Direction) -> _Trickle | None:
        return self._trickles.get(direction)

    def _bytes_to_client(self, count: int) -> None:
        with self._lock:
            self.response_bytes += count

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port the proxy listens on."""
        if self._listener is None:
            raise RuntimeError("FaultProxy is not started: call start() or use it as a context.")
        port: int = self._listener.getsockname()[1]
        return port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: use it instead of the upstream's URL."""
        return f"{self._scheme}://127.0.0.1:{self.port}"

    def start(self) -> Self:
        """Listen on a free 127.0.0.1 port and forward each connection."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(256)
        self._listener = listener
        thread = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def _accept(self) -> None:
        listener = self._listener  # stop() sets the attribute to None while this thread runs
        assert listener is not None
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                if self._listener is None:  # stopped meanwhile: this connection is not served
                    client.close()
                    server.close()
                    return
                self.connections += 1
                self._open.extend([client, server])
            connection = _Connection(client, server)
            pumps = (
                _Pump(self, "request", client, server, connection),
                _Pump(self, "response", server, client, connection),
            )
            for pump in pumps:
                threading.Thread(target=pump.run, daemon=True).start()

    def stop(self) -> None:
        """Stop listening and close every connection."""
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._open = self._open, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
