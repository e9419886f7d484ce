"""The admin API's view of a pool's delegations (Stake 2.0)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from daemon.energy.delegations import Delegation

SUN = Decimal(1_000_000)


class DelegationStatus(BaseModel):
    """One delegation record of the pool's energy."""

    direction: Literal["in", "out"] = Field(
        description="in: another account delegates energy to the pool; out: the pool delegates to it"
    )
    counterpart: str = Field(description="The delegator (in) or the receiver (out), base58")
    amount_trx: Decimal = Field(description="The delegated stake in TRX")
    energy: int = Field(description="The energy that stake yields at the current network totals")
    locked: bool
    expires_at: datetime | None = Field(
        description="End of the lock; until then the delegator cannot reclaim. Null when unlocked "
        "(reclaimable at any time)"
    )


def delegation_status(d: Delegation) -> DelegationStatus:
    """A Delegation as the API shows it."""
    return DelegationStatus(
        direction=d.direction,
        counterpart=d.counterpart,
        amount_trx=Decimal(d.amount_sun) / SUN,
        energy=d.energy,
        locked=d.expires_at is not None,
        expires_at=d.expires_at,
    )
