"""A lost database told apart from a bug, and reported once per outage rather than once per request."""

from __future__ import annotations

import logging
import time
from types import TracebackType

import asyncpg

from daemon.db.connect import DatabaseUnavailable

# Seconds a client is asked to wait: the embedded server is back within a few seconds of a crash.
RETRY_AFTER = 3

# The server is gone or refusing (shutdown, crash recovery, too many clients), or the link to it broke
# (docs/failure-modes.md lists what asyncpg raises when).
_LOST = (
    DatabaseUnavailable,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)


def _from_driver(tb: TracebackType | None) -> bool:
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__", "").startswith("asyncpg"):
            return True
        tb = tb.tb_next
    return False


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` means "the database cannot be reached now" (not a bad query or a bug)."""
    if isinstance(exc, _LOST):
        return True
    if isinstance(exc, asyncpg.InterfaceError):
        return "connection is closed" in str(exc)
    # Refused/reset sockets and pool or statement timeouts: OSError/TimeoutError raised inside the driver
    # (the same types from the TRON client or an HTTP channel are not the database's).
    return isinstance(exc, OSError | TimeoutError) and _from_driver(exc.__traceback__)


class Outage:
    """Logs the first failure of a run and the recovery after it; the failures between stay quiet."""

    def __init__(self, logger: logging.Logger, consequence: str) -> None:
        self.log = logger
        self.consequence = consequence  # what the failures mean for users, said once
        self.down_since: float | None = None

    def failed(self, exc: BaseException) -> None:
        """A failure: logged only if the last report was a success."""
        if self.down_since is None:
            self.down_since = time.monotonic()
            self.log.warning("database unavailable, %s error=%s", self.consequence, _reason(exc))

    def succeeded(self) -> None:
        """A success: logged only if it ends an outage."""
        if self.down_since is not None:
            seconds, self.down_since = time.monotonic() - self.down_since, None
            self.log.info("database reachable again after %.1f s", seconds)


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
