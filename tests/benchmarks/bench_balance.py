"""NearMiss on the full EMNIST byclass test file (its ~93k-image train part): `make bench` or
`.venv/bin/python tests/benchmarks/bench_balance.py [--versions 1 2 3] [--runs N]`.

Times `helpers.learn.balance.nearmiss` (all cores, and one thread) against imbalanced-learn's
`NearMiss` with its defaults on the same float array, the benchmarks' way
(`support.bench_method`): each run a fresh process that loads the file and times one call, the
three sides alternating, each side's best of `--runs` compared. Checks that both keep the same
images, and exits 1 when the bundle's best run misses 60 s or the images differ.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(TESTS), str(TESTS.parent)]  # helpers without an install
from helpers.report.console import filter_stderr_until_exit  # noqa: E402

filter_stderr_until_exit()  # TensorFlow's C++ notices off the console

from support import bench_method, emnist  # noqa: E402

TARGET_S = 60.0
SIDES = ("helpers.learn.balance.nearmiss", "nearmiss n_jobs=1", "imblearn NearMiss() defaults")


def measure(side: str, version: int) -> None:
    """One call of `side` on the byclass file, in this process: its seconds, and a digest of
    the images it kept (for the same-images check)."""
    os.environ["TQDM_DISABLE"] = "1"  # progress bars would bury the timings
    import numpy as np
    from imblearn.under_sampling import NearMiss

    from helpers.data import load_dataset
    from helpers.learn.balance import nearmiss

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "only the test part": expected here
        data = load_dataset("emnist-byclass", data_dir=str(emnist.location()))
    if side == SIDES[2]:
        flat = data.x_train.reshape(len(data.x_train), -1).astype(np.float64)
        start = time.perf_counter()  # the float copy is the caller's here; the bundle's is timed
        sampler = NearMiss(version=version)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # NearMiss-3's "fewer samples" warning
            sampler.fit_resample(flat, data.y_train)
        seconds = time.perf_counter() - start
        kept = data.x_train[np.sort(sampler.sample_indices_)]
        note = ""
    else:
        start = time.perf_counter()
        result = nearmiss(data, version=version, n_jobs=None if side == SIDES[0] else 1)
        seconds = time.perf_counter() - start
        kept, note = result.dataset.x_train, result.dataset.notes[-1]
    bench_method.emit(seconds, kept=hashlib.sha256(kept.tobytes()).hexdigest(), note=note)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time NearMiss (helpers.learn.balance.nearmiss vs imbalanced-learn's "
                    "defaults) on the full EMNIST byclass test file.")
    parser.add_argument("--runs", type=int, default=bench_method.RUNS,
                        help=f"fresh-process runs per side (default {bench_method.RUNS})")
    parser.add_argument("--versions", type=int, nargs="+", choices=(1, 2, 3), default=[1, 2, 3],
                        help="NearMiss versions to time (default: 1 2 3)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # one side, in a child process
    parser.add_argument("--version", type=int, default=1, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    folder = emnist.location()
    if not (folder / "emnist-byclass-test-images-idx3-ubyte.gz").exists():
        print(f"skipped: no EMNIST files in {folder} (set OCR_EMNIST_DIR)")
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-balance-") as tmp:
        os.environ["OCR_PROJECT_DIR"] = str(Path(tmp) / "project")  # caches land in tmp
        if options.measure:
            measure(options.measure, options.version)
            return 0
        print(f"EMNIST byclass test file, {os.cpu_count()} CPUs, load average "
              f"{os.getloadavg()[0]:.1f}; {options.runs} runs per side, each in a fresh process "
              "(which loads the file, untimed), alternating", flush=True)
        ok = True
        for version in options.versions:
            print(f"== NearMiss-{version}", flush=True)
            runs = bench_method.compare(
                bench_method.script_command(__file__, "--version", str(version)), list(SIDES),
                runs=options.runs, higher_is_better=False, progress=None)
            for side in SIDES:
                print("  " + runs[side].line("s", digits=2))
            met = runs[SIDES[0]].best <= TARGET_S
            print(f"  {bench_method.ratio(runs[SIDES[0]], runs[SIDES[2]]):.2f}× imblearn's "
                  f"speed (best against best); target <= {TARGET_S:g} s: "
                  f"{'met' if met else 'MISSED'}")
            digests = {extra["kept"] for side in SIDES for extra in runs[side].extras}
            same = len(digests) == 1
            print(f"  {runs[SIDES[0]].extras[-1]['note']}\n  same images in every run of every "
                  f"side: {same}", flush=True)
            ok &= met and same
    print(f"all targets met (each best <= {TARGET_S:g} s)" if ok else "some targets MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
