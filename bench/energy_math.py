"""Benchmark: decayed usage for 1,000,000 (usage, elapsed) pairs vs a bare `a*b//c` loop (issue 3: ≤ 1 s)."""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable

from daemon.tron.energy import WINDOW_SLOTS, decayed_usage, decayed_usage_many

TARGET_SECONDS = 1.0


def _pairs(n: int, seed: int) -> tuple[list[int], list[int]]:
    """Pool-sized usages and elapsed slots spanning a bit more than one window."""
    rng = random.Random(seed)
    usages = [rng.randrange(0, 50_000_000) for _ in range(n)]
    elapsed = [rng.randrange(0, WINDOW_SLOTS + WINDOW_SLOTS // 10) for _ in range(n)]
    return usages, elapsed


def _baseline(usages: list[int], elapsed: list[int]) -> list[int]:
    """The cheapest per-pair integer work: one multiply and one floor division."""
    w = WINDOW_SLOTS
    return [u * d // w for u, d in zip(usages, elapsed, strict=True)]


def _best_of(repeat: int, fn: Callable[..., object], *args: object) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()

    usages, elapsed = _pairs(args.n, args.seed)
    # Same answers as the scalar function on a sample, so the fast path is not benchmarked wrong.
    sample = decayed_usage_many(usages[:10_000], elapsed[:10_000])
    assert sample == [decayed_usage(u, d) for u, d in zip(usages[:10_000], elapsed[:10_000], strict=True)]

    base = _best_of(args.repeat, _baseline, usages, elapsed)
    many = _best_of(args.repeat, decayed_usage_many, usages, elapsed)
    scalar = _best_of(1, lambda: [decayed_usage(u, d) for u, d in zip(usages, elapsed, strict=True)])

    out = sys.stdout
    out.write(f"pairs: {args.n:,}  (best of {args.repeat})\n")
    out.write(f"baseline a*b//c list comprehension: {base:.3f} s\n")
    out.write(f"decayed_usage_many:                 {many:.3f} s  ratio {many / base:.2f}x baseline\n")
    out.write(f"decayed_usage per call:             {scalar:.3f} s  ratio {scalar / base:.2f}x baseline\n")
    verdict = "PASS" if many <= TARGET_SECONDS else "FAIL"
    out.write(f"target ≤ {TARGET_SECONDS:.1f} s for decayed_usage_many: {verdict}\n")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
