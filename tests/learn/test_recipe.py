"""The best recipe's training options and `make model` (`python -m helpers model`): the default
reader it saves is the one `Recognizer.load()`, the CLI and the web page find."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace

import numpy as np
import pytest
from conftest import REPO
from scipy.stats import binomtest
from support.idx_files import write_emnist_split

from helpers import paths
from helpers.cli import main
from helpers.errors import ConfigError, DataError
from helpers.learn.models import DEFAULT_READER, build_model, default_model, save_model
from helpers.learn.recipe import BEST, Recipe, emnist_location, fit
from helpers.learn.train import CosineSchedule, cosine_rate, loss, optimizer, train

TINY = Recipe("baseline", epochs=2, batch_size=32, learning_rate=2e-3, schedule="cosine",
              label_smoothing=0.1, weight_decay=1e-4, ema=True)


def test_loss_with_smoothing_takes_one_hot_labels():
    plain, none = loss(5)
    assert plain == "sparse_categorical_crossentropy" and none is None
    smoothed, to_one_hot = loss(5, 0.1)
    _, y = to_one_hot(np.zeros((2, 28, 28, 1)), np.array([1, 3]))
    assert np.asarray(y).tolist() == [[0, 1, 0, 0, 0], [0, 0, 0, 1, 0]]
    # Smoothing spreads 0.1 over the classes: a perfect one-hot guess still costs something.
    assert float(smoothed(np.asarray(y), np.asarray(y, dtype="float32") * 0.999 + 2e-4)) > 0.1
    with pytest.raises(ConfigError, match="label_smoothing"):
        loss(5, 1.0)


def test_optimizer_is_adamw_with_decay_and_keeps_an_average():
    assert type(optimizer(1e-3)).__name__ == "Adam"
    decayed = optimizer(1e-3, weight_decay=1e-4, ema=True)
    assert type(decayed).__name__ == "AdamW" and decayed.use_ema
    assert decayed.ema_momentum == pytest.approx(0.999)
    # A short run averages its last quarter only, not its first random weights.
    assert optimizer(1e-3, ema=True, steps=40).ema_momentum == pytest.approx(0.9)
    with pytest.raises(ConfigError, match="weight_decay"):
        optimizer(1e-3, weight_decay=-1)


def test_fit_with_smoothing_decay_and_average_learns(tmp_path):
    from helpers.data import load_dataset

    data = load_dataset("glyphs", limit=1500, seed=1)
    model, result = fit(replace(TINY, epochs=3), data, mixed_precision=False)
    accuracy = float((model.predict(data.x_test[..., None] / 255, verbose=0).argmax(1)
                      == data.y_test).mean())
    assert result.epochs_run == 3
    assert accuracy > 3 / data.num_classes  # far above chance (1/36) after three short epochs


def test_cosine_rate_warms_up_then_decays_to_zero():
    rates = [cosine_rate(step, 1.0, 100) for step in range(101)]
    assert rates[0] == pytest.approx(0.1) and rates[10] == pytest.approx(1.0)
    assert all(a < b for a, b in zip(rates[:10], rates[1:11], strict=True))  # warm-up
    assert all(a > b for a, b in zip(rates[10:99], rates[11:100], strict=True))  # decay
    assert rates[55] == pytest.approx(0.5) and rates[100] == pytest.approx(0.0)


def run_schedule(schedule: CosineSchedule, planned: int, first_epoch: int = 0,
                 ema: bool = False) -> list[list]:
    """Drive the callback through a run as `fit` would; the rates set before each batch."""
    model = build_model("baseline", 3)
    model.compile(optimizer(1e-3, ema=ema, steps=planned * schedule.steps_per_epoch),
                  "sparse_categorical_crossentropy")
    schedule.set_model(model)
    schedule.on_train_begin()
    epochs = []
    for epoch in range(first_epoch, planned):
        schedule.on_epoch_begin(epoch)
        rates = []
        for batch in range(schedule.steps_per_epoch):
            schedule.on_train_batch_begin(batch)
            rates.append(float(np.asarray(model.optimizer.learning_rate)))
            schedule.on_train_batch_end(batch)
        epochs.append(rates)
        schedule.on_epoch_end(epoch)
        if model.stop_training:
            break
    return epochs


class Clock:
    """A clock the test moves: `fit` would spend the seconds a batch or a validation takes."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def run_timed(schedule: CosineSchedule, clock: Clock, batch_seconds, validation: float = 0.0,
              ema: bool = False) -> list[list]:
    """Drive the callback through a budgeted run as `fit` would, `batch_seconds(epoch, batch)`
    per batch and `validation` seconds after each epoch; the rates set before each batch."""
    model = build_model("baseline", 3)
    model.compile(optimizer(1e-3, ema=ema, steps=schedule.cap * schedule.steps_per_epoch),
                  "sparse_categorical_crossentropy")
    schedule.set_model(model)
    schedule.on_train_begin()
    epochs = []
    for epoch in range(schedule.cap):
        schedule.on_epoch_begin(epoch)
        rates = []
        for batch in range(schedule.steps_per_epoch):
            schedule.on_train_batch_begin(batch)
            rates.append(float(np.asarray(model.optimizer.learning_rate)))
            clock.now += batch_seconds(epoch, batch)
            schedule.on_train_batch_end(batch)
        schedule.on_test_begin()
        clock.now += validation
        schedule.on_test_end()
        epochs.append(rates)
        schedule.on_epoch_end(epoch)
        if model.stop_training:
            break
    return epochs


