"""A short cache of API-key lookups that still honours revocation."""

from __future__ import annotations

import time

from daemon.accounts import Principal

_MAX_ENTRIES = 10_000


class KeyCache:
    """Key hash -> principal (or None) for `ttl` seconds; local revocations evict at once."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[bytes, tuple[Principal | None, float]] = {}

    def get(self, key_hash: bytes) -> tuple[bool, Principal | None]:
        """(hit, principal) for a cached key."""
        entry = self._entries.get(key_hash)
        if entry is None or entry[1] < time.monotonic():
            return False, None
        return True, entry[0]

    def put(self, key_hash: bytes, principal: Principal | None) -> None:
        """Remember a lookup result."""
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries.clear()
        self._entries[key_hash] = (principal, time.monotonic() + self.ttl)

    def evict_key(self, key_id: int) -> None:
        """Forget a key that was just revoked here."""
        for key_hash, (principal, _) in list(self._entries.items()):
            if principal is not None and principal.key_id == key_id:
                del self._entries[key_hash]
