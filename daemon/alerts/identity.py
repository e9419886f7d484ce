"""Ids receivers deduplicate by: the install id (one per database) joined with the notification id."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit


def delivery_id(row: dict[str, Any]) -> str:
    """`<install>:<notification id>`: the same on every retry, different on another installation."""
    install = row.get("install_id")
    return f"{install}:{row['notification_id']}" if install else str(row["notification_id"])


def message_id(row: dict[str, Any], domain: str) -> str:
    """An RFC 5322 Message-ID from the delivery id (stable across retries, unlike make_msgid's)."""
    local = delivery_id(row).replace(":", ".").replace("@", ".").replace(" ", "")
    return f"<{local}@{domain}>"


def default_domain(external_url: str) -> str:
    """The public URL's host when it is a real name, else this machine's fully qualified name."""
    host = urlsplit(external_url).hostname or ""
    try:
        ipaddress.ip_address(host)
        host = ""
    except ValueError:
        pass
    if host and host != "localhost" and "." in host:
        return host
    fqdn = socket.getfqdn()
    return fqdn if fqdn and fqdn != "localhost" else "localhost.localdomain"
