"""Data-source benchmarks, one named section each: `make bench-data` or
`.venv/bin/python tests/benchmarks/bench_data.py [--only SECTION] [--repeats N]`.

Every source is loaded at the write-ups' real size, from real handwriting: the A-Z CSV
(372,450 rows in Kaggle's layout and letter counts), MNIST's 70,000 images in its own IDX
files, and a folder of 30,000 PNGs are all generated from NIST's EMNIST test files
(`support.real_sized`; generation is not timed), beside EMNIST's own splits.
Everything is written to a temporary folder (input files and the project's data/processed, via
OCR_PROJECT_DIR), never into the checkout. Every load runs in a fresh process, which reports its
seconds and its peak resident memory above what the interpreter and the imports held before it
(`support.memory`); each load's memory is bounded by MEMORY_BOUND times the bytes of the arrays
it returns. Where a section compares the bundle with a baseline (the A-Z CSV against pandas,
EMNIST against bare decompression), the two sides alternate and each side's best of `--runs` is
compared (`support.bench_method`). Exits 1 when a section misses a target.
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
from support import emnist as emnist_files  # noqa: E402
from support.memory import MB  # noqa: E402
from support.timing import report, timed  # noqa: E402

# A load may use at most this many times the bytes of the arrays it returns, at its peak: the
# arrays themselves, one copy while they are split train/test, and the file's bytes or text
# chunks in flight.
MEMORY_BOUND = 3.0
# glyphs renders in float32 (4 bytes a pixel): four float32 copies of the 24,000 images at once
# (300 MB: the images, their noise, rint's and clip's results), and the font prototypes it
# draws first and keeps for later loads (about 160 MB); 640 MB leaves a third for the allocator.
GLYPHS_MEMORY_MB = 640
# An image folder's listing holds Python objects per file (its path, stat, cache key) and the
# decoding one future per file: 4 kB a file, beside MEMORY_BOUND times the arrays.
FOLDER_FILE_BYTES = 4000
# Beside its float64 copies: freed class copies under glibc's 32 MB mmap threshold that stay in
# the heap, the threads' distance blocks and the scikit-learn code loaded on first use (about
# 200 MB on the 297,959-image A-Z split, allowed twice that).
NEARMISS_EXTRA_MB = 400
IDX_TARGET_S = 2.0  # any EMNIST split or MNIST, decoded, turned upright and split
FOLDER_IMAGES = 30_000
FOLDER_COLD_TARGET_S = 30.0  # 30,000 PNGs decoded and fitted: 1 ms an image
PARSE_TARGET_S = 10.0  # the A-Z CSV parsed, with or without writing the cache
CACHED_TARGET_S = 1.0  # a source read back from data/processed
GLYPHS_TARGET_S = 5.0  # 24,000 characters drawn, fonts first
NEARMISS_TARGET_S = 60.0  # as for the byclass file in bench_balance.py


@dataclass(frozen=True)
class Section:
    name: str
    help: str
    run: Callable[[argparse.Namespace, Path], bool]  # (options, scratch folder) -> targets met


def az_csv_file(options: argparse.Namespace, scratch: Path) -> Path:
    """The A-Z CSV every A-Z section reads, written once per run: EMNIST byclass's capitals in
    Kaggle's letter counts, repeated with small shifts (synthetic strokes without EMNIST)."""
    import warnings

    import numpy as np
    from support import real_sized
    from support.csv_files import write_az_csv

    from helpers.data import azcsv, load_from

    path = scratch.parent / "inputs" / azcsv.FILE_NAME
    if path.exists():
        return path
    path.parent.mkdir(exist_ok=True)
    start = time.perf_counter()
    folder = emnist_files.location()
    if (folder / "emnist-byclass-test-images-idx3-ubyte.gz").exists():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "only the test part": expected here
            x, y = real_sized.capitals(load_from("emnist-byclass", str(folder)))
        what = f"EMNIST byclass-test's {len(y):,} capitals, repeated with shifts of up to 2 px"
        x, y = real_sized.az_from_letters(x, y, rows=options.rows)
        write_az_csv(path, x, y)
    else:
        what = f"synthetic strokes (no EMNIST files in {folder})"
        _, y = write_az_csv(path, rows=options.rows, seed=0)
    counts = np.bincount(y, minlength=26)
    print(f"  wrote {options.rows:,} rows, {path.stat().st_size / 1e6:,.0f} MB, from {what}, "
          f"in Kaggle's letter counts ({counts.min():,} to {counts.max():,} a letter) in "
          f"{time.perf_counter() - start:.1f} s (page cache warm: every read below is from RAM)",
          flush=True)
    return path


