"""NearMiss on the full EMNIST byclass test file (its ~93k-image train part): `make bench` or
`.venv/bin/python tests/benchmarks/bench_balance.py [--versions 1 2 3] [--repeats N]`.

Times `helpers.learn.balance.nearmiss` (all cores, and one thread) against imbalanced-learn's
`NearMiss` with its defaults on the same float array, checks both keep the same images, and exits
1 when a median misses 60 s or the images differ.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(TESTS), str(TESTS.parent)]  # helpers without an install
from helpers.report.console import filter_stderr_until_exit  # noqa: E402

filter_stderr_until_exit()  # TensorFlow's C++ notices off the console

from support import emnist  # noqa: E402
from support.timing import report, timed  # noqa: E402

TARGET_S = 60.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time NearMiss (helpers.learn.balance.nearmiss vs imbalanced-learn's "
                    "defaults) on the full EMNIST byclass test file.")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per step (default 3)")
    parser.add_argument("--versions", type=int, nargs="+", choices=(1, 2, 3), default=[1, 2, 3],
                        help="NearMiss versions to time (default: 1 2 3)")
    options = parser.parse_args(argv)
    folder = emnist.location()
    if not (folder / "emnist-byclass-test-images-idx3-ubyte.gz").exists():
        print(f"skipped: no EMNIST files in {folder} (set OCR_EMNIST_DIR)")
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-balance-") as tmp:
        os.environ["OCR_PROJECT_DIR"] = str(Path(tmp) / "project")  # caches land in tmp
        os.environ["TQDM_DISABLE"] = "1"  # progress bars would bury the timings
        import numpy as np
        from imblearn.under_sampling import NearMiss
        from threadpoolctl import threadpool_info

        from helpers.data import load_dataset
        from helpers.learn.balance import nearmiss

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "only the test part": expected here
            data = load_dataset("emnist-byclass", data_dir=str(folder))
        pools = ", ".join(f"{p['internal_api']} x{p['num_threads']}" for p in threadpool_info())
        print(f"{len(data.x_train):,} training images x 784 pixels, {data.num_classes} classes; "
              f"{os.cpu_count()} CPUs ({pools}); load average {os.getloadavg()[0]:.1f} "
              f"(other work slows the threaded runs most)", flush=True)
        flat = data.x_train.reshape(len(data.x_train), -1).astype(np.float64)

        def imblearn_defaults(version: int):
            sampler = NearMiss(version=version)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # NearMiss-3's "fewer samples" warning
                sampler.fit_resample(flat, data.y_train)
            return np.sort(sampler.sample_indices_)

        ok = True
        for version in options.versions:
            print(f"== NearMiss-{version}", flush=True)
            ours, result = timed(lambda v=version: nearmiss(data, version=v), options.repeats)
            ok &= report("helpers.learn.balance.nearmiss", ours, target=TARGET_S)
            single, _ = timed(lambda v=version: nearmiss(data, version=v, n_jobs=1),
                              options.repeats)
            report("helpers.learn.balance.nearmiss n_jobs=1", single)
            theirs, indices = timed(lambda v=version: imblearn_defaults(v), options.repeats)
            report("imblearn NearMiss() defaults", theirs)
            same = np.array_equal(data.x_train[indices], result.dataset.x_train)
            print(f"  {result.dataset.notes[-1]}\n  same images as imblearn's defaults: {same}")
            ok &= same
    print(f"all targets met (each median <= {TARGET_S:g} s)" if ok else "some targets MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
