"""The best recipe's training options and `make model` (`python -m helpers model`): the default
reader it saves is the one `Recognizer.load()`, the CLI and the web page find."""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import replace

import keras
import pytest
from conftest import REPO
from scipy.stats import binomtest
from support.idx_files import write_emnist_split

from helpers import paths
from helpers.cli import main
from helpers.errors import ConfigError, DataError
from helpers.learn.models import DEFAULT_READER, build_model, default_model, save_model
from helpers.learn.recipe import BEST, BEST_NETWORK, Recipe, emnist_location, train_network
from helpers.learn.train import TimeLimit, fit, training_data

TINY = Recipe(epochs=2, batch_size=32, learning_rate=2e-3, schedule="cosine", warmup=0.1,
              patience=None, label_smoothing=0.1, weight_decay=1e-4, ema=True)


@pytest.mark.parametrize(("change", "said"), [
    ({"epochs": 0}, "epochs must be a whole number of at least 1"),
    ({"optimizer": "adagrad"}, "optimizer='adagrad'; use one of adam, adamw, sgd"),
    ({"learning_rate": 0}, "learning_rate must be more than 0"),
    ({"schedule": "step"}, "schedule='step'"),
    ({"patience": 0}, "patience must be at least 1"),
    ({"label_smoothing": 1.0}, "label_smoothing must be in"),
    ({"weight_decay": -1}, "weight_decay must be at least 0"),
    ({"min_delta": -0.1}, "min_delta must be in [0, 1)"),
    ({"plateau_patience": 0}, "plateau_patience must be at least 1"),
])
def test_a_recipe_refuses_a_bad_setting_by_name(change, said):
    with pytest.raises(ConfigError, match=re.escape(said)):
        Recipe(**change)


def test_the_loss_smooths_one_hot_labels_that_the_data_then_gives():
    from helpers.data import load_dataset

    assert isinstance(Recipe().build_loss(), keras.losses.SparseCategoricalCrossentropy)
    smoothed = Recipe(label_smoothing=0.1).build_loss()
    assert smoothed.get_config()["label_smoothing"] == 0.1
    data = load_dataset("glyphs", limit=400, seed=1)
    _, labels = next(iter(training_data(data, Recipe(label_smoothing=0.1)).train))
    assert labels.shape[-1] == data.num_classes  # one-hot, as Keras' smoothing needs
    _, labels = next(iter(training_data(data, Recipe()).train))
    assert labels.shape.rank == 1


def test_the_optimizer_is_the_recipes_and_keeps_an_average_for_the_run():
    assert type(Recipe().build_optimizer(100)).__name__ == "Adam"
    sgd = Recipe(optimizer="sgd", learning_rate=0.01).build_optimizer(100)
    assert type(sgd).__name__ == "SGD" and sgd.get_config()["momentum"] == 0.9
    decayed = Recipe(weight_decay=1e-4, ema=True, epochs=40).build_optimizer(100)
    assert type(decayed).__name__ == "AdamW" and decayed.use_ema
    assert decayed.ema_momentum == pytest.approx(0.999)
    # A short run averages its last quarter only, not its first random weights.
    assert Recipe(ema=True, epochs=1).build_optimizer(40).ema_momentum == pytest.approx(0.9)


def test_the_cosine_schedule_is_keras_own_warming_up_then_decaying_to_zero():
    rate = Recipe(schedule="cosine", warmup=0.1, learning_rate=1.0, epochs=10,
                  patience=None).build_optimizer(10).learning_rate
    schedule = Recipe(schedule="cosine", warmup=0.1, learning_rate=1.0, epochs=10,
                      patience=None).build_optimizer(10)._learning_rate
    assert isinstance(schedule, keras.optimizers.schedules.CosineDecay)
    rates = [float(schedule(step)) for step in range(101)]
    assert rates[0] == pytest.approx(0.1) and rates[10] == pytest.approx(1.0)
    assert all(a < b for a, b in zip(rates[:10], rates[1:11], strict=True))  # warm-up
    assert all(a > b for a, b in zip(rates[10:99], rates[11:100], strict=True))  # decay
    assert rates[55] == pytest.approx(0.5) and rates[100] == pytest.approx(0.0, abs=1e-6)
    assert float(rate) == pytest.approx(0.1)  # where the first step starts


