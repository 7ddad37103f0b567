"""How a network is trained (`Recipe`), and the steps around `helpers.learn.train.fit` that
every trainer shares: build and train a network (`train_network`), score it on the test split
(`evaluated`) and save it with its classes and framing (`save`).

The notebooks call `fit` in view and these steps around it; `python -m helpers train`, `make
model` (`python -m helpers model`), the ablation and the extra seeds call `train_network`, the
same `fit` with the same default `Recipe()`. `BEST` is the bundle's most accurate recipe, what
`make model` trains as the default reader.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import keras

from helpers import paths
from helpers.data import Dataset, load_dataset, merge_lookalikes
from helpers.data.emnist import default_dir as emnist_default_dir
from helpers.errors import ConfigError, DataError, DataWarning
from helpers.learn import MOST_EPOCHS, anatomy
from helpers.learn.evaluate import Evaluation, evaluate
from helpers.learn.hardware import precision
from helpers.learn.inputs import framing_of
from helpers.learn.models import DEFAULT_READER, build_model, save_model
from helpers.learn.train import TrainResult, fit, set_seed, training_data

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("plateau", "cosine", "constant")


@dataclass(frozen=True)
class Recipe:
    """Everything about a training besides the network and the data.

    The defaults are the write-ups' training, run until it stops improving: Adam at 1e-3 in
    batches of 128 with augmentation; the rate halved when the validation loss has not fallen
    for `plateau_patience` epochs, and the training stopped when the validation
    accuracy has not risen by more than `min_delta` for `patience` epochs, the best epoch's
    weights kept; at most `epochs`.
    `schedule="cosine"` instead warms the rate up over the first `warmup` of the steps and
    anneals it to zero by the last (Keras' CosineDecay): a schedule that must know its end,
    so it runs every epoch (`patience=None`).
    """

    epochs: int = MOST_EPOCHS
    batch_size: int = 128
    optimizer: str = "adam"  # adam, adamw (decoupled weight decay) or sgd (momentum 0.9)
    learning_rate: float = 1e-3
    schedule: str = "plateau"
    patience: int | None = 3  # epochs without a better validation accuracy; None: never stop
    plateau_patience: int = 1  # epochs without a lower validation loss before the rate halves
    # The least rise in validation accuracy that counts as better: 0.1 points, two images of
    # the glyphs' 1,920 held out, so a network is not kept training by one image more at a time.
    min_delta: float = 0.001
    augment: bool = True
    label_smoothing: float = 0.0
    weight_decay: float = 0.0
    ema: bool = False  # a moving average of the weights replaces them at the end
    warmup: float = 0.0  # the part of the steps the cosine schedule warms up over
    validation_fraction: float = 0.1

    def __post_init__(self):
        problems = []
        if not isinstance(self.epochs, int) or self.epochs < 1:
            problems.append(f"epochs must be a whole number of at least 1, got {self.epochs!r}")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            problems.append(f"batch_size must be at least 1, got {self.batch_size!r}")
        if self.optimizer not in OPTIMIZERS:
            problems.append(f"optimizer={self.optimizer!r}; use one of {', '.join(OPTIMIZERS)} "
                            "(or compile the model yourself: fit keeps a compiled model's own)")
        if not self.learning_rate > 0:
            problems.append(f"learning_rate must be more than 0, got {self.learning_rate!r}")
        if self.schedule not in SCHEDULES:
            problems.append(f"schedule={self.schedule!r}; use one of {', '.join(SCHEDULES)}")
        if self.patience is not None and (not isinstance(self.patience, int)
                                          or self.patience < 1):
            problems.append(f"patience must be at least 1 (or None), got {self.patience!r}")
        if not 0 <= self.label_smoothing < 1:
            problems.append(f"label_smoothing must be in [0, 1), got {self.label_smoothing!r}")
        if self.weight_decay < 0:
            problems.append(f"weight_decay must be at least 0, got {self.weight_decay!r}")
        if not isinstance(self.plateau_patience, int) or self.plateau_patience < 1:
            problems.append(f"plateau_patience must be at least 1, got {self.plateau_patience!r}")
        if not 0 <= self.min_delta < 1:
            problems.append(f"min_delta must be in [0, 1), got {self.min_delta!r}")
        if not 0 <= self.warmup < 1:
            problems.append(f"warmup must be in [0, 1), got {self.warmup!r}")
        if problems:
            raise ConfigError("Recipe: " + "; ".join(problems))

    def build_optimizer(self, steps_per_epoch: int) -> keras.optimizers.Optimizer:
        """The optimizer, its rate constant or (cosine) a schedule over `epochs` epochs."""
        steps = self.epochs * steps_per_epoch
        rate = self.learning_rate
        if self.schedule == "cosine":
            warm = int(self.warmup * steps)
            rate = keras.optimizers.schedules.CosineDecay(
                self.learning_rate / 10 if warm else self.learning_rate, max(1, steps - warm),
                alpha=0.0, warmup_target=self.learning_rate if warm else None,
                warmup_steps=warm)
        average = {"use_ema": True, "ema_momentum": ema_momentum(steps)} if self.ema else {}
        if self.optimizer == "sgd":
            return keras.optimizers.SGD(rate, momentum=0.9, weight_decay=self.weight_decay or None,
                                        **average)
        if self.optimizer == "adamw" or self.weight_decay:
            return keras.optimizers.AdamW(rate, weight_decay=self.weight_decay, **average)
        return keras.optimizers.Adam(rate, **average)

    def build_loss(self) -> keras.losses.Loss:
        """Cross-entropy: on integer labels, or on one-hot ones with label smoothing."""
        if self.label_smoothing:
            return keras.losses.CategoricalCrossentropy(label_smoothing=self.label_smoothing)
        return keras.losses.SparseCategoricalCrossentropy()

    def build_callbacks(self, optimizer, verbose: int = 1) -> list[keras.callbacks.Callback]:
        """Early stopping on validation accuracy (with `verbose`, it says when it stops and
        which epoch's weights it kept) and (plateau schedule) halving the rate when the
        validation loss stalls; an optimizer whose rate is a schedule keeps its schedule."""
        found = []
        if self.patience is not None:
            found.append(keras.callbacks.EarlyStopping(
                monitor="val_accuracy", patience=self.patience, min_delta=self.min_delta,
                verbose=min(1, verbose),
                restore_best_weights=not self.ema))  # the average replaces them instead
        if self.schedule == "plateau" and not _has_schedule(optimizer):
            # The loss, smoother than the accuracy of a few thousand images: one unlucky
            # epoch does not halve the rate of a network that is still learning.
            found.append(keras.callbacks.ReduceLROnPlateau(
                monitor="val_loss", factor=0.5, patience=self.plateau_patience,
                min_lr=self.learning_rate / 100, verbose=0))
        return found

    def as_dict(self) -> dict:
        return asdict(self)

    def _repr_markdown_(self) -> str:
        """A notebook shows the recipe as a table of its settings, defaults marked."""
        rows = "\n".join(
            f"| `{f.name}` | `{getattr(self, f.name)!r}` |"
            + (" |" if getattr(self, f.name) == f.default else " changed |")
            for f in fields(self))
        return f"| setting | value | |\n|---|---|---|\n{rows}"


def _has_schedule(optimizer) -> bool:
    """Whether the optimizer's rate is a schedule (ReduceLROnPlateau cannot set one)."""
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    return isinstance(getattr(inner, "_learning_rate", None),
                      keras.optimizers.schedules.LearningRateSchedule)


# The moving average of the weights spans about the last thousand steps (momentum 0.999), and
# at most the last quarter of a shorter run, whose early weights would otherwise weigh in: an
# ensemble of the late checkpoints for the price of one model, which is what gets evaluated.
EMA_STEPS = 1000


def ema_momentum(steps: int) -> float:
    """The moving average's momentum for a run of `steps` optimiser steps."""
    return 1 - 1 / max(1.0, min(EMA_STEPS, steps / 4))


# The most accurate recipe found for a CPU budget (see the README's accuracy benchmark): a small
# residual network, a cosine schedule that anneals to zero, AdamW, label smoothing (the
# look-alike classes are ambiguous by nature; smoothing stops the network from chasing them) and
# the moving average of the weights.
BEST_NETWORK = "resnet"
BEST = Recipe(epochs=12, batch_size=256, optimizer="adamw", learning_rate=2e-3,
              schedule="cosine", warmup=0.1, patience=None, label_smoothing=0.1,
              weight_decay=5e-4, ema=True)
# The write-ups' own: `deep` with Adam and early stopping (the accuracy benchmark's baseline).
SEED_RECIPE = Recipe(epochs=30, patience=5)


def train_network(network: str | Callable[[int], keras.Model], recipe: Recipe,
                  dataset: Dataset, *, seed: int = 0,
                  class_weight: dict[int, float] | None = None,
                  callbacks: Sequence[keras.callbacks.Callback] = (),
                  verbose: int = 0) -> tuple[keras.Model, TrainResult]:
    """Seed, build `network` (a name, or a function of the number of classes) in the
    precision this machine is fast in (`hardware.precision`), and `fit` it on `dataset` by
    `recipe`."""
    set_seed(seed)
    builder = network if callable(network) else None
    model = build_model(getattr(network, "__name__", network) if builder else network,
                        dataset.num_classes, precision=precision(), builder=builder)
    data = training_data(dataset, recipe, class_weight=class_weight, seed=seed)
    return model, fit(model, data, recipe, callbacks, verbose=verbose)


def evaluated(name: str, model: keras.Model, training: TrainResult, dataset: Dataset, *,
              metrics_dir: Path | None = None, **record) -> Evaluation:
    """Score `model` on `dataset`'s test split; the metrics carry how it was trained (its
    history, epochs, why it stopped, the optimizer and callbacks as they ran) and `record`
    (seed, balance, code); with `metrics_dir` they are written to `<name>.json` there."""
    extra = {**training.as_dict(), **record, "mixed_precision": model.dtype_policy.name,
             "layers": anatomy.traits(model), "history": training.history}
    return evaluate(model, dataset, name=name, out_dir=metrics_dir, extra=extra)


# What a model's .json keeps of its metrics: the scores and how it was trained.
SAVED_WITH_MODEL = ("accuracy", "macro_f1", "test_images", "parameters", "most_confused",
                    "epochs", "best_epoch", "stopped_by", "converged", "training_seconds",
                    "images_per_second", "train_images", "validation_images", "training",
                    "recipe", "seed", "balance", "code", "mixed_precision", "layers")


def save(model: keras.Model, evaluation: Evaluation, dataset: Dataset, out: str | Path) -> Path:
    """Write `out` (`.keras`, and beside it `.json`: classes, framing, test metrics and the
    training's facts, what the web page's /model shows of a reader with no run around it)."""
    kept = {k: evaluation.metrics[k] for k in SAVED_WITH_MODEL if k in evaluation.metrics}
    return save_model(model, out, dataset.classes, framing=framing_of(dataset.x_train),
                      dataset=dataset.name, source=dataset.source, **kept)


def train_and_save(network: str, recipe: Recipe, dataset: Dataset, out: str | Path, *,
                   seed: int = 0, class_weight: dict[int, float] | None = None,
                   callbacks: Sequence[keras.callbacks.Callback] = (), **record) -> Trained:
    """What `python -m helpers train` and `make model` do: `train_network` (a line per epoch),
    `evaluated` and `save` as `out`; `record` (e.g. the balance) is kept with the metrics."""
    model, training = train_network(network, recipe, dataset, seed=seed,
                                    class_weight=class_weight, callbacks=callbacks, verbose=2)
    evaluation = evaluated(network, model, training, dataset, seed=seed,
                           recipe=recipe.as_dict(), **record)
    return Trained(network, model, training, evaluation, save(model, evaluation, dataset, out))


@dataclass
class Trained:
    """One network trained, evaluated on the test split and saved."""

    name: str
    model: keras.Model
    training: TrainResult
    evaluation: Evaluation
    model_path: Path


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
