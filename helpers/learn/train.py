"""Training: Keras' own `compile` and `fit`, with the callbacks that say when to stop.

`fit(model, data, recipe, callbacks)` is the one training function of the bundle: the notebooks
show its source where they first use it, and `python -m helpers train`, `make model`, the
ablation and the extra seeds call it too. Its body is `model.compile` (unless the model came
compiled: then its own optimizer and loss are kept) and `model.fit` with the recipe's callbacks
(early stopping on validation accuracy, the rate halved on plateaus) and the caller's (a time
limit, the run folder's history, TensorBoard logs and a backup to resume from).
`training_data` is what `fit` trains on: a stratified validation split of the training images
(never the test set) and both as tf.data pipelines, the training one augmented.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from helpers.data import Dataset, stratified_split
from helpers.errors import ConfigError, DataError
from helpers.learn import described
from helpers.learn.augment import augmentation, pipeline


def set_seed(seed: int, deterministic: bool = True) -> None:
    """Same seed, same weights, batches and augmentations (on CPU, same metrics)."""
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


@dataclass
class TrainingData:
    """What `fit` trains on: the training and validation batches and the class weights."""

    train: tf.data.Dataset
    validation: tf.data.Dataset
    class_weight: dict[int, float] | None
    num_classes: int
    train_images: int
    validation_images: int
    batch_size: int
    augmentation: keras.Sequential | None = None  # the random transformations, if any

    @property
    def steps_per_epoch(self) -> int:
        return -(-self.train_images // self.batch_size)


def training_data(dataset: Dataset, recipe, *, class_weight: dict[int, float] | None = None,
                  seed: int = 0) -> TrainingData:
    """The recipe's batches of `dataset`'s training split: a stratified `validation_fraction`
    held out (sorted files, e.g. EMNIST letters, split fairly too), the rest shuffled and, with
    `recipe.augment`, augmented; one-hot labels where the recipe smooths them."""
    if not 0 < recipe.validation_fraction < 1:
        raise ConfigError("validation_fraction must be between 0 and 1, got "
                          f"{recipe.validation_fraction}")
    if len(dataset.x_train) < 2 * dataset.num_classes:
        raise DataError(f"{dataset.name}: {len(dataset.x_train)} training images is too few for "
                        f"{dataset.num_classes} classes")
    x_train, y_train, x_val, y_val = stratified_split(dataset.x_train, dataset.y_train,
                                                      recipe.validation_fraction, seed)
    layers = augmentation(seed) if recipe.augment else None
    train = pipeline(x_train, y_train, batch_size=recipe.batch_size, augment=layers,
                     shuffle=True, seed=seed)
    validation = pipeline(x_val, y_val, batch_size=max(recipe.batch_size, 512))
    if recipe.label_smoothing:  # Keras' smoothing needs one-hot labels
        def one_hot(x, y):
            return x, tf.one_hot(y, dataset.num_classes)

        train, validation = train.map(one_hot), validation.map(one_hot)
    return TrainingData(train, validation, class_weight, dataset.num_classes, len(x_train),
                        len(x_val), recipe.batch_size, layers)


@dataclass
class TrainResult:
    """What a training did: Keras' history, how long it took, and why it stopped."""

    history: dict[str, list[float]]
    seconds: float
    epochs_run: int
    best_epoch: int
    train_images: int
    validation_images: int
    stopped_by: str  # "early stopping", "time limit" or "epochs" (the recipe's cap)
    facts: dict = field(default_factory=dict)  # how it trained, read off the objects that did
    recipe: object = None  # the Recipe it was fitted by

    @property
    def converged(self) -> bool:
        """Early stopping ended it: validation accuracy had stopped improving."""
        return self.stopped_by == "early stopping"

    @property
    def images_per_second(self) -> float:
        return self.train_images * self.epochs_run / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {"epochs": self.epochs_run, "best_epoch": self.best_epoch,
                "stopped_by": self.stopped_by, "converged": self.converged,
                "training_seconds": round(self.seconds, 2),
                "images_per_second": round(self.images_per_second, 1),
                "train_images": self.train_images, "validation_images": self.validation_images,
                "training": self.facts}


def fit(model: keras.Model, data: TrainingData, recipe,
        callbacks: Sequence[keras.callbacks.Callback] = (), verbose: int = 2) -> TrainResult:
    """Compile `model` by `recipe` (unless it is compiled already: then it keeps its own
    optimizer and loss) and fit it on `data` for at most `recipe.epochs` epochs, with the
    recipe's callbacks and `callbacks`; one line per epoch with `verbose=2`."""
    came_compiled = model.compiled
    if not came_compiled:
        with model.distribute_strategy.scope():  # the strategy it was built under
            model.compile(optimizer=recipe.build_optimizer(data.steps_per_epoch),
                          loss=recipe.build_loss(), metrics=["accuracy"])
    callbacks = [*recipe.build_callbacks(model.optimizer, verbose), *callbacks]
    record = Record(data, recipe, callbacks, came_compiled, verbose)  # what happened, and why
    model.fit(data.train, validation_data=data.validation, epochs=recipe.epochs,
              class_weight=data.class_weight, callbacks=[*callbacks, record], verbose=verbose,
              shuffle=False)  # the pipeline shuffles
    return record.result