def test_the_callbacks_stop_early_and_halve_the_rate_only_where_the_recipe_says():
    def kinds(recipe, optimizer=None):
        optimizer = optimizer or recipe.build_optimizer(10)
        return [type(c).__name__ for c in recipe.build_callbacks(optimizer)]

    assert kinds(Recipe()) == ["EarlyStopping", "ReduceLROnPlateau"]
    assert kinds(Recipe(schedule="constant")) == ["EarlyStopping"]
    assert kinds(Recipe(schedule="cosine", patience=None)) == []
    # A model compiled with a schedule of its own keeps it: the plateau rule cannot set it.
    own = keras.optimizers.SGD(keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5))
    assert kinds(Recipe(), own) == ["EarlyStopping"]
    stop = Recipe(patience=6, plateau_patience=2).build_callbacks(Recipe().build_optimizer(10))
    assert stop[0].patience == 6 and stop[0].monitor == "val_accuracy" and stop[1].patience == 2
    assert Recipe(patience=6).build_callbacks(Recipe().build_optimizer(10))[1].patience == 1
    assert stop[0].min_delta == 0.001 and stop[1].monitor == "val_loss"


def test_fit_with_smoothing_decay_and_average_learns():
    from helpers.data import load_dataset

    data = load_dataset("glyphs", limit=1500, seed=1)
    model, result = train_network("baseline", replace(TINY, epochs=3), data)
    accuracy = float((model.predict(data.x_test[..., None] / 255, verbose=0).argmax(1)
                      == data.y_test).mean())
    assert result.epochs_run == 3 and result.stopped_by == "epochs" and not result.converged
    assert accuracy > 3 / data.num_classes  # far above chance (1/36) after three short epochs
    assert result.facts["optimizer"] == "AdamW" and result.facts["label_smoothing"] == 0.1


def test_early_stopping_acts_when_validation_stops_improving():
    from helpers.data import load_dataset

    data = load_dataset("glyphs", limit=600, seed=1)
    # A rate too small to move anything: validation accuracy never beats the first epoch's.
    _, result = train_network("baseline", Recipe(epochs=10, patience=2, learning_rate=1e-12,
                                                 augment=False), data)
    assert result.stopped_by == "early stopping" and result.converged
    assert result.epochs_run == 3 and result.best_epoch == 1


def test_a_compiled_model_keeps_its_own_optimizer_and_the_cell_says_so(capsys):
    from helpers.data import load_dataset

    data = load_dataset("glyphs", limit=600, seed=1)
    model = build_model("baseline", data.num_classes)
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    recipe = Recipe(epochs=1)
    result = fit(model, training_data(data, recipe), recipe)
    shown = capsys.readouterr().out
    assert "came compiled: it trains with its own optimizer (SGD)" in shown
    assert re.search(r"\d+/\d+ - .* - val_accuracy: ", shown)  # the epoch's progress line
    assert type(model.optimizer).__name__ == "SGD" and result.facts["optimizer"] == "SGD"
    assert result.facts["learning_rate"] == 0.05


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Stub:
    stop_training = False


def run_limit(limit: TimeLimit, clock: Clock, epoch_seconds: float, validation: float,
              epochs: int = 100) -> int:
    """Epochs a training of `epoch_seconds` per epoch (validation included) gets under `limit`."""
    limit.set_model(Stub())
    limit.on_train_begin()
    for epoch in range(epochs):
        limit.on_epoch_begin(epoch)
        clock.now += epoch_seconds - validation
        limit.on_test_begin()
        clock.now += validation
        limit.on_test_end()
        limit.on_epoch_end(epoch)
        if limit.model.stop_training:
            return epoch + 1
    return epochs


def test_a_time_limit_begins_no_epoch_that_would_not_end_within_it():
    clock = Clock()
    assert run_limit(TimeLimit(100, clock=clock), clock, 10, 1) == 10  # the 10th ends at 100
    clock = Clock()
    assert run_limit(TimeLimit(95, clock=clock), clock, 10, 1) == 9
    clock = Clock()
    # Keeping time for a test split 20 validations long (20 s): 8 epochs, then 80 + 20 = 100.
    assert run_limit(TimeLimit(100, after=20, clock=clock), clock, 10, 1) == 8
    clock = Clock()
    assert run_limit(TimeLimit(5, clock=clock), clock, 10, 1) == 1  # at least the one begun
    with pytest.raises(ConfigError, match="time limit must be positive"):
        TimeLimit(0)


def test_best_recipe_names_a_known_network_and_a_cosine_schedule():
    from helpers.learn.models import ARCHITECTURES

    assert BEST_NETWORK in ARCHITECTURES and BEST.schedule == "cosine" and BEST.epochs >= 1
    assert BEST.patience is None  # a cosine schedule runs to its end


def test_emnist_location_explains_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.delenv("OCR_EMNIST_DIR", raising=False)
    with pytest.raises(DataError, match="no EMNIST files.*download"):
        emnist_location(str(tmp_path))
    write_emnist_split(tmp_path / "e", "mnist", "0123456789", 50, 20)
    assert emnist_location(str(tmp_path / "e")) == tmp_path / "e"