def test_a_time_budget_keeps_the_epochs_that_fit_and_ends_the_schedule_with_them():
    clock = Clock()
    schedule = CosineSchedule(1.0, steps_per_epoch=5, epochs=8, budget=35, clock=clock)
    epochs = run_timed(schedule, clock, lambda epoch, batch: 2.0, ema=True)
    assert len(epochs) == schedule.epochs == 3  # a 10 s first epoch: 3 fit in 35 s
    assert epochs[0][0] == pytest.approx(0.1)
    last = epochs[-1][-1]  # the schedule ends with the last epoch that fits
    assert last == pytest.approx(cosine_rate(14, 1.0, 15)) and last < 0.02
    # The average was sized for 40 steps; over the 15 run it would still hold the start.
    assert not schedule.model.optimizer.use_ema
    assert clock.now <= 35


def test_a_budgeted_run_is_planned_within_its_first_epoch_and_fills_the_budget():
    clock = Clock()
    # The first batch traces the step (5 s), the others take 1 s, validation 2 s.
    schedule = CosineSchedule(1.0, steps_per_epoch=50, epochs=40, budget=500, clock=clock)
    epochs = run_timed(schedule, clock, lambda epoch, batch: 5.0 if epoch == batch == 0 else 1.0,
                       validation=2.0)
    assert len(epochs) == schedule.epochs == 9 and schedule.cap == 40
    assert 450 <= clock.now <= 500  # nine 52 s epochs (the first 56 s) fit in 500 s, ten do not
    # Planned after 21 batches, so the warm-up is a tenth of the nine epochs, not of forty.
    steps = 9 * 50
    assert epochs[0][30] == pytest.approx(cosine_rate(30, 1.0, steps))
    assert max(max(e) for e in epochs) == pytest.approx(1.0, abs=0.01)
    assert epochs[-1][-1] == pytest.approx(cosine_rate(steps - 1, 1.0, steps))
    # Keeping time for a test split four times the validation's (8 s) costs no epoch here;
    # forty times (80 s) costs one.
    for after, expected in ((4, 9), (40, 8)):
        clock = Clock()
        schedule = CosineSchedule(1.0, 50, 40, budget=500, clock=clock, after=after)
        run_timed(schedule, clock, lambda epoch, batch: 1.0, validation=2.0)
        assert schedule.epochs == expected and clock.now + after * 2.0 <= 500


