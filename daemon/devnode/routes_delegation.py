"""Stake 2.0 and price queries: getdelegatedresourcev2, ...accountindexv2, getenergyprices, getburntrx."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from daemon.devnode.chain import DevnodeChain
from daemon.devnode.delegated import DelegatedResource
from daemon.devnode.shapes import nonzero
from daemon.tron.addresses import AddressError, show, to_raw

Params = dict[str, Any]
Handler = Callable[[DevnodeChain, Params, bool], dict[str, Any]]


def _visible(params: Params) -> bool:
    v = params.get("visible", False)
    return v is True or (isinstance(v, str) and v.lower() == "true")


def _error(exc: Exception) -> dict[str, Any]:
    return {"Error": f"class java.lang.IllegalArgumentException : {exc}"}


def _record(rec: DelegatedResource, visible: bool) -> dict[str, Any]:
    """DelegatedResource in field-number order, zero fields omitted."""
    return nonzero(
        **{"from": show(rec.from_address, visible), "to": show(rec.to_address, visible)},
        frozen_balance_for_bandwidth=rec.bandwidth,
        frozen_balance_for_energy=rec.energy,
        expire_time_for_bandwidth=rec.expire_bandwidth,
        expire_time_for_energy=rec.expire_energy,
    )


def getdelegatedresourcev2(chain: DevnodeChain, params: Params, solid: bool) -> dict[str, Any]:
    """Wallet.getDelegatedResourceV2: the unlocked then the locked record of one pair; {} when none."""
    try:
        frm = to_raw(str(params.get("fromAddress", "")))
        to = to_raw(str(params.get("toAddress", "")))
    except AddressError as exc:
        return _error(exc)
    vis = _visible(params)
    found = [chain.delegations.get(frm, to, locked) for locked in (False, True)]
    records = [_record(r, vis) for r in found if r is not None and not r.empty()]
    return {"delegatedResource": records} if records else {}


def getdelegatedresourceaccountindexv2(chain: DevnodeChain, params: Params, solid: bool) -> dict[str, Any]:
    """Wallet.getDelegatedResourceAccountIndexV2: who delegates to the account and whom it delegates to."""
    try:
        address = to_raw(str(params.get("value", "")))
    except AddressError as exc:
        return _error(exc)
    vis = _visible(params)
    froms, tos = chain.delegations.counterparts(address)
    return nonzero(
        account=show(address, vis),
        fromAccounts=[show(a, vis) for a in froms],
        toAccounts=[show(a, vis) for a in tos],
    )


def getenergyprices(chain: DevnodeChain, params: Params, solid: bool) -> dict[str, Any]:
    """{"prices": "0:<fee>,<ms>:<fee>,..."}: every getEnergyFee the devnode has run with."""
    return {"prices": chain.energy_prices.render()}


def getbandwidthprices(chain: DevnodeChain, params: Params, solid: bool) -> dict[str, Any]:
    """The same history for getTransactionFee."""
    return {"prices": chain.bandwidth_prices.render()}


def getburntrx(chain: DevnodeChain, params: Params, solid: bool) -> dict[str, Any]:
    """{"burnTrxAmount": sun}: every fee burned by the devnode's transactions (printed even when 0)."""
    return {"burnTrxAmount": sum(tx.fee for tx in chain.txs.values())}


HANDLERS: dict[str, Handler] = {
    "getdelegatedresourcev2": getdelegatedresourcev2,
    "getdelegatedresourceaccountindexv2": getdelegatedresourceaccountindexv2,
    "getenergyprices": getenergyprices,
    "getbandwidthprices": getbandwidthprices,
    "getburntrx": getburntrx,
}
