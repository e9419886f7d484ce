"""Who signs an action: the built-in signer (a key from an env variable or a file) or an outside executor.

Keys live only in this process's memory: never logged, never written to the database.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from tronpy.keys import PrivateKey

from daemon.autopilot.settings import ReserveAccount


class SignerKeyError(Exception):
    """A reserve's key is missing or does not match its address (the message never holds the key)."""


@dataclass(frozen=True)
class Signers:
    """Private keys of the reserves that sign here, by address; the others go to the executor."""

    keys: Mapping[str, PrivateKey] = field(default_factory=dict)

    def kind(self, address: str) -> str:
        """'builtin' when this process holds the address's key, else 'executor'."""
        return "builtin" if address in self.keys else "executor"

    def key(self, address: str) -> PrivateKey:
        """The key for a builtin-signed reserve."""
        return self.keys[address]


def load_key(reserve: ReserveAccount, environ: Mapping[str, str] | None = None) -> PrivateKey:
    """Read a reserve's hex key from its env variable or file and check it matches the address."""
    env = os.environ if environ is None else environ
    if reserve.key_env is not None:
        raw = env.get(reserve.key_env)
        if not raw:
            raise SignerKeyError(
                f"reserve {reserve.address}: environment variable {reserve.key_env} is not set"
            )
    else:
        assert reserve.key_file is not None
        try:
            raw = reserve.key_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise SignerKeyError(
                f"reserve {reserve.address}: cannot read {reserve.key_file}: {exc.strerror}"
            ) from None
    try:
        key = PrivateKey(bytes.fromhex(raw.strip().removeprefix("0x")))
    except (ValueError, TypeError):
        raise SignerKeyError(f"reserve {reserve.address}: the key is not 32 bytes of hex") from None
    if key.public_key.to_base58check_address() != reserve.address:
        raise SignerKeyError(f"reserve {reserve.address}: the key belongs to another address")
    return key


def load_signers(
    reserves: list[ReserveAccount],
    extra: Mapping[str, PrivateKey] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Signers:
    """Builtin keys of the configured reserves, plus `extra` (the devnode's keys in demo mode)."""
    keys = dict(extra or {})
    for r in reserves:
        if r.signer == "builtin":
            keys[r.address] = load_key(r, environ)
        else:
            keys.pop(r.address, None)
    return Signers(keys)
