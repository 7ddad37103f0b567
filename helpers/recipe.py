"""The bundle's most accurate recipe, and `make model`: train it on EMNIST and save it as the
default reader that `Recognizer.load()`, `python -m helpers predict|read` and `make serve` use.

`python -m helpers.recipe` (what `make model` calls) loads whatever EMNIST files are present
(`../shared/data/emnist`, `data/raw/emnist` or `--data-dir`), byclass merged to NIST's 47
classes (or the split `--dataset` names), trains `BEST` on it and writes the model, its classes
and its test metrics to `outputs/model/` (`models.DEFAULT_READER`).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from helpers import paths
from helpers.cli import positive_float, positive_int
from helpers.errors import DataError


@dataclass(frozen=True)
class Recipe:
    """Everything `helpers.train.train` needs besides the data."""

    model: str
    epochs: int
    batch_size: int = 128
    learning_rate: float = 1e-3
    schedule: str = "plateau"
    augment: bool = True
    label_smoothing: float = 0.0
    weight_decay: float = 0.0
    ema: bool = False

    def train_options(self) -> dict:
        options = asdict(self)
        del options["model"], options["epochs"]
        return options


# The write-ups' recipe: `deep`, augmentation, Adam, early stopping on validation accuracy.
SEED_RECIPE = Recipe("deep", epochs=30)

# The most accurate recipe found for a CPU budget (see the README's accuracy benchmark): a small
# residual network, a cosine schedule that anneals to zero, AdamW, label smoothing (the
# look-alike classes are ambiguous by nature; smoothing stops the network from chasing them) and
# the moving average of the weights.
BEST = Recipe("resnet", epochs=12, batch_size=256, learning_rate=2e-3, schedule="cosine",
              augment=True, label_smoothing=0.1, weight_decay=5e-4, ema=True)


def fit(recipe: Recipe, dataset, *, seed: int = 0, verbose: int | str = 0,
        callbacks: list | None = None, mixed_precision: bool | None = None,
        budget: float | None = None):
    """Build `recipe.model` for `dataset` and train it by the recipe: `(model, TrainResult)`.

    With `budget` seconds (cosine recipes), the run has the whole epochs that fit in it on this
    machine, at most `recipe.epochs`, and its schedule ends with them.

    bfloat16 is used where the CPU computes it natively (`models.bfloat16_is_fast`), unless
    `mixed_precision` says otherwise.
    """
    from helpers.models import bfloat16_is_fast, build_model
    from helpers.train import set_seed, train

    set_seed(seed, deterministic=False)
    if mixed_precision is None:
        mixed_precision = bfloat16_is_fast()
    model = build_model(recipe.model, dataset.num_classes, mixed_precision=mixed_precision)
    # A cosine schedule ends at zero: stopping early would cut it short.
    patience = recipe.epochs if recipe.schedule == "cosine" else 5
    result = train(model, dataset, recipe.epochs, seed=seed, verbose=verbose,
                   patience=patience, extra_callbacks=callbacks, budget=budget,
                   **recipe.train_options())
    return model, result


def emnist_location(data_dir: str | None = None) -> Path:
    """The first folder holding EMNIST files: `data_dir`, $OCR_EMNIST_DIR, `data/raw/emnist`,
    then `../shared/data/emnist` beside the checkout."""
    candidates = [Path(data_dir)] if data_dir else [
        *([Path(os.environ["OCR_EMNIST_DIR"])] if os.environ.get("OCR_EMNIST_DIR") else []),
        paths.raw_dir() / "emnist",
        paths.project_root().parent / "shared" / "data" / "emnist"]
    for folder in candidates:
        if any(folder.glob("emnist-*-images-idx3-ubyte*")):
            return folder
    tried = ", ".join(str(c) for c in candidates)
    raise DataError(f"no EMNIST files (emnist-<split>-…-images-idx3-ubyte.gz) in {tried}; "
                    "fetch them with `python -m helpers.data download emnist-balanced` or pass "
                    "--data-dir")


def reader_dataset(dataset: str, data_dir: Path, limit: int | None, seed: int):
    """The dataset `make model` trains on; byclass is merged to 47 classes (NIST's merge of the
    case look-alikes), which a reader cannot tell apart from a single character anyway."""
    from helpers.data import load_dataset, merge_lookalikes
    from helpers.errors import DataWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # "only the test part": said in `source`
        found = load_dataset(dataset, data_dir=str(data_dir), limit=limit, seed=seed)
    return merge_lookalikes(found) if dataset == "emnist-byclass" else found


def train_reader(dataset, recipe: Recipe = BEST, out: Path | None = None, *, seed: int = 0,
                 progress: bool = True, callbacks: list | None = None,
                 budget: float | None = None) -> tuple[Path, dict]:
    """Train `recipe` on `dataset` (within `budget` seconds, see `fit`), evaluate it on the
    test split and save it (by default as the default reader). Returns the model path and its
    metrics."""
    from helpers.evaluate import evaluate
    from helpers.inputs import framing_of
    from helpers.models import DEFAULT_READER, save_model

    out = Path(out) if out is not None else paths.outputs_dir() / DEFAULT_READER
    model, result = fit(recipe, dataset, seed=seed, verbose=2 if progress else 0,
                        callbacks=callbacks, budget=budget)
    evaluation = evaluate(model, dataset, name=recipe.model,
                          extra={**result.as_dict(), "recipe": asdict(recipe)})
    # The facts the web page's /model shows live in the model's own .json: a reader has no
    # report run around it.
    path = save_model(model, out, dataset.classes, framing=framing_of(dataset.x_train),
                      dataset=dataset.name, source=dataset.source, recipe=asdict(recipe),
                      **{k: evaluation[k] for k in ("accuracy", "macro_f1", "test_images",
                                                    "parameters", "most_confused")},
                      **result.as_dict())
    return path, {"accuracy": evaluation["accuracy"], "macro_f1": evaluation["macro_f1"],
                  **result.as_dict()}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.recipe",
        description="Train the bundle's most accurate recipe on EMNIST and save it as the "
                    "default reader for `python -m helpers predict|read`, make serve and "
                    "Recognizer.load().",
        epilog="examples:\n  python -m helpers.recipe\n"
               "  python -m helpers.recipe --data-dir data/raw/emnist --dataset emnist-balanced\n"
               "  python -m helpers.recipe --limit 20000 --epochs 4 --out small.keras\n"
               "  python -m helpers.recipe --minutes 15   # the epochs that fit in 15 minutes",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="emnist-byclass",
                        choices=["emnist-byclass", "emnist-bymerge", "emnist-balanced",
                                 "emnist-letters", "emnist-digits", "emnist-mnist"],
                        help="EMNIST split (default emnist-byclass, merged to 47 classes)")
    parser.add_argument("--data-dir", help="folder with the EMNIST files (default: the first "
                        "of $OCR_EMNIST_DIR, data/raw/emnist, ../shared/data/emnist)")
    parser.add_argument("--limit", type=positive_int,
                        help="train on a stratified sample of this many")
    parser.add_argument("--epochs", type=positive_int, help=f"epochs (default {BEST.epochs})")
    parser.add_argument("--minutes", type=positive_float, help="train only the whole epochs "
                        "that fit in this many minutes on this machine (timed on the first "
                        "epoch), the schedule fitted to them")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="where to save the .keras file (default "
                                                 "outputs/model/reader.keras)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        folder = emnist_location(args.data_dir)
        dataset = reader_dataset(args.dataset, folder, args.limit, args.seed)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    recipe = replace(BEST, epochs=args.epochs) if args.epochs else BEST
    within = f" (those that fit in {args.minutes:g} minutes)" if args.minutes else ""
    print(f"training {recipe.model} for {recipe.epochs} epochs{within} on {dataset!r} from "
          f"{folder}", flush=True)
    started = time.perf_counter()
    budget = args.minutes * 60 if args.minutes else None
    path, metrics = train_reader(dataset, recipe, args.out, seed=args.seed, budget=budget)
    print(f"test accuracy {metrics['accuracy']:.1%}, macro F1 {metrics['macro_f1']:.3f}, "
          f"{metrics['epochs']} epochs, {time.perf_counter() - started:.0f} s; saved {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
