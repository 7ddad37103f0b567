"""Training benchmarks on real EMNIST: `make bench-train` or
`.venv/bin/python tests/benchmarks/bench_train.py [--only SECTION] [--runs N]`.

- throughput: images/s of the `deep` network through the bundle's pipeline versus the write-ups'
  recipe (`ImageDataGenerator(...).flow`, batch 128, same augmentation), each run in a fresh
  process, the two alternating, five of each (`support.bench_method`), in every precision the
  CPU offers: float32, float32 with oneDNN held to AVX-512 without its bfloat16 and AMX
  instructions (`ONEDNN_MAX_CPU_ISA=AVX512_CORE`, as on a CPU that lacks them), and bfloat16
  where the CPU has it; beside them the CPU's matmul peak in the same precision,
  measured in the same way, and the share of it the training step reaches;
- two at once: the report's training stage, two kernels training `deep` (float32, augmented)
  at the same time, each held to half the cores; their summed images/s with the input pipeline
  on tf.data's own pool (a thread per core in each kernel, what the notebooks do) versus held to
  the kernels' budget (`pipeline(threads=...)`), alternating, fresh processes;
- time-to-88: wall time until 88% test accuracy on a fixed stratified split of the byclass test
  file merged to 47 classes, the bundle's fastest recipe (`FASTEST`: `dropout_bn`, a `Recipe`
  with a cosine schedule over three epochs, trained by `helpers.learn.train.fit`) versus the
  write-ups' (Adam, EarlyStopping patience 5);
- latency: warm single-image prediction, `Predictor` versus `model.predict`.
Exits 1 when a target is missed. Writes nothing into the checkout.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(TESTS), str(TESTS.parent)]
from helpers.report.console import filter_stderr_until_exit  # noqa: E402

if __name__ == "__main__":  # (imported by other benchmarks, which filter themselves)
    filter_stderr_until_exit()  # TensorFlow's C++ notices off the console

os.environ.setdefault("OCR_PROJECT_DIR", tempfile.mkdtemp(prefix="bench-train-"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from support import emnist  # noqa: E402

from helpers.data import Dataset, load_dataset, merge_lookalikes, stratified_split  # noqa: E402
from helpers.learn import anatomy  # noqa: E402
from helpers.learn.augment import ROTATION, SHEAR, SHIFT, ZOOM, pipeline  # noqa: E402
from helpers.learn.hardware import precision  # noqa: E402
from helpers.learn.inputs import to_input  # noqa: E402
from helpers.learn.models import build_model  # noqa: E402
from helpers.learn.predict import Predictor, probabilities  # noqa: E402
from helpers.learn.recipe import Recipe  # noqa: E402
from helpers.learn.train import fit, set_seed, training_data  # noqa: E402

TARGET_ACCURACY = 0.88
try:
    CPU_FLAGS = set(Path("/proc/cpuinfo").read_text().split())
except OSError:
    CPU_FLAGS = set()


def emnist_dir() -> Path | None:
    folder = emnist.location()
    return folder if (folder / "emnist-byclass-test-images-idx3-ubyte.gz").exists() else None


def byclass47(folder: Path) -> Dataset:
    """The byclass test file, split 80/20 stratified with seed 0, merged to NIST's 47 classes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return merge_lookalikes(load_dataset("emnist-byclass", data_dir=str(folder), seed=0))


def byclass47_or_skip() -> Dataset | None:
    """`byclass47` of the real files, or None (with the reason printed) when they are absent."""
    folder = emnist_dir()
    if folder is None:
        print(f"skipped: the EMNIST byclass test file is not in {emnist.location()} "
              "(set OCR_EMNIST_DIR)")
        return None
    dataset = byclass47(folder)
    print(f"data: {dataset!r} from {folder}", flush=True)
    return dataset


def seed_generator():
    """The write-ups' augmentation, as they ran it."""
    from keras.src.legacy.preprocessing.image import ImageDataGenerator

    return ImageDataGenerator(rescale=1 / 255, rotation_range=ROTATION * 360,
                              width_shift_range=SHIFT, height_shift_range=SHIFT,
                              shear_range=SHEAR, zoom_range=ZOOM, horizontal_flip=False,
                              fill_mode="nearest")


