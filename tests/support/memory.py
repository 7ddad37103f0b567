"""Peak resident memory of one step, measured inside the benchmark's fresh measuring process.

The step's figure is how far the peak resident set rose above what the process held just
before it (the interpreter, its imports and any untimed preparation). Linux resets the peak on
request (`/proc/self/clear_refs`, "5"), so the peak is the step's own and not an earlier one;
where that is not possible the process's lifetime peak is used, which can only overstate.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

STATUS = Path("/proc/self/status")
MB = 10**6  # as file sizes are given


@dataclass(frozen=True)
class Step:
    result: object
    seconds: float
    base: int  # resident bytes just before the step
    rise: int  # peak resident bytes during the step, less `base`


def _status(field: str) -> int | None:
    try:
        for line in STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024  # reported in kB
    except OSError:
        pass
    return None


def resident() -> int:
    """Bytes resident now (the lifetime peak where /proc is missing)."""
    return _status("VmRSS") or peak()


def peak() -> int:
    """The peak resident bytes since the last reset (or since the process started)."""
    return _status("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def reset_peak() -> bool:
    """Start the peak afresh from what is resident now; False where the system cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def step(fn: Callable[[], object]) -> Step:
    """Run `fn` once: its result, seconds, and its peak rise in resident memory."""
    base = resident()
    reset_peak()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    return Step(result, seconds, base, max(peak() - base, 0))