def bench_az_csv(options: argparse.Namespace, scratch: Path) -> bool:
    """Kaggle A-Z CSV: cold parse vs pandas' C reader (same file and run), first and cached
    load(); time and memory."""
    import numpy as np
    import pandas as pd

    from helpers.data import azcsv

    path = az_csv_file(options, scratch)
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
    print(f"  parse_az_csv best {best:.2f} s  target <= {PARSE_TARGET_S:g} s: "
          f"{verdict(best <= PARSE_TARGET_S)}")
    ok &= best <= PARSE_TARGET_S
    ok &= memory_line("parse_az_csv", ours.extras)
    memory_line("pandas (a DataFrame: no bound)", theirs.extras, times=None)

    first = fresh_loads("az-csv", path, 1, project=scratch / "first")
    ok &= loads_line("load() first (parse + write cache)", first, target=PARSE_TARGET_S)
    cached = fresh_loads("az-csv", path, options.repeats, project=scratch / "first")
    ok &= loads_line("load() cached (incl. split)", cached, target=CACHED_TARGET_S)
    ratio = bench_method.ratio(ours, theirs)
    print(f"  parse_az_csv is {ratio:.1f}x pandas' speed (best against best)"
          f"{'' if ratio >= 1 else ' (SLOWER than pandas)'}")
    return ok and ratio >= 1


def bench_az_nearmiss(options: argparse.Namespace, scratch: Path) -> bool:
    """NearMiss-1 on the A-Z CSV's training split (its real size), each run a fresh process."""
    path = az_csv_file(options, scratch)
    fresh_loads("az-csv", path, 1, project=scratch)  # parse once; every run loads the cache
    results = [bench_method.run_once(measure_command("nearmiss:az-csv", path),
                                     {"OCR_PROJECT_DIR": str(scratch)})
               for _ in range(options.repeats)]
    first = results[0]
    # NearMiss works on a float64 copy (8 bytes a pixel); imbalanced-learn takes each class out
    # of it as a copy (the largest is the most) and returns the kept rows as one more.
    kept_share = first["kept"] / first["images"]
    extra = NEARMISS_EXTRA_MB * MB
    bound = first["float_bytes"] * (1 + first["largest_share"] + kept_share) + extra
    times = [r["value"] for r in results]
    rise = max(r["rise"] for r in results)
    met_time, met_memory = min(times) <= NEARMISS_TARGET_S, rise <= bound
    print(f"  {first['images']:,} training images x 784 pixels, {first['classes']} classes "
          f"({first['fewest']:,} to {first['most']:,} a class) -> {first['kept']:,} kept")
    print(f"  NearMiss-1, fresh process            best {min(times):.2f} s  (runs: "
          f"{', '.join(f'{t:.2f}' for t in times)})  target <= {NEARMISS_TARGET_S:g} s: "
          f"{verdict(met_time)}")
    print(f"  peak memory +{rise / MB:,.0f} MB over the {first['base'] / MB:,.0f} MB held after "
          f"loading; bound {bound / MB:,.0f} MB (the float64 copy "
          f"{first['float_bytes'] / MB:,.0f} MB, its largest class "
          f"{first['float_bytes'] * first['largest_share'] / MB:,.0f} MB, the kept rows "
          f"{first['float_bytes'] * kept_share / MB:,.0f} MB, + {NEARMISS_EXTRA_MB} MB): "
          f"{verdict(met_memory)}", flush=True)
    return met_time and met_memory


