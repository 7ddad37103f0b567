"""Training: Keras' own fit and callbacks, under a tf.distribute strategy, resumable.

`train(model, dataset, epochs)` compiles the model (Adam, or AdamW with `weight_decay`; cross-
entropy, optionally with label smoothing and an exponential moving average of the weights),
holds out a stratified validation split of the training images (never the test set), and fits
with EarlyStopping, ReduceLROnPlateau or a cosine schedule (which can fit itself to a time
budget), TensorBoard logs, a CSV history and a backup that lets an interrupted run continue from
its last finished epoch.
"""

from __future__ import annotations

import math
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from helpers.data import Dataset, stratified_split
from helpers.errors import ConfigError, DataError
from helpers.learn.augment import pipeline


def strategy() -> tf.distribute.Strategy:
    """MirroredStrategy over every GPU when there are several, else the default strategy."""
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy([g.name for g in gpus])
    return tf.distribute.get_strategy()


def set_seed(seed: int, deterministic: bool = True) -> None:
    """Same seed, same weights, batches and augmentations (on CPU, same metrics)."""
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


@dataclass
class TrainResult:
    """What a run produced: Keras' history dict and how long it took."""

    history: dict[str, list[float]]
    seconds: float
    images_per_second: float
    epochs_run: int
    best_epoch: int
    train_images: int
    validation_images: int
    run_dir: Path | None = None
    notes: list[str] = field(default_factory=list)
    budget: float | None = None  # seconds the epochs were fitted to, if any
    epochs_cap: int | None = None  # the most epochs the run could have had

    def as_dict(self) -> dict:
        timed = ({"budget_seconds": round(self.budget, 1), "epochs_cap": self.epochs_cap}
                 if self.budget is not None else {})
        return {"epochs": self.epochs_run, "best_epoch": self.best_epoch,
                "training_seconds": round(self.seconds, 2),
                "images_per_second": round(self.images_per_second, 1),
                "train_images": self.train_images, "validation_images": self.validation_images,
                **timed}


def validation_split(dataset: Dataset, fraction: float, seed: int):
    """(x_train, y_train, x_val, y_val), stratified: sorted files (letters) split fairly too."""
    if not 0 < fraction < 1:
        raise ConfigError(f"validation fraction must be between 0 and 1, got {fraction}")
    return stratified_split(dataset.x_train, dataset.y_train, fraction, seed)


def check_trainable(model: keras.Model, dataset: Dataset) -> None:
    if model.output_shape[-1] != dataset.num_classes:
        raise DataError(f"{model.name} has {model.output_shape[-1]} outputs but {dataset.name} "
                        f"has {dataset.num_classes} classes; build it with "
                        f"build_model(name, {dataset.num_classes})")
    if len(dataset.x_train) < 2 * dataset.num_classes:
        raise DataError(f"{dataset.name}: {len(dataset.x_train)} training images is too few for "
                        f"{dataset.num_classes} classes")


def callbacks(run_dir: Path | None, patience: int, plateau: bool,
              restore_best: bool = True) -> list:
    """Early stopping (which puts back the best epoch's weights unless `restore_best` is off:
    the moving average of the weights replaces them instead), halving the rate on plateaus,
    and with `run_dir` a backup, the CSV history and TensorBoard logs: appended to when the
    training resumes an interrupted one, started afresh otherwise."""
    found = [keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=patience,
                                           restore_best_weights=restore_best)]
    if plateau:
        found.append(keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5,
                                                       patience=max(1, patience // 2),
                                                       min_lr=1e-5))
    if run_dir is not None:
        run_dir.mkdir(parents=True, exist_ok=True)
        if not resumes(run_dir):
            forget_finished_run(run_dir)
        found += [
            keras.callbacks.BackupAndRestore(str(run_dir / "backup")),
            keras.callbacks.CSVLogger(str(run_dir / "history.csv"), append=True),
            keras.callbacks.TensorBoard(str(run_dir / "logs")),
        ]
    return found


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


SCHEDULES = ("plateau", "cosine")


