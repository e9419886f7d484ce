"""java-tron JSON for accounts, resources and chain parameters (tron.md §2): zero fields omitted."""

from __future__ import annotations

from typing import Any

from daemon.devnode.accounts import Account
from daemon.devnode.chain import DevnodeChain
from daemon.devnode.resources import (
    energy_limit_of,
    energy_used,
    energy_view,
    free_net_used,
    net_limit_of,
    net_used,
    net_view,
)
from daemon.tron.addresses import show
from daemon.tron.energy import SLOT_MS

ACTIVE_OPERATIONS = "7fff1fc0033efb0f000000000000000000000000000000000000000000000000"


def nonzero(**fields: Any) -> dict[str, Any]:
    """Keep fields java-tron would print: not 0, False, "", [] or {}."""
    return {k: v for k, v in fields.items() if v not in (0, False, "", None) and v != [] and v != {}}


def account(chain: DevnodeChain, acc: Account, visible: bool) -> dict[str, Any]:
    """wallet/getaccount: usage advanced to the head slot, consume times in ms (Wallet.getAccount)."""
    slot = chain.head_slot
    # updateUsage gives even a fresh account full windows (docs/devnode-fidelity.md, fact 6).
    e_usage, e_window = energy_view(acc, slot)
    n_usage, n_window = net_view(acc, slot)
    addr = show(acc.address, visible)
    resource = nonzero(
        energy_usage=e_usage,
        latest_consume_time_for_energy=acc.energy_slot * SLOT_MS,
        energy_window_size=e_window,
        delegated_frozenV2_balance_for_energy=acc.delegated_energy,
        acquired_delegated_frozenV2_balance_for_energy=acc.acquired_energy,
        energy_window_optimized=e_window > 0,
    )
    keys = [{"address": addr, "weight": 1}]
    frozen_v2: list[dict[str, Any]] = [
        nonzero(amount=acc.frozen_bandwidth),
        nonzero(type="ENERGY", amount=acc.frozen_energy),
        {"type": "TRON_POWER"},
    ]
    return nonzero(
        address=addr,
        balance=acc.balance,
        net_usage=n_usage,  # field 8, before create_time (9): JsonFormat prints by field number
        create_time=acc.create_time,
        latest_opration_time=acc.latest_opration_time,
        free_net_usage=free_net_used(acc, slot),
        latest_consume_time=acc.net_slot * SLOT_MS,
        latest_consume_free_time=acc.free_net_slot * SLOT_MS,
        net_window_size=n_window,
        net_window_optimized=n_window > 0,
        account_resource=resource,
        owner_permission={"permission_name": "owner", "threshold": 1, "keys": keys},
        active_permission=[
            {
                "type": "Active",
                "id": 2,
                "permission_name": "active",
                "threshold": 1,
                "operations": ACTIVE_OPERATIONS,
                "keys": keys,
            }
        ],
        frozenV2=frozen_v2,
        unfrozenV2=[
            nonzero(type=t if t != "BANDWIDTH" else "", unfreeze_amount=a, unfreeze_expire_time=e)
            for t, a, e in acc.unfrozen
        ],
        delegated_frozenV2_balance_for_bandwidth=acc.delegated_bandwidth,
        acquired_delegated_frozenV2_balance_for_bandwidth=acc.acquired_bandwidth,
    )


def account_resource(chain: DevnodeChain, acc: Account) -> dict[str, Any]:
    """wallet/getaccountresource (AccountResourceMessage); TotalEnergyLimit is the current limit."""
    slot = chain.head_slot
    p = chain.params
    e_weight, n_weight = chain.energy_weight(), chain.net_weight()
    staked_trx = (
        acc.frozen_energy + acc.frozen_bandwidth + acc.delegated_energy + acc.delegated_bandwidth
    ) // 1_000_000
    return nonzero(
        freeNetUsed=free_net_used(acc, slot),
        freeNetLimit=p.free_net_limit,
        NetUsed=net_used(acc, slot),
        NetLimit=net_limit_of(acc, p, n_weight),
        TotalNetLimit=p.total_net_limit,
        TotalNetWeight=n_weight,
        # TotalTronPowerWeight: TRON_POWER-type stakes only, none here (docs/devnode-fidelity.md, fact 9).
        tronPowerLimit=staked_trx,
        EnergyUsed=energy_used(acc, slot),
        EnergyLimit=energy_limit_of(acc, p, e_weight),
        TotalEnergyLimit=p.total_energy_limit,
        TotalEnergyWeight=e_weight,
    )


