"""Reading benchmark on real EMNIST: `make bench-read` or
`.venv/bin/python tests/benchmarks/bench_read.py [--lines N] [--photos N] [--model PATH ...]`.

Trains the bundle's fastest recipe (`bench_train.FASTEST` on `dropout_bn`: three epochs, a cosine
schedule, no augmentation) by `helpers.learn.train.fit` on the byclass test file merged to 47
classes, then reads lines and photos generated from the held-out test characters
(`helpers.reading.lines`): character error rate of `helpers.reading.read` versus the same network's
error on the same characters as EMNIST stores them (target: at most 3 points more), with and
without the lexicon (English, wordfreq) on lines of random strings and on lines of real words,
accuracy on photos, and the time to read a line and to predict a photo (medians). `--model PATH
[--dataset NAME --location DIR]` measures a saved model instead, e.g. the reader of `make model` or
the best one of the latest `make report` run.

Two more measurements on the same data: `--small` trains `deep` for 4 epochs on a stratified 6,027
of the training images (a small training set, as a student's first run has, by the notebooks'
`Recipe()`) and reads the lines with and without the lexicon; the tight-spacing section reads lines
whose letters touch or overlap (`helpers.reading.lines.TIGHT_STYLE`), with the classifier-checked
splitting of wide pieces and without it, counting lines where the number of characters found is
wrong.
Exits 1 when the target is missed. Writes nothing into the checkout.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(TESTS), str(TESTS.parent), str(TESTS / "benchmarks")]
from helpers.report.console import filter_stderr_until_exit  # noqa: E402

filter_stderr_until_exit()  # TensorFlow's C++ notices off the console

os.environ.setdefault("OCR_PROJECT_DIR", tempfile.mkdtemp(prefix="bench-read-"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import bench_train  # noqa: E402
import numpy as np  # noqa: E402

from helpers.data import Dataset, load_from  # noqa: E402
from helpers.learn.hardware import precision  # noqa: E402
from helpers.learn.inputs import CENTRES, INK_LEVEL, framing_of  # noqa: E402
from helpers.learn.models import build_model  # noqa: E402
from helpers.learn.recipe import Recipe  # noqa: E402
from helpers.learn.train import fit, set_seed, training_data  # noqa: E402
from helpers.reading.cer import TARGET_GAP, score_reading  # noqa: E402
from helpers.reading.lexicon import Lexicon  # noqa: E402
from helpers.reading.lines import DEFAULT_STYLE, character_photo, generate_lines  # noqa: E402
from helpers.reading.recognizer import Recognizer, classify, frame_ink, read  # noqa: E402

# The fastest recipe to 88% (bench_train.py's time-to-88).
FASTEST, FASTEST_NETWORK = bench_train.FASTEST, bench_train.FASTEST_NETWORK
byclass47_or_skip = bench_train.byclass47_or_skip


def trained_by(network: str, recipe: Recipe, dataset: Dataset) -> Recognizer:
    """`network` (in the precision this machine is fast in) fitted on `dataset` by `recipe` with
    seed 0, TensorFlow's kernels left free to be fast; says how many epochs and seconds."""
    set_seed(0, deterministic=False)
    model = build_model(network, dataset.num_classes, precision=precision())
    started = time.perf_counter()
    result = fit(model, training_data(dataset, recipe, seed=0), recipe, verbose=0)
    print(f"  trained {network} for {result.epochs_run} epochs on {result.train_images:,} images "
          f"in {time.perf_counter() - started:.0f} s", flush=True)
    return Recognizer(model, list(dataset.classes), framing_of(dataset.x_train))


def trained(dataset: Dataset) -> Recognizer:
    return trained_by(FASTEST_NETWORK, FASTEST, dataset)


SMALL_IMAGES, SMALL_EPOCHS = 6027, 4


def small_recognizer(dataset: Dataset) -> Recognizer:
    """`deep` by the notebooks' recipe (`Recipe()`: augmentation, Adam, early stopping), at
    most 4 epochs, on 6,027 training images."""
    from helpers.data import stratified_split

    _, _, x, y = stratified_split(dataset.x_train, dataset.y_train,
                                  SMALL_IMAGES / len(dataset.y_train), 0)
    return trained_by("deep", Recipe(epochs=SMALL_EPOCHS),
                      dataset.with_arrays(x_train=x, y_train=y))


def tight_check(recognizer: Recognizer, dataset: Dataset, count: int, seed: int) -> None:
    """Lines with touching letters: wrong character counts and CER, splitting on and off."""
    import helpers.reading.recognizer as reading
    from helpers.reading.cer import cer
    from helpers.reading.lines import TIGHT_STYLE

    for style_name, style in (("normal spacing", DEFAULT_STYLE), ("touching letters", TIGHT_STYLE)):
        lines = generate_lines(dataset, count, seed=seed + 3, style=style)
        truth = [line.text for line in lines]
        for label, cost in (("whole pieces only", float("inf")),
                            ("split where the network reads parts surer", reading.SPLIT_COST)):
            saved, reading.SPLIT_COST = reading.SPLIT_COST, cost
            try:
                texts = [read(recognizer, line.image, lexicon=False) for line in lines]
            finally:
                reading.SPLIT_COST = saved
            wrong = sum(len(t.characters) != len(line.indices)
                        for t, line in zip(texts, lines, strict=True))
            fewer = sum(len(t.characters) < len(line.indices)
                        for t, line in zip(texts, lines, strict=True))
            error = cer([t.text for t in texts], truth, recognizer.classes)
            print(f"  {style_name:<17} {label:<43} wrong count {wrong:3d}/{count} "
                  f"(too few {fewer:3d})  CER {error:.1%}", flush=True)