def cosine_rate(step: int, peak: float, steps: int) -> float:
    """The cosine schedule's rate at `step` of `steps`: a linear warm-up from peak/10 to `peak`
    over the first tenth, then cosine decay to zero at the last step."""
    warmup = max(1, steps // 10)
    if step < warmup:
        return peak / 10 + (peak - peak / 10) * step / warmup
    done = min(1.0, (step - warmup) / max(1, steps - warmup))
    return 0.5 * peak * (1 + math.cos(math.pi * done))


# Batches of the first epoch timed (after the first, which traces the step) before a budgeted
# run plans its epochs, so the warm-up is sized for the run it will be rather than the cap.
PROBE_BATCHES = 20


class CosineSchedule(keras.callbacks.Callback):
    """Sets the rate before every batch by `cosine_rate` over the planned epochs.

    With `budget` seconds, the plan is fitted to the whole epochs that fit in the budget (at
    most `epochs`, the cap): first from the median time of `PROBE_BATCHES` batches of the
    first epoch, then again when it ends (its batches and its validation measured) and when
    the second ends; after every later epoch it may only shrink if the run falls behind. A
    cosine schedule has to know where it ends: a run stopped on a clock instead would end
    with the rate still high.
    `epochs` says how many epochs the run will have; `cap` how many it could have had.
    `after` validations' worth of time is kept for what follows the training (the test
    split's evaluation: as many test images as validation images make one).
    """

    def __init__(self, peak: float, steps_per_epoch: int, epochs: int,
                 budget: float | None = None, clock=None, after: float = 0.0):
        super().__init__()
        if budget is not None and budget <= 0:
            raise ConfigError(f"the time budget must be positive, got {budget} s")
        self.peak, self.steps_per_epoch, self.epochs = peak, steps_per_epoch, epochs
        self.cap, self.budget, self.step, self.after = epochs, budget, 0, after
        self.clock = clock or time.perf_counter
        self.started = self.batch_started = self.test_started = 0.0
        self.batch_seconds: list[float] = []
        self.validation_seconds = 0.0

    def on_train_begin(self, logs=None):
        self.started = self.clock()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self.epoch_started = self.clock()
        self.step = epoch * self.steps_per_epoch  # also right after resuming from a backup

    def on_train_batch_begin(self, batch, logs=None):
        if self._probing():
            self.batch_started = self.clock()
        self.model.optimizer.learning_rate = cosine_rate(
            self.step, self.peak, self.epochs * self.steps_per_epoch)

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self._probing():
            self.batch_seconds.append(self.clock() - self.batch_started)
            if len(self.batch_seconds) == PROBE_BATCHES + 1:
                per_batch = float(np.median(self.batch_seconds[1:]))
                # The rest of this epoch, then whole epochs (validation guessed at a tenth).
                rest = (self.steps_per_epoch - batch - 1) * per_batch * 1.1
                kept = self.after * 0.1 * self.steps_per_epoch * per_batch
                self._plan(1 + (self.budget - self._elapsed() - rest - kept)
                           / (self.steps_per_epoch * per_batch * 1.1))

    def on_test_begin(self, logs=None):
        self.test_started = self.clock()

    def on_test_end(self, logs=None):
        self.validation_seconds = self.clock() - self.test_started

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:  # the history records the rate the epoch ended with
            logs["learning_rate"] = float(cosine_rate(
                max(0, self.step - 1), self.peak, self.epochs * self.steps_per_epoch))
        if self.budget is not None:
            if epoch == 0 and len(self.batch_seconds) > PROBE_BATCHES:
                # An epoch without the first batch's tracing or validation's first trace.
                steady = (float(np.median(self.batch_seconds[1:])) * self.steps_per_epoch
                          + self.validation_seconds)
            else:
                steady = self.clock() - self.epoch_started
            kept = self.after * self.validation_seconds
            fits = epoch + 1 + (self.budget - self._elapsed() - kept) / max(steady, 1e-9)
            # The first epoch traces the steps, so the second is the first measured plainly
            # where there were too few batches to time within the first: until then the plan
            # may grow.
            self._plan(fits, grow=epoch <= 1)
        if epoch + 1 >= self.epochs:
            self.model.stop_training = True

    def _probing(self) -> bool:
        return (self.budget is not None and getattr(self, "epoch", 0) == 0
                and len(self.batch_seconds) <= PROBE_BATCHES
                and self.steps_per_epoch > PROBE_BATCHES + 1)

    def _elapsed(self) -> float:
        return self.clock() - self.started

    def _plan(self, fits: float, grow: bool = True) -> None:
        """Plan the whole epochs that fit (at least the one running, at most the cap)."""
        planned = max(getattr(self, "epoch", 0) + 1, min(self.cap, int(fits)))
        self.epochs = planned if grow else min(self.epochs, planned)
        kept, steps = self.model.optimizer, self.epochs * self.steps_per_epoch
        if kept.use_ema and kept.ema_momentum > ema_momentum(steps):
            # The moving average, sized for the planned run (its momentum is fixed in the
            # traced step), would still hold the first random weights at the end of a much
            # shorter one: keep the annealed last weights instead.
            kept.use_ema = False


# The moving average of the weights spans about the last thousand steps (momentum 0.999), and
# at most the last quarter of a shorter run, whose early weights would otherwise weigh in: an
# ensemble of the late checkpoints for the price of one model, which is what gets evaluated.
EMA_STEPS = 1000


def ema_momentum(steps: int) -> float:
    """The moving average's momentum for a run of `steps` optimiser steps."""
    return 1 - 1 / max(1.0, min(EMA_STEPS, steps / 4))


def optimizer(rate, weight_decay: float = 0.0, ema: bool = False,
              steps: int = 4 * EMA_STEPS) -> keras.optimizers.Optimizer:
    """Adam, or AdamW when `weight_decay` > 0; `ema` keeps a moving average of the weights that
    replaces them when training ends (sized for a run of `steps`)."""
    if weight_decay < 0:
        raise ConfigError(f"weight_decay must be at least 0, got {weight_decay}")
    momentum = ema_momentum(steps)
    if weight_decay:
        return keras.optimizers.AdamW(rate, weight_decay=weight_decay, use_ema=ema,
                                      ema_momentum=momentum)
    return keras.optimizers.Adam(rate, use_ema=ema, ema_momentum=momentum)


def loss(num_classes: int, label_smoothing: float = 0.0):
    """Cross-entropy on integer labels, or with `label_smoothing` on one-hot labels (which
    Keras' smoothing needs): `(loss, label transform for the data pipeline or None)`."""
    if not 0 <= label_smoothing < 1:
        raise ConfigError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
    if not label_smoothing:
        return "sparse_categorical_crossentropy", None
    return (keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing),
            lambda x, y: (x, tf.one_hot(y, num_classes)))