def images_per_second(model: keras.Model, data, steps: int, batch: int) -> float:
    model.fit(data, epochs=1, steps_per_epoch=5, verbose=0)  # warm up: tracing, threads
    start = time.perf_counter()
    model.fit(data, epochs=1, steps_per_epoch=steps, verbose=0)
    return steps * batch / (time.perf_counter() - start)


THROUGHPUT_SIDES = ("write-ups' recipe", "bundle pipeline")
BEST_SIDE = "bundle's best recipe"  # its training step: FASTEST_NETWORK, no augmentation
# (label, environment): float32 always, float32 as on a CPU without AMX, bfloat16 where present.
PRECISIONS = (("float32", {"OCR_PRECISION": "float32"}),
              ("float32, AVX512_CORE only", {"OCR_PRECISION": "float32",
                                             "ONEDNN_MAX_CPU_ISA": "AVX512_CORE"}),
              ("bfloat16", {"OCR_PRECISION": "mixed_bfloat16"}))
MATMUL_SIZE = 2048


def measure_throughput(side: str, steps: int, threads: int = 0) -> float:
    """One side's images/s in this process: the write-ups' generator (always float32, as they
    ran it) or the bundle's tf.data pipeline (in `precision()`, which OCR_PRECISION sets) on
    `threads` input threads (0: tf.data's pool)."""
    dataset = byclass47(emnist_dir())
    x, y = dataset.x_train, dataset.y_train
    set_seed(0, deterministic=False)
    if side == THROUGHPUT_SIDES[0]:
        data = seed_generator().flow(x[..., None].astype(np.float32), y, batch_size=128, seed=0)
        model = build_model("deep", dataset.num_classes)
    elif side == BEST_SIDE:
        data = pipeline(x, y, batch_size=FASTEST.batch_size, augment=FASTEST.augment,
                        shuffle=True).repeat()
        model = build_model(FASTEST_NETWORK, dataset.num_classes, precision=precision())
    else:
        data = pipeline(x, y, batch_size=128, augment=True, shuffle=True,
                        threads=threads).repeat()
        model = build_model("deep", dataset.num_classes, precision=precision())
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return images_per_second(model, data, steps, 128)


PAIR_SIDES = ("input on tf.data's pool", "input held to the budget")


def measure_pair(side: str, steps: int) -> float:
    """Two kernels training at once, as in the report's training stage (`thread_share`): the
    sum of their images/s."""
    from concurrent.futures import ThreadPoolExecutor

    from support import bench_method

    from helpers.report.chain import THREAD_VARIABLES

    budget = max(1, (os.cpu_count() or 2) // 2)
    env = {"OCR_PRECISION": "float32", **{name: str(budget) for name in THREAD_VARIABLES}}
    threads = 0 if side == PAIR_SIDES[0] else budget
    command = bench_method.script_command(__file__, "--steps", str(steps), "--threads",
                                          str(threads))(THROUGHPUT_SIDES[1])
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: bench_method.run_once(command, env), range(2)))
    return sum(result["value"] for result in results)


def bench_two_at_once(options, dataset: Dataset) -> bool:
    from support import bench_method

    print(f"  two kernels training deep at once (float32, augmented, batch 128, "
          f"{options.steps} steps), each held to half the cores; {options.runs} runs per side, "
          "each a fresh pair of processes, alternating", flush=True)
    runs = bench_method.compare(bench_method.script_command(__file__, "--steps",
                                                            str(options.steps)),
                                list(PAIR_SIDES), runs=options.runs, progress=None)
    for side in PAIR_SIDES:
        print("    " + runs[side].line("images/s, both kernels"))
    ratio = bench_method.ratio(runs[PAIR_SIDES[1]], runs[PAIR_SIDES[0]])
    print(f"  ratio {ratio:.2f}× (best against best) for the input held to the kernels' budget")
    return True


