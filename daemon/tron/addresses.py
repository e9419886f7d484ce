"""TRON addresses and keys: base58check/hex forms, key -> address, signature recovery (coincurve)."""

from __future__ import annotations

import hashlib

import base58
from coincurve import PrivateKey, PublicKey
from Crypto.Hash import keccak

ADDRESS_PREFIX = 0x41
ZERO_ADDRESS = bytes([ADDRESS_PREFIX]) + bytes(20)


class AddressError(ValueError):
    """Not a TRON address in base58check or 41-prefixed hex form."""


def to_raw(addr: str) -> bytes:
    """Decode `T...` base58check or `41...` hex (or 0x-prefixed 20-byte hex) to 21 raw bytes."""
    try:
        if len(addr) == 34 and addr.startswith("T"):
            raw = base58.b58decode_check(addr)
        elif len(addr) == 42 and addr[:2].lower() == "41":
            raw = bytes.fromhex(addr)
        elif len(addr) == 42 and addr.startswith("0x"):
            raw = bytes([ADDRESS_PREFIX]) + bytes.fromhex(addr[2:])
        else:
            raise AddressError(f"invalid address {addr!r}")
    except ValueError as exc:
        raise AddressError(f"invalid address {addr!r}") from exc
    if len(raw) != 21 or raw[0] != ADDRESS_PREFIX:
        raise AddressError(f"invalid address {addr!r}")
    return raw


def b58(raw: bytes) -> str:
    """21 raw bytes -> base58check `T...`."""
    return base58.b58encode_check(raw).decode()


def show(raw: bytes, visible: bool) -> str:
    """java-tron's address printing: base58 when visible, else lowercase hex."""
    return b58(raw) if visible else raw.hex()


def keccak256(data: bytes) -> bytes:
    """Ethereum-style Keccak-256 (not SHA3-256)."""
    return keccak.new(digest_bits=256, data=data).digest()


def address_of_public(public_uncompressed: bytes) -> bytes:
    """0x41 ++ last 20 bytes of keccak256(64-byte public key)."""
    return bytes([ADDRESS_PREFIX]) + keccak256(public_uncompressed[-64:])[-20:]


def address_of_key(private_key: bytes) -> bytes:
    """The raw address controlled by a 32-byte private key."""
    return address_of_public(PrivateKey(private_key).public_key.format(compressed=False))


def key_from_seed(seed: str) -> bytes:
    """A deterministic private key for demo/test accounts: sha256('tronwatch-devnode:' + seed)."""
    return hashlib.sha256(b"tronwatch-devnode:" + seed.encode()).digest()


def sign_hash(private_key: bytes, digest: bytes) -> bytes:
    """65-byte r||s||v recoverable signature over a 32-byte digest (what tronpy produces)."""
    return PrivateKey(private_key).sign_recoverable(digest, hasher=None)


def recover_address(digest: bytes, signature: bytes) -> bytes:
    """Recover the signer's raw address; raises ValueError for a malformed signature."""
    if len(signature) != 65:
        raise ValueError(f"Signature size is {len(signature)}")
    v = signature[64]
    if v >= 27:
        v -= 27
    if v not in (0, 1):
        raise ValueError(f"invalid recovery id {signature[64]}")
    try:
        public = PublicKey.from_signature_and_message(signature[:64] + bytes([v]), digest, hasher=None)
    except Exception as exc:  # coincurve raises bare Exception for bad points
        raise ValueError(str(exc)) from exc
    return address_of_public(public.format(compressed=False))
