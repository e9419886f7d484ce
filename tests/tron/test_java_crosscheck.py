"""daemon/tron/energy.py and the devnode against a Java port of java-tron's energy code, on random vectors."""

from __future__ import annotations

import random
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from daemon.devnode.accounts import Account
from daemon.devnode.resources import (
    ChainParams,
    energy_limit_of,
    energy_used,
    free_net_used,
    settle_energy,
    spend_energy,
    spend_free_net,
)
from daemon.devnode.vm_energy import MAX_ENERGY_FOR_CONSTANT, estimate_energy_required
from daemon.tron.energy import (
    decayed_usage,
    energy_limit,
    increase_fixed,
    increase_usage,
    window_slots_from_stored,
)

JAVA_SOURCE = Path(__file__).with_name("java") / "EnergyVectors.java"
PER_OP = 20_000  # 7 operations: 140,000 vectors in one JVM run
FULL = 28_800_000


def _window(rng: random.Random) -> int:
    """A stored energy_window_size (optimized): never set, tiny (<1000), or anywhere up to 24 h."""
    pick = rng.random()
    if pick < 0.1:
        return 0
    if pick < 0.15:
        return rng.randint(1, 999)
    if pick < 0.3:
        return FULL
    return rng.randint(1000, FULL)


def _state(rng: random.Random) -> tuple[int, int, int, int]:
    """(usage, last slot, stored window, now slot), with elapsed slots around the window's length."""
    usage = rng.choice([0, rng.randint(1, 1_000), rng.randint(1, 200_000), rng.randint(1, 5_000_000_000)])
    last = rng.randint(0, 40_000_000)
    elapsed = rng.choice([0, rng.randint(1, 100), rng.randint(0, 30_000), rng.randint(28_000, 40_000)])
    return usage, last, _window(rng), last + elapsed


def _account(usage: int, last: int, window: int) -> Account:
    return Account(address=b"\x41" + bytes(20), energy_usage=usage, energy_slot=last, energy_window=window)


def _vectors(rng: random.Random) -> list[tuple[str, Callable[[], str], Callable[[], str]]]:
    """(java input line, energy.py answer, devnode answer) for every vector."""
    out: list[tuple[str, Callable[[], str], Callable[[], str]]] = []
    for _ in range(PER_OP):
        u, last, w, now = _state(rng)
        spend = rng.choice([0, rng.randint(1, 1_000), rng.randint(1, 200_000), rng.randint(1, 50_000_000)])
        win = rng.choice([28_800, rng.randint(1, 28_800), 201_600])

        inc = _str(increase_fixed, u, spend, last, now, win)
        out.append((f"inc {u} {spend} {last} {now} {win}", inc, _na))

        def rec_py(u: int = u, last: int = last, w: int = w, now: int = now) -> str:
            return str(decayed_usage(u, now - last, window_slots_from_stored(w)))

        def rec_dev(u: int = u, last: int = last, w: int = w, now: int = now) -> str:
            return str(energy_used(_account(u, last, w), now))

        out.append((f"rec {u} {last} {w} 1 {now}", rec_py, rec_dev))

        def v2_py(u: int = u, last: int = last, w: int = w, now: int = now, s: int = spend) -> str:
            return " ".join(map(str, increase_usage(u, last, now, w, s)))

        out.append((f"v2 {u} {last} {w} 1 {now} {spend}", v2_py, _na))

        def use1_dev(u: int = u, last: int = last, w: int = w, now: int = now, s: int = spend) -> str:
            acc = _account(u, last, w)
            spend_energy(acc, s, now)
            return f"{acc.energy_usage} {acc.energy_window} {acc.energy_slot}"

        def use2_py(u: int = u, last: int = last, w: int = w, now: int = now, s: int = spend) -> str:
            settled, window = increase_usage(u, last, now, w, 0)
            usage, window = increase_usage(settled, now, now, window, s)
            return f"{usage} {window} {now}"

        def use2_dev(u: int = u, last: int = last, w: int = w, now: int = now, s: int = spend) -> str:
            acc = _account(u, last, w)
            settle_energy(acc, now)
            spend_energy(acc, s, now)
            return f"{acc.energy_usage} {acc.energy_window} {acc.energy_slot}"

        reserved = rng.randint(0, 10_000_000)
        out.append((f"use1 {u} {last} {w} 1 {now} {spend}", _na, use1_dev))
        out.append((f"use2 {u} {last} {w} 1 {now} {spend} {reserved}", use2_py, use2_dev))

        free_u, free_bytes = rng.randint(0, 600), rng.randint(1, 600)

        def free_dev(u: int = free_u, last: int = last, now: int = now, b: int = free_bytes) -> str:
            acc = Account(address=b"\x41" + bytes(20), free_net_usage=u, free_net_slot=last)
            recovered = free_net_used(acc, now)
            spend_free_net(acc, b, now)
            return f"{recovered} {acc.free_net_usage}"

        out.append((f"free {free_u} {last} {now} {free_bytes}", _na, free_dev))

        staked = rng.choice([0, rng.randint(1, 10**6), rng.randint(10**6, 10**17)])
        total_limit = rng.choice([90_000_000_000, 180_000_000_000, rng.randint(1, 10**12)])
        weight = rng.choice([0, rng.randint(1, 10**6), rng.randint(10**9, 10**11)])

        def lim_dev(staked: int = staked, total_limit: int = total_limit, weight: int = weight) -> str:
            acc = Account(address=b"\x41" + bytes(20), frozen_energy=staked)
            return str(energy_limit_of(acc, ChainParams(total_energy_limit=total_limit), weight))

        out.append(
            (f"lim {staked} {total_limit} {weight}", _str(energy_limit, staked, total_limit, weight), lim_dev)
        )
    for energy in (935, 1_870, 14_631, 64_285, 130_285, *(rng.randint(1, 10_000_000) for _ in range(2_000))):
        fee = rng.choice([10, 100, 210, 420, rng.randint(1, 1_000)])

        def est_dev(e: int = energy, fee: int = fee) -> str:
            return str(estimate_energy_required(e, fee, 15_000_000_000))

        out.append((f"est {energy} {fee} 15000000000 {MAX_ENERGY_FOR_CONSTANT}", _na, est_dev))
    return out


