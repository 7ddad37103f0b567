"""Data-source benchmarks, one named section each: `make bench-data` or
`.venv/bin/python tests/benchmarks/bench_data.py [--only SECTION] [--repeats N]`.

Everything is written to a temporary folder (input files and the project's data/processed, via
OCR_PROJECT_DIR), never into the checkout. Where a section compares the bundle with a baseline
(the A-Z CSV against pandas, EMNIST against bare decompression), each run is a fresh process,
the two alternate, and each side's best of `--runs` is compared (`support.bench_method`).
Exits 1 when a section misses a target.
"""

from __future__ import annotations

import argparse
import os
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

from support import bench_method  # noqa: E402
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

    x, y = azcsv.parse_az_csv(path)
    values = pd.read_csv(path, header=None, dtype=np.uint8, engine="c").to_numpy()
    ok = True
    if not (np.array_equal(values[:, 1:].reshape(-1, 28, 28), x)
            and np.array_equal(values[:, 0], y)):
        print("  MISMATCH: parse_az_csv and pandas read different values")
        ok = False
    del values, x, y
    runs = compared(options, ["parse_az_csv", "pandas"], path)
    ours, theirs = runs["parse_az_csv"], runs["pandas"]
    best = ours.best
    print(f"  parse_az_csv best {best:.2f} s  target <= 10 s: {'met' if best <= 10 else 'MISSED'}")
    ok &= best <= 10

    first, _ = timed(lambda: azcsv.load(path=str(path)), 1)
    report("load() first (parse + write cache)", first)
    cached, _ = timed(lambda: azcsv.load(path=str(path)), 2 * options.repeats)
    ok &= report("load() cached (incl. split)", cached, target=1)
    ratio = bench_method.ratio(ours, theirs)
    print(f"  parse_az_csv is {ratio:.1f}x pandas' speed (best against best)"
          f"{'' if ratio >= 1 else ' (SLOWER than pandas)'}")
    return ok and ratio >= 1


def compared(options: argparse.Namespace, sides: list[str], path: Path):
    """Seconds of each side, measured in fresh processes, alternating; every run printed."""
    runs = bench_method.compare(bench_method.script_command(__file__, "--path", str(path)),
                                sides, runs=options.runs, higher_is_better=False,
                                progress=None)
    for side in sides:
        print("  " + runs[side].line("s", digits=2), flush=True)
    return runs


def measure(side: str, path: Path) -> float:
    """Seconds of one side, in this process: the A-Z CSV parsed by the bundle or by pandas, or
    EMNIST byclass-test (in the folder `path`) decompressed only or loaded."""
    import gzip
    import warnings

    import numpy as np
    import pandas as pd

    from helpers.data import azcsv, emnist

    start = time.perf_counter()
    if side == "parse_az_csv":
        azcsv.parse_az_csv(path)
    elif side == "pandas":
        pd.read_csv(path, header=None, dtype=np.uint8, engine="c")
    elif side == "gzip only":
        files = emnist.split_files("byclass", path)
        [gzip.decompress(files[k].read_bytes()) for k in ("test_images", "test_labels")]
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "only the test part": expected here
            emnist.load(split="byclass", data_dir=str(path))
    return time.perf_counter() - start


def bench_emnist(options: argparse.Namespace, scratch: Path) -> bool:
    """EMNIST byclass-test (real NIST files): full load vs. the bare gzip decompression floor."""
    import warnings

    from support import emnist as emnist_files

    from helpers.data import emnist

    folder = emnist_files.location()
    files = emnist.split_files("byclass", folder)
    if not files["test_images"].exists():
        print(f"  skipped: no EMNIST files in {folder} (set OCR_EMNIST_DIR)")
        return True

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dataset = emnist.load(split="byclass", data_dir=str(folder))
    images = len(dataset.x_train) + len(dataset.x_test)
    runs = compared(options, ["gzip only", "emnist.load"], folder)
    load, floor = runs["emnist.load"], runs["gzip only"]
    print(f"  {images:,} images; load takes {load.best / floor.best:.2f}x the bare "
          f"decompression, best against best ({images / load.best:,.0f} images/s)")
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
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed runs of a step that has no baseline (default 3)")
    parser.add_argument("--runs", type=int, default=bench_method.RUNS,
                        help="fresh-process runs per side of a comparison (default 5)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # one side, in a child process
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, default=372_450,
                        help="rows in the generated A-Z CSV (default: the real file's 372,450)")
    options = parser.parse_args(argv)
    if options.measure:
        bench_method.emit(measure(options.measure, options.path))
        return 0
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