def measure_matmul(repeats: int = 20) -> float:
    """The CPU's matmul rate in GFLOP/s at MATMUL_SIZE², in bfloat16 when
    OCR_PRECISION=mixed_bfloat16."""
    import tensorflow as tf

    dtype = tf.bfloat16 if os.environ.get("OCR_PRECISION") == "mixed_bfloat16" else tf.float32
    a = tf.random.normal((MATMUL_SIZE, MATMUL_SIZE), dtype=tf.float32)
    a = tf.cast(a, dtype)
    step = tf.function(lambda m: tf.matmul(m, m))
    step(a).numpy()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        step(a).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * MATMUL_SIZE ** 3 / best / 1e9


def bench_throughput(options, dataset: Dataset) -> bool:
    from support import bench_method

    flops = anatomy.training_flops(build_model("deep", dataset.num_classes))
    has_bf16 = "avx512_bf16" in CPU_FLAGS or "amx_bf16" in CPU_FLAGS
    print(f"  deep, {dataset.num_classes} classes, batch 128, {options.steps} steps per run; "
          f"{flops / 1e6:.1f} MFLOP to train on one image (6 × multiply-adds); "
          f"{options.runs} runs per side, each in a fresh process, alternating", flush=True)
    command = bench_method.script_command(__file__, "--steps", str(options.steps))
    rows, ok = [], True
    for label, env in PRECISIONS:
        if env["OCR_PRECISION"] == "mixed_bfloat16" and not has_bf16:
            print(f"  {label}: skipped, this CPU has no bfloat16 instructions")
            continue
        if "ONEDNN_MAX_CPU_ISA" in env and not has_bf16:
            continue  # a CPU without bfloat16 instructions: this row is the float32 one
        print(f"  -- {label}", flush=True)
        runs = bench_method.compare(command, list(THROUGHPUT_SIDES), runs=options.runs,
                                    env=env, progress=None)
        peak = bench_method.compare(bench_method.script_command(__file__), ["matmul"],
                                    runs=3, env=env, progress=None)["matmul"]
        ours, theirs = runs[THROUGHPUT_SIDES[1]], runs[THROUGHPUT_SIDES[0]]
        for side in THROUGHPUT_SIDES:
            print("    " + runs[side].line("images/s"))
        print("    " + peak.line("GFLOP/s"))
        share = ours.best * flops / 1e9 / peak.best
        ratio = bench_method.ratio(ours, theirs)
        print(f"    ratio {ratio:.2f}× (best against best); the bundle's step reaches "
              f"{share:.0%} of the {peak.best:,.0f} GFLOP/s matmul peak", flush=True)
        rows.append((label, theirs.best, ours.best, ratio, peak.best, share))
        if label == "float32":
            ok &= ratio >= 1.0
    print("  | precision | write-ups' recipe | bundle pipeline | ratio | matmul peak | bundle's "
          "share of the peak |")
    print("  |---|---|---|---|---|---|")
    for label, theirs, ours, ratio, peak, share in rows:
        print(f"  | {label} | {theirs:,.0f} images/s | {ours:,.0f} images/s | {ratio:.2f}× | "
              f"{peak:,.0f} GFLOP/s | {share:.0%} |")
    print(f"  float32 target: the bundle at least as fast as the write-ups' recipe: "
          f"{'met' if ok else 'MISSED'}")
    return ok


