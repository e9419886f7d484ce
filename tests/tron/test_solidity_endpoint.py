"""Where /walletsolidity/* is reached: TronGrid's host, a java-tron node's port 8091, or tron.solidity_url."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from daemon.config import ConfigError, load_settings
from daemon.devnode.app import Devnode
from daemon.tron import TronApiError, TronClient, TronClientOptions
from daemon.tron.options import display_url
from tests.devnode.test_cli_and_accounts import RUN_DEVNODE


@pytest.mark.parametrize(
    ("network", "solidity_url", "expected"),
    [
        ("mainnet", None, "https://api.trongrid.io/"),
        ("nile", None, "https://nile.trongrid.io/"),
        ("http://10.0.0.5:8090", None, "http://10.0.0.5:8091/"),  # java-tron's default ports
        ("https://user:pw@node.lan:8090/", None, "https://user:pw@node.lan:8091/"),
        ("https://tron.provider.example/key123/", None, "https://tron.provider.example/key123/"),
        ("http://10.0.0.5:8090/", "http://10.0.0.6:9091", "http://10.0.0.6:9091/"),
        ("mainnet", "http://my-solidity:8091/", "http://my-solidity:8091/"),
    ],
)
def test_the_solidity_endpoint_follows_the_network_or_the_setting(
    network: str, solidity_url: str | None, expected: str
) -> None:
    assert TronClientOptions(network=network, solidity_url=solidity_url).solidity_endpoint == expected


def test_the_start_log_says_where_the_solidity_endpoint_came_from() -> None:
    def source(network: str, solidity_url: str | None = None) -> str:
        return TronClientOptions(network=network, solidity_url=solidity_url).solidity_source

    assert "TronGrid serves /walletsolidity on the same host" in source("mainnet")
    assert "port 8090 -> 8091" in source("http://10.0.0.5:8090/")
    assert "set tron.solidity_url" in source("http://10.0.0.5:18090/")
    assert source("nile", "http://h:8091/") == "configured tron.solidity_url"


def test_solidity_url_is_validated_where_it_is_configured() -> None:
    def load(**tron: str) -> list[str]:
        try:
            load_settings(None, environ={}, overrides={"tron": tron})
        except ConfigError as exc:
            return exc.problems
        return []

    assert load(network="http://10.0.0.5:8090/", solidity_url="http://10.0.0.5:8091/") == []
    assert load(network="mainnet", solidity_url="") == []  # `${VAR:-}` left empty: unset
    [problem] = load(network="http://10.0.0.5:8090/", solidity_url="10.0.0.5:8091")
    assert "tron.solidity_url" in problem and "http(s) URL" in problem
    [problem] = load(network="devnode", solidity_url="http://10.0.0.5:8091/")
    assert "tron.solidity_url" in problem and "only for network" in problem
    env = {"TRONWATCH_TRON__NETWORK": "nile", "TRONWATCH_TRON__SOLIDITY_URL": "http://h:8091"}
    assert load_settings(None, environ=env).tron.solidity_url == "http://h:8091"


def test_readyz_names_an_endpoint_without_its_path_or_credentials() -> None:
    assert display_url("https://user:pw@tron.provider.example/key123/") == "https://tron.provider.example"
    assert display_url("http://10.0.0.5:8091/") == "http://10.0.0.5:8091"
    assert display_url("mainnet") == "mainnet"


@pytest.fixture
async def split_node() -> AsyncIterator[Devnode]:
    async with Devnode.start(speed=0, split_solidity=True) as node:
        node.advance(120)  # 40 blocks: some of them solid
        yield node


async def _status(url: str) -> int:
    async with aiohttp.ClientSession() as session, session.post(url, json={}) as resp:
        return resp.status


async def test_a_split_devnode_serves_each_prefix_on_its_own_port_as_java_tron(split_node: Devnode) -> None:
    full, solid = split_node.url, split_node.solidity_url
    assert full != solid
    assert await _status(full + "wallet/getnowblock") == 200
    assert await _status(full + "walletsolidity/getnowblock") == 404
    assert await _status(solid + "walletsolidity/getnowblock") == 200
    assert await _status(solid + "wallet/getaccount") == 404
    assert await _status(solid + "wallet/getnodeinfo") == 200  # java-tron's solidity port serves it too
    async with Devnode.start(speed=0) as one_port:  # the default stays TronGrid-like: one port
        assert one_port.solidity_url == one_port.url
        assert await _status(one_port.url + "walletsolidity/getnowblock") == 200


async def test_the_client_sends_walletsolidity_calls_to_the_solidity_endpoint(split_node: Devnode) -> None:
    options = TronClientOptions(network=split_node.url, solidity_url=split_node.solidity_url, retries=0)
    async with TronClient(options, registry=CollectorRegistry()) as client:
        assert await client.get_solid_block_number() == split_node.chain.solid.number
        assert await client.get_now_block_number() == split_node.chain.head.number
        # tronpy's own solidified reads use the same provider, so they follow it too.
        block = await client.raw.get_latest_solid_block()
        assert block["block_header"]["raw_data"]["number"] == split_node.chain.solid.number
        assert await client.solidity("getblockbynum", {"num": 1}) != {}
    unset = TronClientOptions(network=split_node.url, retries=0)
    async with TronClient(unset, registry=CollectorRegistry()) as client:
        with pytest.raises(TronApiError, match="HTTP 404"):
            await client.get_solid_block_number()


def test_devnode_cli_solidity_port_splits_the_layout() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN_DEVNODE, "devnode", "--port", "0", "--solidity-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        full = line.split("listening on ", 1)[1].split(" ", 1)[0]
        solid = line.split("/walletsolidity on ", 1)[1].rstrip(")\n")
        assert full != solid
        with urllib.request.urlopen(solid + "walletsolidity/getnowblock", data=b"{}", timeout=5) as resp:
            assert "blockID" in json.load(resp)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(full + "walletsolidity/getnowblock", data=b"{}", timeout=5)
        assert refused.value.code == 404
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