def compared(options: argparse.Namespace, sides: list[str], path: Path):
    """Seconds of each side, measured in fresh processes, alternating; every run printed."""
    runs = bench_method.compare(bench_method.script_command(__file__, "--path", str(path)),
                                sides, runs=options.runs, higher_is_better=False,
                                progress=None)
    for side in sides:
        print("  " + runs[side].line("s", digits=2), flush=True)
    return runs


def measure(side: str, path: Path | None) -> None:
    """One side, in this process: its seconds, and its peak memory above what the process held
    before it. A side is the A-Z CSV parsed by the bundle or by pandas, EMNIST byclass-test (in
    the folder `path`) decompressed only or loaded, `load:NAME` (load_from(NAME, path)), or
    `nearmiss:NAME` (NearMiss-1 on that source's training split, loaded untimed first)."""
    import gzip
    import importlib
    import warnings

    import numpy as np
    import pandas as pd
    from support import memory

    from helpers.data import SOURCES, azcsv, emnist, load_from

    warnings.simplefilter("ignore")  # "only the test part" and the like: expected here
    kind, _, name = side.partition(":")
    extra = {}
    if kind == "nearmiss":
        from helpers.learn.balance import nearmiss

        data = load_from(name, str(path))
        counts = np.bincount(data.y_train)
        extra = {"images": len(data.y_train), "classes": data.num_classes,
                 "fewest": int(counts.min()), "most": int(counts.max()),
                 "largest_share": float(counts.max() / counts.sum()),
                 "float_bytes": data.x_train.size * 8}
        step = memory.step(lambda: nearmiss(data, version=1))
        extra["kept"] = len(step.result.dataset.y_train)
    elif kind == "load":
        importlib.import_module(f"helpers.data.{SOURCES[name][0]}")  # imports are the baseline
        step = memory.step(lambda: load_from(name, str(path) if path else None))
        data = step.result
        extra = {"images": len(data.y_train) + len(data.y_test), "classes": data.num_classes,
                 "array_bytes": sum(a.nbytes for a in (data.x_train, data.y_train, data.x_test,
                                                        data.y_test))}
    elif side == "parse_az_csv":
        step = memory.step(lambda: azcsv.parse_az_csv(path))
        extra = {"array_bytes": sum(a.nbytes for a in step.result)}
    elif side == "pandas":
        step = memory.step(lambda: pd.read_csv(path, header=None, dtype=np.uint8, engine="c"))
        extra = {"array_bytes": int(step.result.memory_usage(index=False).sum())}
    elif side == "gzip only":
        files = emnist.split_files("byclass", path)
        step = memory.step(lambda: [gzip.decompress(files[k].read_bytes())
                                    for k in ("test_images", "test_labels")])
    else:
        step = memory.step(lambda: emnist.load(split="byclass", data_dir=str(path)))
        extra = {"array_bytes": sum(a.nbytes for a in (step.result.x_train, step.result.y_train,
                                                       step.result.x_test, step.result.y_test))}
    bench_method.emit(step.seconds, base=step.base, rise=step.rise, **extra)


def measure_command(side: str, path: Path | None) -> list[str]:
    return [sys.executable, __file__, "--measure", side, *(["--path", str(path)] if path else [])]