class TestClock(keras.callbacks.Callback):
    """Test accuracy after every epoch; training time excludes these evaluations. Training
    stops once `target` is reached (None: never) or the budget of seconds is spent."""

    def __init__(self, dataset: Dataset, budget: float, target: float | None = TARGET_ACCURACY):
        super().__init__()
        self.dataset, self.budget, self.target = dataset, budget, target
        self.reached: float | None = None
        self.log: list[tuple[float, float]] = []

    def on_train_begin(self, logs=None):
        self.start, self.paused = time.perf_counter(), 0.0

    def on_epoch_end(self, epoch, logs=None):
        pause = time.perf_counter()
        elapsed = pause - self.start - self.paused
        proba = probabilities(self.model, self.dataset.x_test)
        accuracy = float((proba.argmax(1) == self.dataset.y_test).mean())
        self.log.append((elapsed, accuracy))
        print(f"    epoch {epoch + 1:2d}  {elapsed:6.0f} s  test accuracy {accuracy:.4f}",
              flush=True)
        if self.target is not None and accuracy >= self.target and self.reached is None:
            self.reached = elapsed
            self.model.stop_training = True
        if elapsed > self.budget:
            self.model.stop_training = True
        self.paused += time.perf_counter() - pause


def seed_recipe(dataset: Dataset, clock: TestClock, epochs: int) -> keras.Model:
    """deep + ImageDataGenerator(batch 128) + Adam + EarlyStopping(val_accuracy, patience 5)."""
    x_train, y_train, x_val, y_val = stratified_split(dataset.x_train, dataset.y_train, 0.1, 0)
    model = build_model("deep", dataset.num_classes)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    flow = seed_generator().flow(x_train[..., None].astype(np.float32), y_train,
                                 batch_size=128, seed=0)
    stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=5,
                                         restore_best_weights=True)
    model.fit(flow, epochs=epochs, validation_data=(to_input(x_val), y_val),
              callbacks=[stop, clock], verbose=0)
    return model


def best_recipe(dataset: Dataset, clock: TestClock, epochs: int) -> None:
    """The bundle's fastest recipe to 88%: `FASTEST` for `epochs` (its cosine schedule fitted
    to them) on `FASTEST_NETWORK`, in bfloat16 where the CPU has it, by the bundle's `fit`."""
    model = build_model(FASTEST_NETWORK, dataset.num_classes, precision=precision())
    recipe = replace(FASTEST, epochs=epochs)
    fit(model, training_data(dataset, recipe, seed=0), recipe, [clock], verbose=0)


# Found by trying: in a budget of three epochs, augmentation costs more accuracy than it gives
# back, while batch normalisation and a higher rate annealed to zero converge faster. Adam in
# batches of 128, the rate warmed up over the first tenth of the steps from a tenth of 2e-3 and
# annealed to zero by the last (a cosine schedule runs every epoch: no early stopping).
FASTEST_NETWORK = "dropout_bn"
FASTEST = Recipe(epochs=3, batch_size=128, learning_rate=2e-3, schedule="cosine", warmup=0.1,
                 patience=None, augment=False)


def bench_time_to_target(options, dataset: Dataset) -> bool:
    """Time to 88% = the epochs each recipe needs (one seeded run each: convergence does not
    depend on the machine's speed state) × its epoch time from the best of `--runs` fresh-process
    measurements of its training step, alternating (which does)."""
    from support import bench_method

    epochs, clocks = {}, {}
    for name, recipe, limit in ((THROUGHPUT_SIDES[0], seed_recipe, options.max_epochs),
                                (BEST_SIDE, best_recipe, FASTEST.epochs)):
        print(f"  {name}:", flush=True)
        set_seed(0, deterministic=False)
        clock = TestClock(dataset, options.budget)
        recipe(dataset, clock, limit)
        clocks[name] = clock
        reached = next((i for i, (_, a) in enumerate(clock.log, 1) if a >= TARGET_ACCURACY),
                       None)
        epochs[name] = reached
        best = max(a for _, a in clock.log)
        outcome = (f"reached 88% after epoch {reached} ({clock.reached:.0f} s in this run)"
                   if reached else "did not reach 88%")
        print(f"    -> {outcome} (best {best:.4f})", flush=True)
    if epochs[BEST_SIDE] is None:
        print("  MISSED: the best recipe did not reach 88%")
        return False
    if epochs[THROUGHPUT_SIDES[0]] is None:
        print(f"  the write-ups' recipe did not reach 88% within its budget "
              f"({options.budget:.0f} s, {options.max_epochs} epochs)")
        return True
    print(f"  epoch times: {options.runs} runs of each training step, fresh processes, "
          "alternating", flush=True)
    runs = bench_method.compare(bench_method.script_command(__file__, "--steps",
                                                            str(options.steps)),
                                [THROUGHPUT_SIDES[0], BEST_SIDE], runs=options.runs,
                                progress=None)
    trained = round(len(dataset.x_train) * 0.9)  # both hold out a tenth for validation
    seconds = {}
    for name in (THROUGHPUT_SIDES[0], BEST_SIDE):
        print("    " + runs[name].line("images/s"))
        seconds[name] = epochs[name] * trained / runs[name].best
        print(f"    {name}: {epochs[name]} epochs × {trained / runs[name].best:.0f} s = "
              f"{seconds[name]:.0f} s to 88%", flush=True)
    ratio = seconds[BEST_SIDE] / seconds[THROUGHPUT_SIDES[0]]
    print(f"  ratio {ratio:.2f}  target <= 0.33: {'met' if ratio <= 1 / 3 else 'MISSED'}")
    return ratio <= 1 / 3