def print_score(score) -> None:
    for measure, value in score.table():
        print(f"  {measure:<70} {value}")
    if score.text_lines and score.lexicon:
        print(f"CER with the lexicon ({score.lexicon}) / without: real-word lines "
              f"{score.text_cer_lexicon:.1%} / {score.text_cer:.1%}, random-string lines "
              f"{score.cer_lexicon:.1%} / {score.cer:.1%}", flush=True)


def framing_check(recognizer: Recognizer, dataset: Dataset, count: int = 3000) -> None:
    """Accuracy on test characters as stored, and re-framed by `frame` with each centring: what
    framing alone costs, and why the model's own centring is the one to use."""
    rng = np.random.default_rng(0)
    picked = rng.choice(len(dataset.y_test), size=min(count, len(dataset.y_test)), replace=False)
    images, labels = dataset.x_test[picked], dataset.y_test[picked]

    def accuracy(batch) -> float:
        return float((recognizer.probabilities(np.stack(batch)).argmax(1) == labels).mean())

    print(f"  accuracy on {len(picked)} test characters as stored  {accuracy(images):.1%}")
    for centre in CENTRES:
        framing = replace(recognizer.framing, centre=centre)
        reframed = [frame_ink(im.astype(np.float32), im > INK_LEVEL, framing) for im in images]
        mark = " (the model's)" if centre == recognizer.framing.centre else ""
        print(f"  re-framed, {framing.ink_size:.0f} px, centred by {centre}{mark:<14} "
              f"{accuracy(reframed):.1%}")


def median_ms(fn, items) -> float:
    times = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=300,
                        help="lines of random strings to read, and as many of real words "
                             "(default 300)")
    parser.add_argument("--photos", type=int, default=300,
                        help="photos of single characters to predict (default 300)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", help="a saved .keras model to measure instead of training")
    parser.add_argument("--dataset", help="with --model: the dataset it was trained on (default: "
                        "EMNIST byclass merged to 47 classes, as `make model` trains)")
    parser.add_argument("--location", help="with --model: the dataset's folder or file")
    parser.add_argument("--small", action="store_true",
                        help=f"also train deep for {SMALL_EPOCHS} epochs on {SMALL_IMAGES:,} "
                             "images and read with and without the lexicon")
    parser.add_argument("--tight-lines", type=int, default=200,
                        help="lines per spacing for the touching-letters check (0: skip)")
    options = parser.parse_args(argv)
    if options.model:
        recognizer = Recognizer.load(options.model)
        # Without --dataset: the byclass split merged to 47 classes that `make model` uses.
        dataset = (load_from(options.dataset, options.location) if options.dataset
                   else byclass47_or_skip())
        if dataset is None:
            return 0
    else:
        dataset = byclass47_or_skip()
        if dataset is None:
            return 0
        recognizer = trained(dataset)
    print(f"== framing: {recognizer.framing}", flush=True)
    framing_check(recognizer, dataset)
    print(f"== reading {options.lines} lines and {options.photos} photos of test characters",
          flush=True)
    score = score_reading(recognizer, dataset, lines=options.lines, photos=options.photos,
                          seed=options.seed)
    print_score(score)
    if options.tight_lines:
        print(f"== touching letters: {options.tight_lines} lines per spacing", flush=True)
        tight_check(recognizer, dataset, options.tight_lines, options.seed)
    if options.small:
        print(f"== a small training set: {SMALL_IMAGES:,} images", flush=True)
        small = small_recognizer(dataset)
        print_score(score_reading(small, dataset, lines=options.lines, photos=0,
                                  seed=options.seed))
    rng = np.random.default_rng(options.seed + 7)
    lines = generate_lines(dataset, 50, seed=options.seed + 7)
    photos = [character_photo(dataset.x_test[i], rng) for i in range(50)]
    Lexicon.default().trie  # noqa: B018 - built before the clock starts
    read(recognizer, lines[0].image)  # warm
    line_ms = median_ms(lambda line: read(recognizer, line.image), lines)
    plain_ms = median_ms(lambda line: read(recognizer, line.image, lexicon=False), lines)
    photo_ms = median_ms(lambda photo: classify(recognizer, photo), photos)
    characters = statistics.median(len(line.indices) for line in lines)
    print(f"  median time to read a line ({characters:.0f} characters)  {line_ms:.1f} ms with the "
          f"lexicon, {plain_ms:.1f} ms without")
    print(f"  median time to predict a 240×320 photo             {photo_ms:.1f} ms")
    met = score.gap <= TARGET_GAP
    print(f"CER {score.cer:.1%} vs isolated error {score.isolated_error:.1%}: "
          f"{100 * score.gap:+.1f} points, target <= +{100 * TARGET_GAP:.0f}: "
          f"{'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
