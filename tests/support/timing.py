"""Timing helpers shared by the benchmark scripts in tests/benchmarks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def timed(fn: Callable[[], object], repeats: int) -> tuple[list[float], object]:
    """Wall-clock seconds of `repeats` calls, and the last call's result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def report(label: str, times: list[float], target: float | None = None) -> bool:
    """Print the median and every run; True when there is no target or the median meets it."""
    median = statistics.median(times)
    runs = ", ".join(f"{t:.2f}" for t in times)
    verdict = "" if target is None else (
        f"  target <= {target:g} s: {'met' if median <= target else 'MISSED'}")
    print(f"  {label:<34} median {median:7.2f} s  (runs: {runs}){verdict}", flush=True)
    return target is None or median <= target