def test_default_model_prefers_the_reader_then_the_latest_report(tmp_path):
    run = paths.outputs_dir() / "latest"
    model = build_model("baseline", 3)
    report_model = save_model(model, run / "models" / "baseline", "abc", accuracy=0.5)
    assert default_model() == report_model
    reader = save_model(model, paths.outputs_dir() / DEFAULT_READER, "abc", accuracy=0.4)
    assert default_model() == reader


def test_main_trains_and_saves_the_default_reader(tmp_path, capsys):
    folder = tmp_path / "emnist"
    write_emnist_split(folder, "digits", "0123456789", 400, 100)
    # Three epochs planned, but a budget shorter than the first: the run stops after it.
    assert main(["model", "--dataset", "emnist-digits", "--data-dir", str(folder), "--epochs",
                 "3", "--limit", "300", "--minutes", "0.0001"]) == 0
    out = capsys.readouterr().out
    assert "saved" in out and "test accuracy" in out and "1 epochs" in out
    saved = paths.outputs_dir() / DEFAULT_READER
    info = json.loads(saved.with_suffix(".json").read_text())
    assert info["classes"] == list("0123456789") and info["epochs"] == 1
    assert {"accuracy", "test_images", "recipe", "framing"} <= set(info) | set(
        info["preprocessing"])
    assert default_model() == saved


def test_main_without_files_is_one_clear_error_that_gives_the_download(tmp_path, capsys,
                                                                     monkeypatch):
    assert main(["model", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no EMNIST files") and err.count("\n") == 1
    assert "make model DOWNLOAD=1" in err
    assert "python -m helpers.data download emnist-byclass" in err
    # Without --data-dir the default is the user's own folder, never this repository's CI data.
    monkeypatch.delenv("OCR_EMNIST_DIR", raising=False)
    assert main(["model"]) == 1
    err = capsys.readouterr().err
    assert str(paths.raw_dir() / "emnist") in err and "shared" not in err


@pytest.mark.slow
@pytest.mark.emnist
def test_make_model_on_a_slice_of_real_emnist(emnist_dir, tmp_path):
    """`make model` end to end on 6,000 real byclass images, merged to 47 classes: the reader
    lands where `python -m helpers read` finds it, and it reads better than chance."""
    env = {**os.environ, "OCR_PROJECT_DIR": str(tmp_path)}
    done = subprocess.run(["make", "-s", "model", f"DATA_DIR={emnist_dir}", "LIMIT=6000",
                           "EPOCHS=2"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    info = json.loads((tmp_path / "outputs" / DEFAULT_READER).with_suffix(".json").read_text())
    assert len(info["classes"]) == 47 and info["dataset"] == "emnist-byclass"
    # Two short epochs (38 steps, not repeatable: `make model` trains with TensorFlow's faster,
    # non-deterministic kernels) end anywhere from about 10% to 33% here; what must hold is that
    # the reader is past chance (1/47) beyond doubt on its test images.
    right = round(info["accuracy"] * info["test_images"])
    assert binomtest(right, info["test_images"], 1 / 47, alternative="greater").pvalue < 1e-6


class TrainerCalled(Exception):
    """Raised by the stand-in for `fit`: the entry point got as far as training."""


def test_every_trainer_fits_by_the_one_function_with_the_notebooks_recipe(tmp_path, monkeypatch):
    """`python -m helpers train` and `make model` (`python -m helpers model`) train through
    `helpers.learn.train.fit`, as the notebooks' cells do; `train` with the notebooks' own
    recipe (`experiment.recipe`) and balancing, `model` with `BEST`."""
    from helpers import experiment
    from helpers.learn import recipe

    seen = []

    def stand_in(model, data, chosen, callbacks=(), verbose=2):
        seen.append((model.name, chosen, data.class_weight is not None))
        raise TrainerCalled

    monkeypatch.setattr(recipe, "fit", stand_in)
    with pytest.raises(TrainerCalled):
        main(["train", "--dataset", "digits", "--model", "baseline", "--epochs", "7"])
    folder = tmp_path / "emnist"
    write_emnist_split(folder, "digits", "0123456789", 100, 30)
    with pytest.raises(TrainerCalled):
        main(["model", "--dataset", "emnist-digits", "--data-dir", str(folder)])
    config = experiment.RunConfig.from_parameters(EPOCHS=7)
    assert seen == [("baseline", experiment.recipe(config), True), ("resnet", BEST, False)]


def test_make_models_help_gives_the_recipes_own_default_epochs(capsys):
    with pytest.raises(SystemExit):
        main(["model", "--help"])
    assert f"epochs (default: {BEST.epochs}, the recipe's)" in " ".join(
        capsys.readouterr().out.split())
