"""Accuracy benchmark on real EMNIST: `make bench-accuracy` or
`.venv/bin/python tests/benchmarks/bench_accuracy.py [--only SECTION] [--budget S]`.

- precision: training throughput of the best recipe's network in float32 and in 16 bits (mixed
  float16 on a GPU, mixed bfloat16 on a CPU), side by side, and which one
  `hardware.precision` picks on this machine;
- accuracy: the bundle's most accurate recipe (`helpers.learn.recipe.BEST` on `BEST_NETWORK`,
  trained, evaluated and saved as `make model` does; with `--minutes`, the epochs that fit in
  them here, `speed.within`, and a `TimeLimit`) and the write-ups'
  recipe (`deep`, ImageDataGenerator, Adam, early stopping on validation accuracy, patience 5), each
  trained on the byclass test file split 80/20 and merged to 47 classes (the split of
  `make bench-train`), with test accuracy after every epoch, final test accuracy and training
  wall time (evaluations excluded). Targets: at least 91.5% in at most 15 minutes;
- balanced: the best recipe under the official EMNIST-balanced protocol (NIST's train and test
  files), when both are present (`--balanced-dir`, default the EMNIST folder).
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
sys.path[:0] = [str(TESTS), str(TESTS.parent), str(TESTS / "benchmarks")]
from helpers.report.console import filter_stderr_until_exit  # noqa: E402

filter_stderr_until_exit()  # TensorFlow's C++ notices off the console

os.environ.setdefault("OCR_PROJECT_DIR", tempfile.mkdtemp(prefix="bench-accuracy-"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from bench_train import TestClock, emnist_dir, run_sections, seed_recipe  # noqa: E402

from helpers.data import Dataset, load_dataset  # noqa: E402
from helpers.learn.augment import pipeline  # noqa: E402
from helpers.learn.hardware import gpu_details, precision  # noqa: E402
from helpers.learn.models import build_model, load_model  # noqa: E402
from helpers.learn.predict import probabilities  # noqa: E402
from helpers.learn.recipe import (  # noqa: E402
    BEST,
    BEST_NETWORK,
    SEED_RECIPE,
    evaluated,
    save,
    train_network,
)
from helpers.learn.speed import within  # noqa: E402
from helpers.learn.train import TimeLimit, set_seed  # noqa: E402

TARGET_ACCURACY = 0.915
TARGET_SECONDS = 15 * 60


# Characters that handwriting does not tell apart without context (EMNIST keeps them apart).
LOOKALIKES = ("0O", "1IL", "2Z", "5S", "9gq", "Ff", "Tt", "6bG")


def accuracy(model, dataset: Dataset) -> float:
    """Test accuracy; also prints how much of the error is look-alikes mistaken for each other
    and so what accuracy would be if every other error were gone (the room left for a better
    classifier of single characters)."""
    predicted = probabilities(model, dataset.x_test).argmax(1)
    truth = dataset.y_test
    wrong = predicted != truth
    group = {c: i for i, g in enumerate(LOOKALIKES) for c in g}
    names = dataset.classes
    alike = sum(group.get(names[t], -1) == group.get(names[p], -2)
                for t, p in zip(truth[wrong], predicted[wrong], strict=True))
    print(f"    errors {wrong.mean():.2%} of the test images, of which look-alikes "
          f"({' '.join(LOOKALIKES)}) {alike / len(truth):.2%}: without the other errors "
          f"accuracy would be {1 - alike / len(truth):.2%}", flush=True)
    return float(1 - wrong.mean())


def bench_precision(options, dataset: Dataset) -> bool:
    """Images/s of the best recipe's network, 16 bits against float32, interleaved."""
    import keras

    data = pipeline(dataset.x_train, dataset.y_train, batch_size=BEST.batch_size,
                    augment=BEST.augment, shuffle=True).repeat()
    half = "mixed_float16" if gpu_details() else "mixed_bfloat16"
    rates: dict[str, list[float]] = {"float32": [], half: []}
    for _ in range(options.repeats):
        for name in rates:
            set_seed(0, deterministic=False)
            model = build_model(BEST_NETWORK, dataset.num_classes, precision=name)
            model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
            model.fit(data, epochs=1, steps_per_epoch=3, verbose=0)  # tracing, threads
            started = time.perf_counter()
            model.fit(data, epochs=1, steps_per_epoch=options.steps, verbose=0)
            rates[name].append(options.steps * BEST.batch_size
                               / (time.perf_counter() - started))
    medians = {name: statistics.median(r) for name, r in rates.items()}
    for name, r in rates.items():
        print(f"  {BEST_NETWORK} {name:<14} median {medians[name]:6.0f} images/s  "
              f"(runs: {', '.join(f'{v:.0f}' for v in r)})")
    faster = half if medians[half] > medians["float32"] else "float32"
    picked = precision()
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    native = [f for f in ("avx512_bf16", "amx_bf16") if f in flags]
    print(f"  ratio {half}/float32 {medians[half] / medians['float32']:.2f}; CPU "
          f"bfloat16 instructions: {', '.join(native) or 'none'}; picked {picked}, faster "
          f"here {faster}: {'consistent' if picked == faster else 'INCONSISTENT'}")
    return picked == faster