class Record(keras.callbacks.Callback):
    """What `fit` returns about a training: before the first batch it checks that the network
    has one output per class and reads the compiled optimizer (before a callback moves its
    rate); after the last epoch, the history, the time, the epoch whose weights were kept and
    why the training stopped (`result`)."""

    def __init__(self, data: TrainingData, recipe, callbacks: list, came_compiled: bool,
                 verbose: int = 0):
        super().__init__()
        self.data, self.recipe, self.callbacks = data, recipe, callbacks
        self.came_compiled, self.verbose = came_compiled, verbose
        self.result: TrainResult | None = None

    def on_train_begin(self, logs=None):
        check_outputs(self.model, self.data)
        if self.came_compiled and self.verbose:
            print(f"{self.model.name} came compiled: it trains with its own optimizer "
                  f"({type(described.inner(self.model.optimizer)).__name__}) and loss, not "
                  "the recipe's")
        self.compiled = described.optimizer_facts(self.model.optimizer)
        self.started = time.perf_counter()

    def on_train_end(self, logs=None):
        seconds = time.perf_counter() - self.started
        log = {k: [float(v) for v in values] for k, values in self.model.history.history.items()}
        self.result = TrainResult(
            log, seconds, len(log.get("loss", [])), kept_epoch(self.callbacks, log),
            self.data.train_images, self.data.validation_images, stopped_by(self.callbacks),
            described.facts(self.model, self.callbacks, self.data, self.compiled), self.recipe)


def check_outputs(model: keras.Model, data: TrainingData) -> None:
    if model.output_shape[-1] != data.num_classes:
        raise DataError(f"{model.name} has {model.output_shape[-1]} outputs but the data has "
                        f"{data.num_classes} classes; build it with "
                        f"build_model(name, {data.num_classes})")


def kept_epoch(callbacks: list, log: dict[str, list[float]]) -> int:
    """The epoch whose weights the network kept: early stopping's best (a rise smaller than its
    `min_delta` does not count), else the epoch of the highest validation accuracy."""
    for callback in callbacks:
        if (isinstance(callback, keras.callbacks.EarlyStopping) and callback.restore_best_weights
                and callback.best_weights is not None):
            return int(callback.best_epoch) + 1
    return int(np.argmax(log.get("val_accuracy", [0.0]))) + 1


def stopped_by(callbacks: list) -> str:
    """Which callback ended the training, else the recipe's most epochs."""
    for callback in callbacks:
        if isinstance(callback, keras.callbacks.EarlyStopping) and callback.stopped_epoch > 0:
            return "early stopping"
        if isinstance(callback, TimeLimit) and callback.stopped:
            return "time limit"
    return "epochs"


class TimeLimit(keras.callbacks.Callback):
    """Ends the training after the last epoch that fits in `seconds` (an epoch takes about as
    long as the longest so far), keeping time for what follows it: `after` validations' worth
    (the test split's evaluation; as many test images as validation images make one). Early
    stopping usually ends it first; this is the ceiling a time budget (`MINUTES=`) sets."""

    def __init__(self, seconds: float, after: float = 0.0, clock=time.perf_counter):
        super().__init__()
        if not seconds > 0:
            raise ConfigError(f"the time limit must be positive, got {seconds} s")
        self.seconds, self.after, self.clock = seconds, after, clock
        self.stopped = False

    def on_train_begin(self, logs=None):
        self.started = self.clock()
        self.longest = self.validation = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_started = self.clock()

    def on_test_begin(self, logs=None):
        self.test_started = self.clock()

    def on_test_end(self, logs=None):
        self.validation = self.clock() - self.test_started

    def on_epoch_end(self, epoch, logs=None):
        now = self.clock()
        self.longest = max(self.longest, now - self.epoch_started)
        if now - self.started + self.longest + self.after * self.validation > self.seconds:
            self.stopped = self.model.stop_training = True


def run_callbacks(run_dir: str | Path) -> list[keras.callbacks.Callback]:
    """A backup after every epoch (the same training after an interruption continues from
    it), the CSV history and TensorBoard logs in `run_dir`: appended to when the training
    resumes an interrupted one, started afresh otherwise."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    if not resumes(run_dir):
        forget_finished_run(run_dir)
    return [keras.callbacks.BackupAndRestore(str(run_dir / "backup")),
            keras.callbacks.CSVLogger(str(run_dir / "history.csv"), append=True),
            keras.callbacks.TensorBoard(str(run_dir / "logs"))]


def resumes(run_dir: Path) -> bool:
    """Whether a training in `run_dir` continues an interrupted one: BackupAndRestore keeps a
    backup after every epoch and deletes it when a training ends."""
    backup = run_dir / "backup"
    return backup.is_dir() and any(backup.iterdir())


def forget_finished_run(run_dir: Path) -> None:
    """Before a new training the last one's history goes, so history.csv lists this training's
    epochs once (not 0, 1, 2, 0, 1, 2). Its TensorBoard logs go too: TensorBoard would draw
    both runs as one curve that jumps back to the first step, and the folder describes the
    model trained last."""
    (run_dir / "history.csv").unlink(missing_ok=True)
    if (run_dir / "logs").is_dir():
        shutil.rmtree(run_dir / "logs")
