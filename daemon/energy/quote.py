"""Fee of one USDT transfer paid by burning TRX: estimated energy × getEnergyFee + bandwidth (tron.md §3)."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, Literal

from tronpy import keys

from daemon.observability.profiler import profiled
from daemon.tron.client import TronClient
from daemon.tron.errors import TronApiError, TronError

log = logging.getLogger(__name__)

SUN_PER_TRX = 1_000_000
# §3: 130,285 energy for a USDT transfer to an address that holds none (dynamic penalty included).
FALLBACK_ENERGY = 130_285
# §3: "about 345 bytes of bandwidth" per USDT transfer (tronpy docs net_usage 344); varies slightly.
TRANSFER_BYTES = 345
# An address nobody holds a key for (hash of a label), so it never holds USDT: the empty-address price.
EMPTY_RECIPIENT: str = keys.to_base58check_address(
    "41" + hashlib.sha256(b"tronwatch:fee-quote:empty-recipient").digest()[:20].hex()
)
# The estimate's amount: energy does not depend on it, and 1 unit is within any holder's balance.
_ESTIMATE_AMOUNT = 1

EnergySource = Literal["estimate", "fallback"]


@dataclass(frozen=True, slots=True)
class FeeQuote:
    """A priced transfer, all figures integer sun; `total_trx` is exact (Decimal)."""

    energy: int
    energy_source: EnergySource
    energy_fee_sun: int
    energy_sun: int
    bandwidth_bytes: int
    transaction_fee_sun: int
    bandwidth_sun: int
    total_sun: int

    @property
    def total_trx(self) -> Decimal:
        """Total in TRX, exact to the sun."""
        return Decimal(self.total_sun) / SUN_PER_TRX

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready breakdown."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeeQuote:
        """The inverse of `as_dict` (rows written by the leader)."""
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


def price(
    energy: int,
    source: EnergySource,
    *,
    energy_fee_sun: int,
    transaction_fee_sun: int,
    bandwidth_available: int = 0,
    bandwidth_bytes: int = TRANSFER_BYTES,
) -> FeeQuote:
    """Energy × getEnergyFee, plus bytes × getTransactionFee unless the sender has that much bandwidth."""
    # java-tron burns for bandwidth only when neither staked nor free bandwidth covers the bytes (§3).
    bandwidth_sun = 0 if bandwidth_available >= bandwidth_bytes else bandwidth_bytes * transaction_fee_sun
    energy_sun = energy * energy_fee_sun
    return FeeQuote(
        energy=energy,
        energy_source=source,
        energy_fee_sun=energy_fee_sun,
        energy_sun=energy_sun,
        bandwidth_bytes=bandwidth_bytes,
        transaction_fee_sun=transaction_fee_sun,
        bandwidth_sun=bandwidth_sun,
        total_sun=energy_sun + bandwidth_sun,
    )


@profiled("tron.fee_quote")
async def quote_usdt_transfer(
    tron: TronClient,
    *,
    owner: str | None,
    to: str = EMPTY_RECIPIENT,
    energy_fee_sun: int | None = None,
    transaction_fee_sun: int | None = None,
    bandwidth_available: int = 0,
) -> FeeQuote:
    """Quote one USDT transfer from `owner` (a pool) to `to` at the chain's current prices.

    Energy comes from triggerconstantcontract; when that fails (no owner, node error, revert) the
    empty-address figure 130,285 is used. Fees are read from getchainparameters unless given.
    """
    energy, source = FALLBACK_ENERGY, "fallback"
    if owner is not None:
        try:
            estimated = await tron.estimate_usdt_transfer_energy(owner, to, _ESTIMATE_AMOUNT)
            if estimated > 0:
                energy, source = estimated, "estimate"
        except (TronError, TimeoutError, ValueError) as exc:
            log.info("energy estimate failed, using fallback error=%s", exc)
    if energy_fee_sun is None or transaction_fee_sun is None:
        params = await tron.get_chain_parameters()
        if energy_fee_sun is None:
            if "getEnergyFee" not in params:
                raise TronApiError("getchainparameters: no getEnergyFee")
            energy_fee_sun = params["getEnergyFee"]
        if transaction_fee_sun is None:
            transaction_fee_sun = params.get("getTransactionFee", 0)  # zero values are omitted (§2)
    return price(
        energy,
        source,  # type: ignore[arg-type]
        energy_fee_sun=energy_fee_sun,
        transaction_fee_sun=transaction_fee_sun,
        bandwidth_available=bandwidth_available,
    )