def run_recipe(name: str, train, dataset: Dataset, budget: float) -> dict:
    print(f"  {name}:", flush=True)
    set_seed(0, deterministic=False)
    clock = TestClock(dataset, budget, target=None)
    model = train(clock)
    final = accuracy(model, dataset)
    seconds = clock.log[-1][0] if clock.log else float("nan")
    best_epoch = max(range(len(clock.log)), key=lambda i: clock.log[i][1]) + 1
    print(f"    -> final test accuracy {final:.2%} after {len(clock.log)} epochs, "
          f"{seconds:.0f} s of training (best epoch {best_epoch}: "
          f"{clock.log[best_epoch - 1][1]:.2%})", flush=True)
    return {"accuracy": final, "seconds": seconds, "epochs": len(clock.log)}


def bench_accuracy(options, dataset: Dataset) -> bool:
    recipe = replace(BEST, epochs=options.epochs) if options.epochs else BEST
    limit = []
    if options.minutes:  # as `make model MINUTES=`: the epochs that fit, then a time limit
        planned = time.perf_counter()
        recipe = within(recipe, BEST_NETWORK, dataset, options.minutes * 60)
        limit = [TimeLimit(options.minutes * 60)]
        print(f"  {recipe.epochs} epochs fit in {options.minutes:g} minutes here (planned in "
              f"{time.perf_counter() - planned:.0f} s)", flush=True)
    print(f"  best recipe: {BEST_NETWORK}, {recipe}", flush=True)
    results = {}

    def best(clock):
        model, training = train_network(BEST_NETWORK, recipe, dataset,
                                        callbacks=[*limit, clock])
        if training.stopped_by == "time limit":
            print(f"    the time limit stopped it after {training.epochs_run} of {recipe.epochs} "
                  "epochs")
        evaluation = evaluated(BEST_NETWORK, model, training, dataset, seed=0,
                               recipe=recipe.as_dict())
        path = save(model, evaluation, dataset, options.save)
        print(f"    saved as {path} (what `make model` saves as the default reader)")
        return load_model(path)[0]

    results["bundle's best recipe"] = run_recipe("bundle's best recipe", best, dataset,
                                                 options.budget)
    if not options.skip_seed:
        def seed(clock):
            set_seed(0, deterministic=False)
            return seed_recipe(dataset, clock, SEED_RECIPE.epochs)

        results["write-ups' recipe"] = run_recipe("write-ups' recipe", seed, dataset,
                                                  options.budget)
    print(f"\n  {'recipe':<24} {'test accuracy':>13} {'training':>10} {'epochs':>7}")
    for name, r in results.items():
        print(f"  {name:<24} {r['accuracy']:>12.2%} {r['seconds']:>9.0f}s {r['epochs']:>7}")
    ours = results["bundle's best recipe"]
    met = ours["accuracy"] >= TARGET_ACCURACY and ours["seconds"] <= TARGET_SECONDS
    print(f"  target >= {TARGET_ACCURACY:.1%} in <= {TARGET_SECONDS // 60} min: "
          f"{'met' if met else 'MISSED'}")
    return met


def bench_balanced(options, dataset: Dataset) -> bool:
    folder = Path(options.balanced_dir) if options.balanced_dir else emnist_dir()
    files = [f"emnist-balanced-{p}-images-idx3-ubyte.gz" for p in ("train", "test")]
    if folder is None or not all((folder / f).exists() for f in files):
        print(f"  skipped: NIST's {' and '.join(files)} are not both in {folder} "
              "(the official protocol needs the train and the test file)")
        return True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        balanced = load_dataset("emnist-balanced", data_dir=str(folder))
    print(f"  data: {balanced!r}", flush=True)
    run_recipe("bundle's best recipe, official EMNIST-balanced split",
               lambda clock: train_network(BEST_NETWORK, BEST, balanced, callbacks=[clock])[0],
               balanced, options.budget * 8)
    return True


SECTIONS = {"precision": bench_precision, "accuracy": bench_accuracy,
            "balanced": bench_balanced}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=list(SECTIONS), metavar="SECTION",
                        help=f"run only this section (repeatable): {', '.join(SECTIONS)}")
    parser.add_argument("--epochs", type=int, help=f"epochs of the best recipe "
                                                   f"(default {BEST.epochs})")
    parser.add_argument("--budget", type=float, default=2400,
                        help="seconds of training after which a recipe is stopped")
    parser.add_argument("--minutes", type=float, help="train the best recipe for the whole "
                        "epochs that fit in this many minutes here (`speed.within`, its "
                        "schedule fitted to them) with a time limit, as `make model MINUTES=`")
    parser.add_argument("--repeats", type=int, default=3, help="runs per precision")
    parser.add_argument("--steps", type=int, default=30, help="batches per precision run")
    parser.add_argument("--skip-seed", action="store_true",
                        help="do not train the write-ups' recipe (its figure is then missing)")
    parser.add_argument("--save", type=Path, help="where to save the best recipe's model "
                        "(default: a temporary folder)")
    parser.add_argument("--balanced-dir", help="folder with NIST's emnist-balanced train and "
                                               "test files")
    options = parser.parse_args(argv)
    options.save = options.save or Path(os.environ["OCR_PROJECT_DIR"]) / "reader.keras"
    return run_sections(SECTIONS, options)


if __name__ == "__main__":
    sys.exit(main())
