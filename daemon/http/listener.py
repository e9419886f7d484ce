"""The HTTP listener: aiohttp's server plus a deadline for reading request headers.

aiohttp has no header timeout: a client that sends its headers a byte at a time keeps its
connection (and a slot of every proxy in front) until the keep-alive timeout, an hour by default.
Here a request's headers must be complete `header_timeout` seconds after its first byte (after
the connection opened, for the first request). Request bodies are not limited by it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler


class HeaderDeadlineHandler(RequestHandler):
    """aiohttp's connection handler that closes the connection when headers arrive too slowly.

    A request's headers only note when they began; one timer per connection checks that mark and is
    re-armed from its own callback, so a keep-alive connection's requests arm and cancel no timers.
    """

    def __init__(self, manager: web.Server, *, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._header_timeout = header_timeout
        self._header_timer: asyncio.TimerHandle | None = None
        self._headers_since: float | None = None  # when the pending request's headers began
        self._body: Any = None  # the payload of the last request whose headers arrived

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Start the first request's deadline."""
        super().connection_made(transport)
        self._headers_began()

    def data_received(self, data: bytes) -> None:
        """Complete headers end the deadline; the first bytes of the next request start one."""
        before = self._request_count
        body = self._body is not None and not self._body.is_eof()  # bytes of the last request's body
        super().data_received(data)
        if self._request_count != before:
            self._body = self._messages[-1][1] if self._messages else None
            self._headers_since = None
        elif data and self._headers_since is None and not body:
            self._headers_began()  # the first bytes of a new request's headers

    def connection_lost(self, exc: BaseException | None) -> None:
        """No deadline for a closed connection."""
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        super().connection_lost(exc)

    def _headers_began(self) -> None:
        self._headers_since = self._loop.time()
        if self._header_timer is None:
            self._header_timer = self._loop.call_at(self._headers_since + self._header_timeout, self._check)

    def _check(self) -> None:
        self._header_timer = None
        if self._headers_since is None:
            return  # the headers did arrive: the next request's first bytes arm the timer again
        left = self._headers_since + self._header_timeout - self._loop.time()
        if left <= 0 and self._request_in_progress:
            # A pipelined request's headers: their clock starts once this one is answered.
            self._headers_since, left = self._loop.time(), self._header_timeout
        if left > 0:
            self._header_timer = self._loop.call_later(left, self._check)
            return
        self.force_close()


class HeaderDeadlineServer(web.Server):
    """aiohttp's Server making HeaderDeadlineHandlers."""

    header_timeout = 15.0

    def __call__(self) -> RequestHandler:
        """A handler for one new connection."""
        return HeaderDeadlineHandler(
            self, header_timeout=self.header_timeout, loop=self._loop, **self._kwargs
        )


class Runner(web.AppRunner):
    """web.AppRunner whose server enforces the header deadline."""

    def __init__(self, app: web.Application, *, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._header_timeout = header_timeout

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        # aiohttp builds the Server (startup, handler arguments); only the handler type changes.
        server.__class__ = HeaderDeadlineServer
        assert isinstance(server, HeaderDeadlineServer)
        server.header_timeout = self._header_timeout
        return server
