"""A wallet script that knows only tronpy and a node URL: balances, a TRX payment, a USDT transfer, receipts.

Run it against the devnode (`tronwatch devnode --speed 20`) exactly as you would against Nile:
    python examples/tronpy_walkthrough.py http://127.0.0.1:18090/ <sender private key hex> <recipient address>
"""

from __future__ import annotations

import argparse
import asyncio
import json

from tronpy import AsyncTron
from tronpy.keys import PrivateKey
from tronpy.providers.async_http import AsyncHTTPProvider

USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"  # mainnet address; the devnode deploys it there too
FEE_LIMIT_SUN = 30_000_000  # tronpy's default 10 TRX is too low for a 130k-energy transfer


async def main(url: str, key_hex: str, to: str) -> dict[str, object]:
    """Do the walkthrough and return what a person would check."""
    key = PrivateKey(bytes.fromhex(key_hex))
    sender = key.public_key.to_base58check_address()
    async with AsyncTron(provider=AsyncHTTPProvider(url)) as tron:
        usdt = await tron.get_contract(USDT)
        before = {
            "trx": str(await tron.get_account_balance(sender)),
            "usdt": await usdt.functions.balanceOf(sender),
        }
        paid = await (await tron.trx.transfer(sender, to, 1_000_000).build()).sign(key).broadcast()
        txb = await usdt.functions.transfer(to, 2_000_000)
        sent = await (await txb.with_owner(sender).fee_limit(FEE_LIMIT_SUN).build()).sign(key).broadcast()
        # wait(solid=True) polls walletsolidity/gettransactioninfobyid until the block is final.
        trx_receipt = await paid.wait(timeout=120, interval=0.5, solid=True)
        usdt_receipt = await sent.wait(timeout=120, interval=0.5, solid=True)
        after = {
            "trx": str(await tron.get_account_balance(sender)),
            "usdt": await usdt.functions.balanceOf(sender),
        }
    return {
        "sender": sender,
        "before": before,
        "after": after,
        "trx_payment": {"txid": paid.txid, "receipt": trx_receipt.get("receipt", {})},
        "usdt_transfer": {"txid": sent.txid, "receipt": usdt_receipt.get("receipt", {})},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "url", help="node base URL, e.g. http://127.0.0.1:18090/ or https://nile.trongrid.io/"
    )
    parser.add_argument("key", help="sender private key (hex)")
    parser.add_argument("to", help="recipient base58 address")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.url, args.key, args.to)), indent=2))
