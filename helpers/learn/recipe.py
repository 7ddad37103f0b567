"""How a network is trained, and the one path every trainer takes: seed → build (bfloat16 where
the CPU is fast at it) → train → evaluate → save with its classes and framing.

`train_and_save` is that path. The notebooks (`helpers.experiment.run_model`), `python -m
helpers train` and `make model` (`python -m helpers model`) all call it; they differ only in the
`Recipe` and where the results go. `BEST` is the bundle's most accurate recipe, what `make model`
trains as the default reader.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import keras

from helpers import paths
from helpers.data import Dataset, load_dataset, merge_lookalikes
from helpers.data.emnist import default_dir as emnist_default_dir
from helpers.errors import DataError, DataWarning
from helpers.learn import anatomy
from helpers.learn.evaluate import Evaluation, evaluate
from helpers.learn.inputs import framing_of
from helpers.learn.models import DEFAULT_READER, bfloat16_is_fast, build_model, save_model
from helpers.learn.train import TrainResult, set_seed, train


@dataclass(frozen=True)
class Recipe:
    """A network by name and everything `helpers.learn.train.train` needs besides the data.

    The defaults are the write-ups' training: Adam at 1e-3, batches of 128, augmentation,
    early stopping on validation accuracy and halving the rate on plateaus.
    """

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

    @property
    def patience(self) -> int:
        """Epochs without a better validation accuracy before stopping; a cosine schedule ends
        at zero, so stopping early would cut it short."""
        return self.epochs if self.schedule == "cosine" else 5


# The write-ups' recipe: `deep`, augmentation, Adam, early stopping on validation accuracy.
SEED_RECIPE = Recipe("deep", epochs=30)

# The most accurate recipe found for a CPU budget (see the README's accuracy benchmark): a small
# residual network, a cosine schedule that anneals to zero, AdamW, label smoothing (the
# look-alike classes are ambiguous by nature; smoothing stops the network from chasing them) and
# the moving average of the weights.
BEST = Recipe("resnet", epochs=12, batch_size=256, learning_rate=2e-3, schedule="cosine",
              augment=True, label_smoothing=0.1, weight_decay=5e-4, ema=True)


# The report's peak learning rate. With the rate annealed to zero over two epochs, 1e-3 left
# resnet at 94.7% on the glyphs and 2e-3 at 96.3% (class weights, one training each).
REPORT_RATE = 2e-3
# Networks that learn slowly and cost little get more epochs: digits_small, with dropout after
# every block and no batch normalisation, reached 58.7% in three epochs and 89.2% in six, at a
# sixth of resnet's cost per epoch.
SLOW_LEARNERS = {"digits_small": 3}


def report_epochs(name: str, epochs: int) -> int:
    """The epochs the report trains `name` for when the run asks for `epochs`."""
    return epochs * SLOW_LEARNERS.get(name, 1)


def report_recipe(name: str, epochs: int) -> Recipe:
    """How the report trains each network: Adam in batches of 128 with augmentation, the rate
    warmed up over the first tenth of the steps to `REPORT_RATE` and then annealed to zero
    along a cosine by the last epoch (a schedule that acts in a few epochs, where halving on
    plateaus and stopping early with a patience of five would never trigger), `report_epochs`
    epochs, and the weights of the epoch with the best validation accuracy kept."""
    return Recipe(name, report_epochs(name, epochs), learning_rate=REPORT_RATE,
                  schedule="cosine")


def fit(recipe: Recipe, dataset: Dataset, *, seed: int = 0,
        class_weight: dict[int, float] | None = None, run_dir: Path | None = None,
        verbose: int | str = 0, callbacks: list | None = None,
        mixed_precision: bool | None = None, budget: float | None = None,
        deterministic: bool = True,
        builder: Callable[[int], keras.Model] | None = None) -> tuple[keras.Model, TrainResult]:
    """Seed, build `recipe.model` (or what `builder` returns) for `dataset` and train it by the
    recipe.

    bfloat16 is used where the CPU computes it natively (`models.bfloat16_is_fast`) unless
    `mixed_precision` says otherwise. With `budget` seconds (cosine recipes), the run has the
    whole epochs that fit in it on this machine, at most `recipe.epochs`, and its schedule ends
    with them. `deterministic` makes TensorFlow's kernels repeatable (slightly slower).
    """
    set_seed(seed, deterministic=deterministic)
    if mixed_precision is None:
        mixed_precision = bfloat16_is_fast()
    model = build_model(recipe.model, dataset.num_classes, mixed_precision=mixed_precision,
                        builder=builder)
    result = train(model, dataset, recipe.epochs, class_weight=class_weight, seed=seed,
                   run_dir=run_dir, verbose=verbose, patience=recipe.patience,
                   extra_callbacks=callbacks, budget=budget, **recipe.train_options())
    return model, result


@dataclass
class Trained:
    """One network trained, evaluated on the test split and saved."""

    name: str
    model: keras.Model
    training: TrainResult
    evaluation: Evaluation
    model_path: Path


def train_and_save(recipe: Recipe, dataset: Dataset, out: str | Path, *, seed: int = 0,
                   class_weight: dict[int, float] | None = None, balance: str | None = None,
                   run_dir: Path | None = None, metrics_dir: Path | None = None,
                   name: str | None = None, verbose: int | str = 0,
                   callbacks: list | None = None, budget: float | None = None,
                   deterministic: bool = True,
                   builder: Callable[[int], keras.Model] | None = None) -> Trained:
    """Train `recipe` on `dataset` (see `fit`), evaluate it on the test split and save it as
    `out` (`.keras` plus its `.json`: classes, framing, test metrics, training facts).

    `balance` names how the training split was balanced (recorded only). With `run_dir` the
    training keeps its history, TensorBoard logs and a backup there; with `metrics_dir` the
    test metrics are also written as `<name>.json` (by default the network's name). With
    `builder` (a network written in a notebook), its source is kept with the metrics (`code`).
    """
    name = name or recipe.model
    model, result = fit(recipe, dataset, seed=seed, class_weight=class_weight, run_dir=run_dir,
                        verbose=verbose, callbacks=callbacks, budget=budget,
                        deterministic=deterministic, builder=builder)
    own = {"code": anatomy.function_source(builder)} if builder is not None else {}
    training = {**result.as_dict(), "recipe": asdict(recipe), "seed": seed, **own,
                "mixed_precision": model.dtype_policy.name, "layers": anatomy.traits(model),
                **({"balance": balance} if balance else {})}
    evaluation = evaluate(model, dataset, name=name, out_dir=metrics_dir,
                          extra={**training, "history": result.history})
    # What the web page's /model shows lives in the model's own .json as well: a reader made by
    # `make model` has no report run around it.
    path = save_model(model, out, dataset.classes, framing=framing_of(dataset.x_train),
                      dataset=dataset.name, source=dataset.source,
                      **{k: evaluation[k] for k in ("accuracy", "macro_f1", "test_images",
                                                    "parameters", "most_confused")},
                      **training)
    return Trained(name, model, result, evaluation, path)


def default_reader_path() -> Path:
    """Where `make model` saves the reader that predict, read and serve use by default."""
    return paths.outputs_dir() / DEFAULT_READER


def emnist_location(data_dir: str | Path | None = None, split: str = "emnist-byclass") -> Path:
    """The folder holding EMNIST files: `data_dir`, else $OCR_EMNIST_DIR, else
    `data/raw/emnist`. The error says how to download `split` when there are none."""
    folder = Path(data_dir) if data_dir else emnist_default_dir()
    if any(folder.glob("emnist-*-images-idx3-ubyte*")):
        return folder
    where = "--data-dir" if data_dir else ("$OCR_EMNIST_DIR" if os.environ.get("OCR_EMNIST_DIR")
                                           else "the default folder")
    raise DataError(f"no EMNIST files (emnist-<split>-…-images-idx3-ubyte.gz) in {folder} "
                    f"({where}); download {split} there with `make model DOWNLOAD=1` or "
                    f"`python -m helpers.data download {split}`, or name the folder that has "
                    "them with DATA_DIR= (make) or --data-dir")


def reader_dataset(dataset: str, data_dir: Path | None, limit: int | None, seed: int, *,
                   download: bool = False) -> Dataset:
    """The dataset `make model` trains on; byclass is merged to 47 classes (NIST's merge of the
    case look-alikes), which a reader cannot tell apart from a single character anyway."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # "only the test part": said in `source`
        found = load_dataset(dataset, data_dir=str(data_dir) if data_dir else None,
                             limit=limit, seed=seed, download=download)
    return merge_lookalikes(found) if dataset == "emnist-byclass" else found
