"""The GPU path end to end: `make gpu-check` or
`.venv/bin/python tests/benchmarks/gpu_check.py [--network deep] [--batches 50] [--repeats 5]`.

On a machine where TensorFlow sees no GPU it says what TensorFlow reports and exits 2.
Otherwise:
- the GPU(s) and the precision training chooses there (`helpers.learn.hardware`);
- one network's training speed on the GPU and on the CPU (a process of its own each, the CPU's
  with CUDA_VISIBLE_DEVICES=-1, each in the precision its device chooses): the bundle's
  augmented tf.data pipeline, batches of 128, `--batches` batches per repeat after one repeat
  to trace and warm up, the median of `--repeats` repeats in images/s, and their ratio;
- a short report on the glyphs (`python -m helpers.report --epochs 2 --no-ablation --force`,
  every notebook executed here, into a temporary folder, two notebooks at once sharing the
  GPU), and whether its training table says the GPU and its precision (mixed_float16 on a GPU
  with tensor cores) trained the networks.
Prints a table to quote; exits 1 when the report's table does not say the GPU.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
sys.path[:0] = [str(TESTS), str(REPO)]
from helpers.learn.hardware import SHARED_GPU  # noqa: E402
from helpers.report.console import filter_stderr_until_exit  # noqa: E402

NO_GPU = 2
BATCH = 128


def no_gpu_message(tf) -> str:
    """What TensorFlow reports when it sees no GPU, and how to get its GPU build."""
    devices = ", ".join(d.name for d in tf.config.list_physical_devices()) or "none"
    cuda = tf.test.is_built_with_cuda()
    return (f"gpu-check: TensorFlow {tf.__version__} sees no GPU (its devices: {devices}; "
            f"{'built with CUDA' if cuda else 'a build without CUDA'}). "
            + ("Check that `nvidia-smi` lists the GPU and that CUDA_VISIBLE_DEVICES does not "
               "hide it." if cuda else
               "On a machine where `nvidia-smi` lists a GPU, `make` installs TensorFlow's GPU "
               "build (tensorflow[and-cuda]) into .venv; run `make gpu-check` there."))


def measure(network: str, batches: int, repeats: int) -> None:
    """This process's training speed of `network` (images/s, the median of `repeats`)."""
    import keras
    import numpy as np
    from support.bench_method import emit

    from helpers.learn.augment import pipeline
    from helpers.learn.hardware import device_text, precision
    from helpers.learn.models import build_model
    from helpers.learn.train import set_seed

    set_seed(0, deterministic=False)
    chosen = precision()
    model = build_model(network, 47, precision=chosen)
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (BATCH * 64, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 47, len(x))
    data = pipeline(x, y, batch_size=BATCH, augment=True, shuffle=True).repeat()
    model.fit(data, epochs=1, steps_per_epoch=batches, verbose=0, shuffle=False)  # tracing, warm-up
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        model.fit(data, epochs=1, steps_per_epoch=batches, verbose=0, shuffle=False)
        rates.append(batches * BATCH / (time.perf_counter() - started))
    emit(statistics.median(rates), device=device_text(), precision=chosen,
         runs=[round(r) for r in rates])


def training_row(report_html: str) -> str | None:
    """The report's "device and precision" row, as the reader sees it."""
    found = re.search(r"<td>device and precision</td>\s*<td>(.*?)</td>", report_html, re.S)
    return html.unescape(found.group(1)).strip() if found else None


def short_report(folder: Path) -> tuple[str | None, float]:
    """A short report on the glyphs into `folder`; its training table's device row and the
    seconds it took."""
    started = time.perf_counter()
    run = folder / "run"
    done = subprocess.run([sys.executable, "-m", "helpers.report", "--epochs", "2",
                           "--no-ablation", "--force", "--out", str(run)], cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0 or not (run / "report.html").exists():
        raise SystemExit(f"gpu-check: the short report failed (exit status {done.returncode})")
    return training_row((run / "report.html").read_text(encoding="utf-8")), seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--network", default="deep", help="the network timed (default deep)")
    parser.add_argument("--batches", type=int, default=50, help="batches per repeat (50)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats (5)")
    parser.add_argument("--no-report", dest="report", action="store_false",
                        help="time the network only")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # a measuring process: the network
    args = parser.parse_args(argv)
    if args.measure:
        measure(args.measure, args.batches, args.repeats)
        return 0

    import tensorflow as tf
    from support.bench_method import run_once

    from helpers.learn.hardware import device_text, gpu_details, precision

    gpus = gpu_details()
    if not gpus:
        print(no_gpu_message(tf), file=sys.stderr)
        return NO_GPU
    chosen = precision()
    print(f"GPU: {device_text(gpus)}; compute capability "
          + ", ".join(".".join(map(str, g.get("compute_capability") or ("?",))) for g in gpus)
          + f"; training precision {chosen}", flush=True)
    command = [sys.executable, __file__, "--measure", args.network, "--batches",
               str(args.batches), "--repeats", str(args.repeats)]
    sides = {"GPU": run_once(command), "CPU": run_once(command, {"CUDA_VISIBLE_DEVICES": "-1"})}
    rows = [f"| {side} | {r['device']} | {r['precision']} | {r['value']:,.0f} images/s "
            f"({', '.join(f'{v:,}' for v in r['runs'])}) |" for side, r in sides.items()]
    ratio = sides["GPU"]["value"] / sides["CPU"]["value"]
    print(f"\n{args.network}, batches of {BATCH} through the augmented tf.data pipeline, "
          f"{args.batches} batches per repeat, median of {args.repeats} repeats:\n")
    print("| device | name | precision | training speed (repeats) |\n|---|---|---|---|")
    print("\n".join(rows))
    print(f"\nGPU / CPU: {ratio:.1f}×", flush=True)
    if not args.report:
        return 0
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as folder:
        row, seconds = short_report(Path(folder))
    said = row or "(no device and precision row)"
    ok = row is not None and device_text(gpus) in row and chosen in row
    print(f"\nshort report on the glyphs (EPOCHS=2, ABLATION=0, every notebook executed): "
          f"{seconds / 60:.1f} min; its training table: {said}: "
          + (f"the GPU and {chosen}, as expected" if ok else
             f"NOT the GPU in {chosen} (expected {device_text(gpus)}, {chosen})"))
    return 0 if ok else 1


if __name__ == "__main__":
    filter_stderr_until_exit()  # TensorFlow's C++ notices off the console
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for name, value in SHARED_GPU.items():  # the report's two kernels share the GPU
        os.environ.setdefault(name, value)
    sys.exit(main())