def fresh_loads(name: str, location: Path | None, runs: int, project: Path | None = None):
    """`runs` loads of source `name`, each in a fresh process; with `project`, its caches go
    there (a new folder: the first load starts cold)."""
    env = {"OCR_PROJECT_DIR": str(project)} if project else None
    return [bench_method.run_once(measure_command(f"load:{name}", location), env)
            for _ in range(runs)]


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def memory_line(label: str, results: list[dict], times: float | None = MEMORY_BOUND,
                plus: int = 0, why: str = "") -> bool:
    """The worst run's peak memory against the arrays it returns and the bound `times` the
    arrays' bytes plus `plus` bytes (`why` says what those are for); True when within it.
    `times=None`: no bound."""
    rise, arrays = max(r["rise"] for r in results), results[0]["array_bytes"]
    limit = None if times is None else times * arrays + plus
    met = limit is None or rise <= limit
    print(f"  {label + ' memory':<36} +{rise / MB:,.0f} MB at the peak over the "
          f"{results[0]['base'] / MB:,.0f} MB of interpreter and imports = "
          f"{rise / arrays:.2f}x the arrays' {arrays / MB:,.0f} MB"
          + ("" if limit is None else f"  bound {limit / MB:,.0f} MB "
             f"({why or f'{times:g}x the arrays'}): {verdict(met)}"), flush=True)
    return met


def loads_line(label: str, results: list[dict], target: float | None = None,
               **bound) -> bool:
    """A load's seconds (every fresh-process run; the best against `target`), then its memory
    (`bound`: memory_line's)."""
    times = [r["value"] for r in results]
    met = target is None or min(times) <= target
    print(f"  {label}\n  {'    time':<36} best {min(times):.2f} s  (runs: "
          f"{', '.join(f'{t:.2f}' for t in times)})"
          + ("" if target is None else f"  target <= {target:g} s: {verdict(met)}"), flush=True)
    return memory_line("   ", results, **bound) and met


def bench_emnist(options: argparse.Namespace, scratch: Path) -> bool:
    """EMNIST byclass-test (real NIST files): full load vs. the bare gzip decompression floor."""
    import warnings

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
    return memory_line("emnist.load", load.extras)


def bench_emnist_splits(options: argparse.Namespace, scratch: Path) -> bool:
    """EMNIST letters, mnist, byclass and bymerge (read from byclass's files) via load_from."""
    folder = emnist_files.location()
    ok = True
    for split in ("letters", "mnist", "byclass", "bymerge"):
        present = any(folder.glob(f"emnist-{split}-*-images-idx3-ubyte.gz"))
        if not present and not (split == "bymerge"
                                and any(folder.glob("emnist-byclass-*-images-idx3-ubyte.gz"))):
            print(f"  emnist-{split}: skipped, no files in {folder} (set OCR_EMNIST_DIR)")
            continue
        results = fresh_loads(f"emnist-{split}", folder, options.repeats, project=scratch)
        r = results[0]
        ok &= loads_line(f"emnist-{split}: {r['images']:,} images, {r['classes']} classes",
                         results, target=IDX_TARGET_S)
    return ok


def bench_mnist(options: argparse.Namespace, scratch: Path) -> bool:
    """MNIST's four IDX files at its real size (60,000 + 10,000), made from EMNIST's mnist."""
    import warnings

    import numpy as np
    from support import real_sized

    from helpers.data import load_from

    source = emnist_files.location()
    if not (source / "emnist-mnist-test-images-idx3-ubyte.gz").exists():
        print(f"  skipped: no EMNIST mnist files in {source} (set OCR_EMNIST_DIR)")
        return True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        digits = load_from("emnist-mnist", str(source))
    x = np.concatenate([digits.x_train, digits.x_test])
    y = np.concatenate([digits.y_train, digits.y_test])
    folder = real_sized.write_mnist(scratch / "mnist", x, y)
    size = sum(f.stat().st_size for f in folder.iterdir())
    print(f"  wrote MNIST's 4 gzip'd IDX files, {size / 1e6:.0f} MB: EMNIST mnist-test's "
          f"{len(x):,} digits as the test part, shifted by up to 2 px into the "
          f"{real_sized.MNIST_TRAIN:,} of the train part", flush=True)
    results = fresh_loads("mnist", folder, options.repeats, project=scratch / "project")
    return loads_line(f"mnist: {results[0]['images']:,} images", results, target=IDX_TARGET_S)


