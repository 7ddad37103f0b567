"""Training a network in a test the way the notebooks do (`Recipe`, `training_data`, `fit`),
in one call, silently."""

from __future__ import annotations

import numpy as np

from helpers.data import Dataset
from helpers.learn.recipe import Recipe
from helpers.learn.train import TrainResult, fit, run_callbacks, training_data


def bars(n: int = 240, k: int = 4, seed: int = 0) -> Dataset:
    """Bars at a class-specific column on noise: easy to learn, quick to train."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    x = rng.integers(0, 40, (n, 28, 28), dtype=np.uint8)
    for i, label in enumerate(y):
        x[i, 4:24, 4 + 6 * label: 7 + 6 * label] = 255
    return Dataset(x[: n * 3 // 4], y[: n * 3 // 4], x[n * 3 // 4:], y[n * 3 // 4:],
                   classes=tuple("ABCD"[:k]), name="bars")


def train_for(model, dataset, epochs: int, *, run_dir=None, callbacks=(), seed: int = 0,
              class_weight=None, **options) -> TrainResult:
    """`fit` `model` on `dataset` for at most `epochs` by `Recipe(epochs, **options)`; with
    `run_dir`, the run folder's callbacks (history, logs, backup) too."""
    recipe = Recipe(epochs=epochs, **options)
    data = training_data(dataset, recipe, class_weight=class_weight, seed=seed)
    extra = [*(run_callbacks(run_dir) if run_dir is not None else []), *callbacks]
    return fit(model, data, recipe, extra, verbose=0)


def notebook_training(name: str, config, prepared, *, builder=None, recipe=None):
    """What a CNN notebook's cells do, in order: the run's recipe (or `recipe`), the network,
    its data, `fit` with the run's callbacks, the evaluation, the saving."""
    from helpers import experiment

    recipe = recipe or experiment.recipe(config)
    model = experiment.network(name, config, prepared, builder=builder)
    data = training_data(prepared.dataset, recipe, class_weight=prepared.class_weight,
                         seed=config.seed)
    training = fit(model, data, recipe, experiment.callbacks(name, config, prepared), verbose=0)
    evaluation = experiment.evaluate(name, model, training, config, prepared, code=builder)
    return experiment.save(name, model, training, evaluation, config, prepared)
