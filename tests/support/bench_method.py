"""How every benchmark that compares two sides measures them on a shared, noisy machine.

These machines switch between speed states (about 1,490 or 2,300-2,600 images/s for the same
training step), so a median of three runs in one process lands in either state and a printed
ratio can swing from 0.7× to 2×. A process keeps the state it started in, and two processes
started together can be in different ones: in a slow run of the 2-core training step the process
used 0.9 cores and the machine sat half idle, in a fast one 1.5-1.75 cores. Hence, for each
comparison:
- every run is a fresh process (the benchmark script again, with `--measure SIDE`), so no side
  inherits the other's threads, caches or memory;
- the sides alternate (A B, B A, A B, …), so a slow spell hits both;
- each side runs at least five times, enough to see both states;
- the figure is each side's best run (highest rate, shortest time): the machine's fast state,
  which every side reaches in five runs; the median of the runs within 10% of the best (the fast
  mode) and every run are printed beside it.
A measuring process prints one line `RESULT {json}` (`emit`); everything else it prints is
ignored.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

RUNS = 5
FAST_MODE = 0.10  # runs within this share of the best belong to the fast mode
MARK = "RESULT "


def emit(value: float, **extra) -> None:
    """What a measuring process prints for its parent: the value, and anything else to keep."""
    print(MARK + json.dumps({"value": value, **extra}), flush=True)


@dataclass
class Runs:
    """One side's measurements, in the order they were taken."""

    side: str
    higher_is_better: bool = True
    values: list[float] = field(default_factory=list)
    extras: list[dict] = field(default_factory=list)

    @property
    def best(self) -> float:
        return max(self.values) if self.higher_is_better else min(self.values)

    @property
    def fast_mode(self) -> float:
        """The median of the runs within FAST_MODE of the best."""
        near = [v for v in self.values if abs(v - self.best) <= FAST_MODE * abs(self.best)]
        return statistics.median(near)

    def line(self, unit: str, digits: int = 0) -> str:
        runs = ", ".join(f"{v:,.{digits}f}" for v in self.values)
        return (f"{self.side:<28} best {self.best:>9,.{digits}f} {unit}  fast-mode median "
                f"{self.fast_mode:,.{digits}f}  (runs in order: {runs})")


def ratio(ours: Runs, theirs: Runs) -> float:
    """How many times better `ours` is than `theirs`, best run against best run."""
    if ours.higher_is_better:
        return ours.best / theirs.best
    return theirs.best / ours.best


def alternating(sides: list[str], runs: int) -> list[str]:
    """A B, B A, A B, …: `runs` of each side, the order reversed every round."""
    order = []
    for round_ in range(runs):
        order += sides if round_ % 2 == 0 else sides[::-1]
    return order


def run_once(argv: list[str], env: dict[str, str] | None = None) -> dict:
    """Run one measuring process to its end; its RESULT line as a dict."""
    completed = subprocess.run(argv, env={**os.environ, **(env or {})}, capture_output=True,
                               text=True, check=False)
    for line in reversed(completed.stdout.splitlines()):
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    tail = (completed.stderr or completed.stdout).strip().splitlines()[-5:]
    raise RuntimeError(f"{' '.join(argv)} gave no result (exit status "
                       f"{completed.returncode}):\n" + "\n".join(tail))


def compare(command: Callable[[str], list[str]], sides: list[str], *, runs: int = RUNS,
            env: dict[str, str] | None = None, higher_is_better: bool = True,
            progress: Callable[[str], None] | None = print) -> dict[str, Runs]:
    """Measure each side `runs` times, alternating, each in a fresh process `command(side)`."""
    results = {side: Runs(side, higher_is_better) for side in sides}
    for side in alternating(sides, runs):
        result = run_once(command(side), env)
        results[side].values.append(float(result.pop("value")))
        results[side].extras.append(result)
        if progress:
            progress(f"    {side}: {results[side].values[-1]:,.1f}")
    return results


def script_command(script: str, *arguments: str) -> Callable[[str], list[str]]:
    """`command` for `compare`: this Python running `script --measure SIDE arguments…`."""
    return lambda side: [sys.executable, script, "--measure", side, *arguments]