def _str(fn: Callable[..., int], *args: int) -> Callable[[], str]:
    return lambda: str(fn(*args))


def _na() -> str:
    return ""


@pytest.fixture(scope="module")
def java_classes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("javac") is None or shutil.which("java") is None:
        pytest.skip("javac/java not installed (scripts/test installs openjdk-17-jdk-headless)")
    out = tmp_path_factory.mktemp("java")
    subprocess.run(["javac", "-d", str(out), str(JAVA_SOURCE)], check=True, timeout=120)
    return out


def test_energy_math_agrees_with_java_tron_on_random_vectors(java_classes: Path) -> None:
    """energy.py and the devnode give java-tron's answer on every vector: 0 mismatches."""
    vectors = _vectors(random.Random(20261202))
    assert len(vectors) >= 100_000
    stdin = "".join(line + "\n" for line, _, _ in vectors)
    run = subprocess.run(
        ["java", "-cp", str(java_classes), "EnergyVectors"],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    answers = run.stdout.splitlines()
    assert len(answers) == len(vectors)
    mismatches = []
    for (line, py, dev), want in zip(vectors, answers, strict=True):
        for side, fn in (("energy.py", py), ("devnode", dev)):
            got = fn()
            if got and got != want:
                mismatches.append(f"{side}: {line} -> {got}, java {want}")
    assert mismatches == [], f"{len(mismatches)} mismatches, first: {mismatches[:5]}"


def test_a_successful_call_is_billed_in_two_steps_not_one(java_classes: Path) -> None:
    """java-tron's two-step bill differs from a single increaseV2 on some vectors; the devnode follows it."""
    rng = random.Random(7)
    lines = []
    for _ in range(5_000):
        u, last, w, now = _state(rng)
        spend = rng.randint(1, 200_000)
        lines.append(f"use1 {u} {last} {w} 1 {now} {spend}")
        lines.append(f"use2 {u} {last} {w} 1 {now} {spend} 0")
    run = subprocess.run(
        ["java", "-cp", str(java_classes), "EnergyVectors"],
        input="".join(x + "\n" for x in lines),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    answers = run.stdout.splitlines()
    differing = [lines[i] for i in range(0, len(lines), 2) if answers[i] != answers[i + 1]]
    assert differing, "no vector tells the two billing orders apart"
    # The devnode's successful-call path reproduces the two-step answer on exactly those vectors.
    for line in differing:
        _, u, last, w, _, now, spend = line.split()
        acc = _account(int(u), int(last), int(w))
        settle_energy(acc, int(now))
        spend_energy(acc, int(spend), int(now))
        want = answers[lines.index(line.replace("use1", "use2", 1) + " 0")]
        assert f"{acc.energy_usage} {acc.energy_window} {acc.energy_slot}" == want