def account_net(chain: DevnodeChain, acc: Account) -> dict[str, Any]:
    """wallet/getaccountnet (AccountNetMessage)."""
    full = account_resource(chain, acc)
    keys = ("freeNetUsed", "freeNetLimit", "NetUsed", "NetLimit", "TotalNetLimit", "TotalNetWeight")
    return {k: full[k] for k in keys if k in full}


def chain_parameters(chain: DevnodeChain) -> dict[str, Any]:
    """wallet/getchainparameters: a zero value omits "value" (tron.md §2)."""
    p = chain.params
    values: list[tuple[str, int]] = [
        ("getMaintenanceTimeInterval", 21_600_000),
        ("getAccountUpgradeCost", 9_999_000_000),
        ("getCreateAccountFee", p.create_account_fee),
        ("getTransactionFee", p.transaction_fee),
        ("getAssetIssueFee", 1_024_000_000),
        ("getWitnessPayPerBlock", 8_000_000),
        ("getWitnessStandbyAllowance", 115_200_000_000),
        ("getCreateNewAccountFeeInSystemContract", p.create_new_account_fee),
        ("getCreateNewAccountBandwidthRate", 1),
        ("getAllowCreationOfContracts", 1),
        ("getRemoveThePowerOfTheGr", -1),
        ("getEnergyFee", p.energy_fee),
        ("getExchangeCreateFee", 1_024_000_000),
        ("getMaxCpuTimeOfOneTx", 80),
        ("getAllowUpdateAccountName", 0),
        ("getAllowSameTokenName", 1),
        ("getAllowDelegateResource", 1),
        ("getTotalEnergyLimit", p.total_energy_limit),
        ("getAllowTvmTransferTrc10", 1),
        ("getTotalEnergyCurrentLimit", p.total_energy_limit),
        ("getAllowMultiSign", 1),
        ("getAllowAdaptiveEnergy", 0),
        ("getUpdateAccountPermissionFee", 100_000_000),
        ("getMultiSignFee", 1_000_000),
        ("getAllowTvmConstantinople", 1),
        ("getAllowTvmSolidity059", 1),
        ("getAllowTvmIstanbul", 1),
        ("getChangeDelegation", 1),
        ("getMaxFeeLimit", p.max_fee_limit),
        ("getAllowNewResourceModel", 1),
        ("getAllowTvmLondon", 1),
        ("getFreeNetLimit", p.free_net_limit),
        ("getTotalNetLimit", p.total_net_limit),
        ("getMemoFee", 1_000_000),
        ("getUnfreezeDelayDays", 14),
        ("getAllowDynamicEnergy", 1),
        ("getDynamicEnergyThreshold", 5_000_000_000),
        ("getDynamicEnergyIncreaseFactor", 2000),
        ("getDynamicEnergyMaxFactor", 34_000),
        ("getAllowCancelAllUnfreezeV2", 1),
        ("getMaxDelegateLockPeriod", 864_000),
    ]
    return {"chainParameter": [{"key": k, "value": v} if v else {"key": k} for k, v in values]}


def node_info(chain: DevnodeChain) -> dict[str, Any]:
    """wallet/getnodeinfo: tronpy parses "block" and "solidityBlock" = "Num:<n>,ID:<hex>"."""
    head, solid = chain.head, chain.solid
    return {
        "beginSyncNum": head.number,
        "block": f"Num:{head.number},ID:{head.block_id.hex()}",
        "solidityBlock": f"Num:{solid.number},ID:{solid.block_id.hex()}",
        "currentConnectCount": 0,
        "activeConnectCount": 0,
        "passiveConnectCount": 0,
        "totalFlow": 0,
        "peerInfoList": [],
        "configNodeInfo": {
            "codeVersion": "4.8.0-devnode",
            "p2pVersion": "11111",
            "versionNum": "devnode",
            "dbVersion": 2,
            "supportConstant": True,
            "minParticipationRate": 15,
            "allowCreationOfContracts": 1,
        },
        "machineInfo": {"threadCount": 1, "cpuCount": 1, "javaVersion": "none (tronwatch devnode)"},
        "cheatWitnessInfoMap": {},
    }