def bench_latency(options, dataset: Dataset) -> bool:
    ok = True
    image = dataset.x_test[:1]
    for name in ("deep", "resnet"):
        model = build_model(name, dataset.num_classes)
        predictor = Predictor(model)
        results = {}
        for label, call in (("model.predict", lambda m=model: m.predict(to_input(image),
                                                                         verbose=0)),
                            ("Predictor", lambda p=predictor: p(image))):
            for _ in range(10):
                call()
            samples = []
            for _ in range(options.calls):
                start = time.perf_counter()
                call()
                samples.append((time.perf_counter() - start) * 1000)
            results[label] = statistics.median(samples)
        met = results["Predictor"] <= 5
        ok &= met
        speedup = results["model.predict"] / results["Predictor"]
        print(f"  {name:7} model.predict {results['model.predict']:6.2f} ms   Predictor "
              f"{results['Predictor']:5.2f} ms  ({speedup:.0f}x)  target <= 5 ms: "
              f"{'met' if met else 'MISSED'}")
    return ok


def run_sections(sections: dict, options) -> int:
    """Run the chosen sections (`options.only`, default all) on the byclass→47 split; the exit
    status is 1 when a target was missed, 0 otherwise or when the files are absent."""
    dataset = byclass47_or_skip()
    if dataset is None:
        return 0
    ok = True
    for name, section in sections.items():
        if options.only and name not in options.only:
            continue
        print(f"== {name}", flush=True)
        ok &= section(options, dataset)
    print("all targets met" if ok else "some targets MISSED")
    return 0 if ok else 1


SECTIONS = {"throughput": bench_throughput, "two-at-once": bench_two_at_once,
            "time-to-88": bench_time_to_target, "latency": bench_latency}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=list(SECTIONS), metavar="SECTION",
                        help=f"run only this section (repeatable): {', '.join(SECTIONS)}")
    parser.add_argument("--runs", type=int, default=5,
                        help="fresh-process runs per side in every comparison (5)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # one run, in a child process
    parser.add_argument("--steps", type=int, default=60, help="batches per throughput run")
    parser.add_argument("--threads", type=int, default=0, help=argparse.SUPPRESS)  # (two-at-once)
    parser.add_argument("--calls", type=int, default=200, help="calls per latency setting")
    parser.add_argument("--max-epochs", type=int, default=20,
                        help="epoch limit for the write-ups' recipe in time-to-88")
    parser.add_argument("--budget", type=float, default=1800,
                        help="seconds of training per recipe in time-to-88")
    options = parser.parse_args(argv)
    if options.measure:
        from support.bench_method import emit

        side = options.measure
        if side == "matmul":
            emit(measure_matmul())
        elif side in PAIR_SIDES:
            emit(measure_pair(side, options.steps))
        else:
            emit(measure_throughput(side, options.steps, options.threads))
        return 0
    return run_sections(SECTIONS, options)


if __name__ == "__main__":
    sys.exit(main())
