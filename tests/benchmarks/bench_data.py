"""Data-source benchmarks, one named section each: `make bench-data` or
`.venv/bin/python tests/benchmarks/bench_data.py [--only SECTION] [--repeats N]`.

Everything is written to a temporary folder (input files and the project's data/processed, via
OCR_PROJECT_DIR), never into the checkout. Exits 1 when a section misses a target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(TESTS), str(TESTS.parent)]  # tests/support, and helpers without an install
from helpers.report.console import filter_stderr_until_exit  # noqa: E402

filter_stderr_until_exit()  # TensorFlow's C++ notices off the console

from support.timing import report, timed  # noqa: E402


@dataclass(frozen=True)
class Section:
    name: str
    help: str
    run: Callable[[argparse.Namespace, Path], bool]  # (options, scratch folder) -> targets met


def bench_az_csv(options: argparse.Namespace, scratch: Path) -> bool:
    """Kaggle A-Z CSV: cold parse and cached load() vs pandas' C reader, same file and run."""
    import numpy as np
    import pandas as pd
    from support.csv_files import write_az_csv

    from helpers.data import azcsv

    path = scratch / azcsv.FILE_NAME
    start = time.perf_counter()
    write_az_csv(path, rows=options.rows, seed=0)
    print(f"  wrote {options.rows:,} rows, {path.stat().st_size / 1e6:,.0f} MB in "
          f"{time.perf_counter() - start:.1f} s (page cache warm: every read below is from RAM)")

    ours, (x, y) = timed(lambda: azcsv.parse_az_csv(path), options.repeats)
    ok = report("parse_az_csv (cold, no cache)", ours, target=10)
    theirs, frame = timed(lambda: pd.read_csv(path, header=None, dtype=np.uint8, engine="c"),
                          max(1, options.repeats - 1))  # slow: one run fewer
    report('pandas read_csv(engine="c")', theirs)
    values = frame.to_numpy()
    if not (np.array_equal(values[:, 1:].reshape(-1, 28, 28), x)
            and np.array_equal(values[:, 0], y)):
        print("  MISMATCH: parse_az_csv and pandas read different values")
        ok = False
    del frame, values

    first, _ = timed(lambda: azcsv.load(path=str(path)), 1)
    report("load() first (parse + write cache)", first)
    cached, _ = timed(lambda: azcsv.load(path=str(path)), 2 * options.repeats)
    ok &= report("load() cached (incl. split)", cached, target=1)
    ratio = statistics.median(theirs) / statistics.median(ours)
    print(f"  parse_az_csv is {ratio:.1f}x pandas' speed"
          f"{'' if ratio >= 1 else ' (SLOWER than pandas)'}")
    return ok and ratio >= 1


def bench_emnist(options: argparse.Namespace, scratch: Path) -> bool:
    """EMNIST byclass-test (real NIST files): full load vs. the bare gzip decompression floor."""
    import gzip
    import warnings

    from helpers.data import emnist

    folder = emnist.location()
    files = emnist.split_files("byclass", folder)
    if not files["test_images"].exists():
        print(f"  skipped: no EMNIST files in {folder} (set OCR_EMNIST_DIR)")
        return True

    def gunzip_only():
        return [gzip.decompress(files[k].read_bytes()) for k in ("test_images", "test_labels")]

    def load():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "only the test part": expected here
            return emnist.load(split="byclass", data_dir=str(folder))

    floor, _ = timed(gunzip_only, options.repeats)
    report("gzip.decompress only (floor)", floor)
    ours, dataset = timed(load, options.repeats)
    report("emnist.load byclass (decode+split)", ours)
    images = len(dataset.x_train) + len(dataset.x_test)
    ratio = statistics.median(ours) / statistics.median(floor)
    print(f"  {images:,} images; load takes {ratio:.2f}x the bare decompression "
          f"({images / statistics.median(ours):,.0f} images/s)")
    return True


def bench_glyphs(options: argparse.Namespace, scratch: Path) -> bool:
    """The built-in glyphs set at its default size: first load (fonts drawn) and later loads."""
    import subprocess

    code = ("import time; t = time.perf_counter(); from helpers.data import glyphs; "
            "glyphs.load(); print(time.perf_counter() - t)")
    first = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True, cwd=TESTS.parent).stdout)
             for _ in range(options.repeats)]
    report("glyphs 24,000 images, new process", first)
    from helpers.data import glyphs

    glyphs.load(size=1000)  # templates drawn once per process
    later, _ = timed(lambda: glyphs.load(seed=1), options.repeats)
    report("glyphs 24,000 images, templates warm", later)
    return True


# A section: a name, a line of help, and a function (options, scratch folder) -> targets met.
SECTIONS = [
    Section("az-csv", "Kaggle A-Z CSV, 372,450 rows: cold parse, cached load, pandas baseline",
            bench_az_csv),
    Section("emnist", "EMNIST byclass-test decode (real files), vs. bare gzip decompression",
            bench_emnist),
    Section("glyphs", "built-in glyphs dataset generation at the default size", bench_glyphs),
]


def main(argv: list[str] | None = None) -> int:
    names = [s.name for s in SECTIONS]
    parser = argparse.ArgumentParser(
        description="Time the data sources on full-size generated inputs.",
        epilog="sections: " + "; ".join(f"{s.name}: {s.help}" for s in SECTIONS))
    parser.add_argument("--only", action="append", choices=names, metavar="SECTION",
                        help=f"run only this section (repeatable; one of {', '.join(names)})")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per step (default 3)")
    parser.add_argument("--rows", type=int, default=372_450,
                        help="rows in the generated A-Z CSV (default: the real file's 372,450)")
    options = parser.parse_args(argv)
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-data-") as tmp:
        os.environ["OCR_PROJECT_DIR"] = str(Path(tmp) / "project")  # caches land in tmp too
        os.environ["TQDM_DISABLE"] = "1"  # progress bars would bury the timings
        for section in SECTIONS:
            if options.only and section.name not in options.only:
                continue
            print(f"== {section.name}: {section.help}", flush=True)
            scratch = Path(tmp) / section.name
            scratch.mkdir()
            ok &= section.run(options, scratch)
    print("all targets met" if ok else "some targets MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