def test_a_short_epochs_plan_is_fitted_again_after_the_first_which_traced_the_step():
    clock = Clock()
    # Too few batches to time within the first epoch, whose first batch traces (20 s).
    schedule = CosineSchedule(1.0, steps_per_epoch=5, epochs=50, budget=100, clock=clock)
    epochs = run_timed(schedule, clock, lambda epoch, batch: 20.0 if epoch == batch == 0 else 1.0)
    assert len(epochs) == 16 and clock.now <= 100  # 24 s, then 5 s epochs: 15 more fit


def test_a_budgeted_run_that_slows_down_ends_sooner_rather_than_late():
    clock = Clock()
    schedule = CosineSchedule(1.0, steps_per_epoch=50, epochs=40, budget=500, clock=clock)
    # From the third epoch on, every batch takes twice as long (another job took a core).
    epochs = run_timed(schedule, clock, lambda epoch, batch: 2.0 if epoch >= 2 else 1.0)
    assert len(epochs) < 9 and clock.now <= 500 + 100  # at most one slow epoch over


def test_the_schedule_without_budget_runs_every_epoch_and_resumes_in_place():
    epochs = run_schedule(CosineSchedule(1.0, steps_per_epoch=4, epochs=3), planned=3)
    assert [len(e) for e in epochs] == [4, 4, 4]
    resumed = run_schedule(CosineSchedule(1.0, steps_per_epoch=4, epochs=3), planned=3,
                           first_epoch=1)
    assert resumed == epochs[1:]  # after a backup is restored, the rates pick up at epoch 2
    with pytest.raises(ConfigError, match="budget must be positive"):
        CosineSchedule(1.0, 4, 3, budget=0)


def test_a_budget_needs_the_cosine_schedule():
    from helpers.data import load_dataset

    data = load_dataset("glyphs", limit=200, seed=1)
    with pytest.raises(ConfigError, match="budget needs schedule='cosine'"):
        train(build_model("baseline", data.num_classes), data, 2, budget=60)


def test_best_recipe_names_a_known_network_and_a_cosine_schedule():
    from helpers.learn.models import ARCHITECTURES

    assert BEST.model in ARCHITECTURES and BEST.schedule == "cosine" and BEST.epochs >= 1
    assert set(BEST.train_options()) >= {"batch_size", "learning_rate", "label_smoothing"}


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
    """Raised by the stand-in for `train_and_save`: the entry point got as far as training."""


def test_every_trainer_takes_the_one_training_path(tmp_path, monkeypatch):
    """The notebooks, `python -m helpers train` and `make model` (`python -m helpers model`)
    all train through `recipe.train_and_save`; one that trained its own way would not stop at
    the stand-in below."""
    from helpers import experiment
    from helpers.learn import recipe

    seen = []

    def stand_in(chosen, dataset, out, **options):
        seen.append((chosen.model, dataset.name))
        raise TrainerCalled

    monkeypatch.setattr(recipe, "train_and_save", stand_in)
    config = experiment.RunConfig.from_parameters(DATASET="glyphs", LIMIT=900, EPOCHS=1,
                                                  MODELS="digits_small",
                                                  RUN_DIR=str(tmp_path / "run"))
    with pytest.raises(TrainerCalled):
        experiment.run_model("digits_small", config, experiment.balanced_data(config))
    with pytest.raises(TrainerCalled):
        main(["train", "--dataset", "digits", "--model", "baseline", "--epochs", "1"])
    folder = tmp_path / "emnist"
    write_emnist_split(folder, "digits", "0123456789", 100, 30)
    with pytest.raises(TrainerCalled):
        main(["model", "--dataset", "emnist-digits", "--data-dir", str(folder)])
    assert seen == [("digits_small", "glyphs"), ("baseline", "digits"),
                    (BEST.model, "emnist-digits")]


def test_make_models_help_gives_the_recipes_own_default_epochs(capsys):
    with pytest.raises(SystemExit):
        main(["model", "--help"])
    assert f"epochs (default: {BEST.epochs}, the recipe's)" in " ".join(
        capsys.readouterr().out.split())