def bench_folder(options: argparse.Namespace, scratch: Path) -> bool:
    """An image folder of 30,000 PNGs in 47 class folders: cold (decode) and cached loads."""
    import warnings

    import numpy as np
    from support import real_sized

    from helpers.data import load_from

    source = emnist_files.location()
    if not (source / "emnist-byclass-test-images-idx3-ubyte.gz").exists():
        print(f"  skipped: no EMNIST byclass files in {source} (set OCR_EMNIST_DIR)")
        return True
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        merged = load_from("emnist-bymerge", str(source)).limited(options.folder_images)
    x = np.concatenate([merged.x_train, merged.x_test])
    y = np.concatenate([merged.y_train, merged.y_test])
    root = scratch / "images"
    files = real_sized.write_image_folder(root, x, y, merged.classes)
    size = sum(f.stat().st_size for f in root.rglob("*.png"))
    print(f"  wrote {files:,} PNGs ({size / 1e6:.0f} MB, dark ink on white) in "
          f"{merged.num_classes} class folders, a stratified sample of EMNIST bymerge, in "
          f"{time.perf_counter() - start:.1f} s", flush=True)
    cold = [fresh_loads("folder", root, 1, project=scratch / f"cold-{i}")[0]
            for i in range(max(2, options.repeats - 1))]  # each a new, empty cache
    bound = {"plus": files * FOLDER_FILE_BYTES,
             "why": f"{MEMORY_BOUND:g}x the arrays + {FOLDER_FILE_BYTES / 1000:g} kB a file"}
    ok = loads_line("folder, cold (decode + write cache)", cold, target=FOLDER_COLD_TARGET_S,
                    **bound)
    cached = fresh_loads("folder", root, options.repeats, project=scratch / "cold-0")
    return loads_line("folder, cached", cached, target=CACHED_TARGET_S, **bound) and ok


def bench_glyphs(options: argparse.Namespace, scratch: Path) -> bool:
    """The built-in glyphs set at its default size: first load in a new process (fonts drawn;
    imports not timed) with its memory, and later loads."""
    first = fresh_loads("glyphs", None, options.repeats)
    ok = loads_line("glyphs 24,000 images, new process (fonts drawn first)", first,
                    target=GLYPHS_TARGET_S, times=0, plus=GLYPHS_MEMORY_MB * MB,
                    why="float32 rendering and the fonts drawn")
    from helpers.data import glyphs

    glyphs.load(size=1000)  # templates drawn once per process
    later, _ = timed(lambda: glyphs.load(seed=1), options.repeats)
    report("glyphs 24,000 images, templates warm", later)
    return ok


# A section: a name, a line of help, and a function (options, scratch folder) -> targets met.
SECTIONS = [
    Section("az-csv", "Kaggle A-Z CSV, 372,450 rows from EMNIST's capitals: cold parse vs "
            "pandas, first and cached load, memory", bench_az_csv),
    Section("az-nearmiss", "NearMiss-1 on the A-Z CSV's training split (its real size): time, "
            "memory", bench_az_nearmiss),
    Section("emnist", "EMNIST byclass-test decode (real files), vs. bare gzip decompression; "
            "memory", bench_emnist),
    Section("emnist-splits", "EMNIST letters, mnist, byclass, bymerge via load_from: time, "
            "memory", bench_emnist_splits),
    Section("mnist", "MNIST's IDX files at 70,000 images (from EMNIST mnist): time, memory",
            bench_mnist),
    Section("folder", "image folder of 30,000 PNGs in 47 classes (from EMNIST): cold and cached "
            "load, memory", bench_folder),
    Section("glyphs", "built-in glyphs dataset generation at the default size, memory",
            bench_glyphs),
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
    parser.add_argument("--folder-images", type=int, default=FOLDER_IMAGES,
                        help=f"PNGs in the generated image folder (default {FOLDER_IMAGES:,})")
    options = parser.parse_args(argv)
    if options.measure:
        measure(options.measure, options.path)
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