def train(model: keras.Model, dataset: Dataset, epochs: int, *, batch_size: int = 128,
          augment: bool = True, class_weight: dict[int, float] | None = None,
          validation_fraction: float = 0.1, patience: int = 5, learning_rate: float = 1e-3,
          schedule: str = "plateau", label_smoothing: float = 0.0, weight_decay: float = 0.0,
          ema: bool = False, budget: float | None = None,
          seed: int = 0, run_dir: str | Path | None = None, verbose: int | str = "auto",
          extra_callbacks: list[keras.callbacks.Callback] | None = None) -> TrainResult:
    """Fit `model` on `dataset`'s training images; the test split is not looked at.

    With `run_dir`, the run keeps TensorBoard logs, `history.csv` and a backup there; calling
    `train` again with the same `run_dir` after an interruption continues from the last epoch,
    after a finished training starts a new history.
    `schedule="cosine"` with `budget` seconds runs the whole epochs that fit in the budget (at
    most `epochs`), its schedule fitted to them (see `CosineSchedule`).
    """
    if epochs < 1:
        raise ConfigError(f"epochs must be at least 1, got {epochs}")
    if schedule not in SCHEDULES:
        raise ConfigError(f"unknown schedule {schedule!r}; use one of {', '.join(SCHEDULES)}")
    if budget is not None and schedule != "cosine":
        raise ConfigError("a time budget needs schedule='cosine', which can fit its decay to the "
                          f"epochs that fit; got schedule={schedule!r}")
    check_trainable(model, dataset)
    run_dir = Path(run_dir) if run_dir is not None else None
    x_train, y_train, x_val, y_val = validation_split(dataset, validation_fraction, seed)
    train_data = pipeline(x_train, y_train, batch_size=batch_size, augment=augment,
                          shuffle=True, seed=seed)
    val_data = pipeline(x_val, y_val, batch_size=max(batch_size, 512))
    loss_fn, to_labels = loss(dataset.num_classes, label_smoothing)
    if to_labels is not None:
        train_data, val_data = train_data.map(to_labels), val_data.map(to_labels)
    steps_per_epoch = -(-len(x_train) // batch_size)
    after = len(dataset.x_test) / max(1, len(x_val))  # the test split's evaluation follows
    scheduled = ([CosineSchedule(learning_rate, steps_per_epoch, epochs, budget, after=after)]
                 if schedule == "cosine" else [])
    with model.distribute_strategy.scope():
        model.compile(optimizer=optimizer(learning_rate, weight_decay, ema,
                                          epochs * steps_per_epoch), loss=loss_fn,
                      metrics=["accuracy"])
    started = time.perf_counter()
    history = model.fit(train_data, validation_data=val_data, epochs=epochs,
                        class_weight=class_weight, shuffle=False,  # the pipeline shuffles
                        callbacks=callbacks(run_dir, patience, schedule == "plateau",
                                            restore_best=not ema)
                        + scheduled + list(extra_callbacks or []),
                        verbose=verbose)
    seconds = time.perf_counter() - started
    log = {k: [float(v) for v in values] for k, values in history.history.items()}
    epochs_run = len(log.get("loss", []))
    val_acc = log.get("val_accuracy", [0.0])
    return TrainResult(
        history=log, seconds=seconds,
        images_per_second=len(x_train) * epochs_run / seconds if seconds else 0.0,
        epochs_run=epochs_run, best_epoch=int(np.argmax(val_acc)) + 1,
        train_images=len(x_train), validation_images=len(x_val), run_dir=run_dir,
        budget=budget, epochs_cap=epochs if budget is not None else None)
