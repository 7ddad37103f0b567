"""The notebooks' shared steps: parameters, cached balancing, one model run, the write-up."""

import dataclasses
import json

import numpy as np
import pytest
from support.training import notebook_training

from helpers import experiment
from helpers.errors import ConfigError, DataError
from helpers.experiment import RunConfig
from helpers.learn import MOST_EPOCHS, described, hardware
from helpers.report import tables, writeup


def config_for(tmp_path, **overrides) -> RunConfig:
    params = {"DATASET": "glyphs", "LIMIT": 900, "EPOCHS": 1, "MODELS": "digits_small",
              "BALANCE": "nearmiss", "RUN_DIR": str(tmp_path / "run"), **overrides}
    return RunConfig.from_parameters(**params)


def test_parameters_are_checked_and_parsed(tmp_path, private_project_dir):
    config = config_for(tmp_path, MODELS=" baseline, resnet ", LIMIT="900", SEED="3")
    assert config.models == ("baseline", "resnet") and config.limit == 900 and config.seed == 3
    assert RunConfig.from_parameters().run_dir == private_project_dir / "outputs" / "lab"
    assert len(RunConfig.from_parameters().models) == 7
    with pytest.raises(ConfigError, match="unknown architecture.*vgg"):
        config_for(tmp_path, MODELS="vgg")
    with pytest.raises(ConfigError, match="BALANCE='smote'"):
        config_for(tmp_path, BALANCE="smote")
    with pytest.raises(ConfigError, match="EPOCHS must be at least 1"):
        config_for(tmp_path, EPOCHS=0)
    # No EPOCHS: until the validation accuracy stops improving, at most MOST_EPOCHS.
    assert RunConfig.from_parameters().epochs == RunConfig.from_parameters(EPOCHS=None).epochs \
        == MOST_EPOCHS


def test_prepare_balances_once_and_reads_the_cache_after(tmp_path, monkeypatch):
    config = config_for(tmp_path)
    first = experiment.balanced_data(config)
    counts = np.bincount(first.dataset.y_train)
    assert counts.min() == counts.max()  # NearMiss: every class cut to the smallest
    saved = json.loads((config.run_dir / "balance.json").read_text())
    assert saved["train_images_after"] == len(first.dataset.x_train)

    def fail(*args, **kwargs):
        raise AssertionError("balanced again instead of reading the cache")

    monkeypatch.setattr(experiment, "balance", fail)
    later = config_for(tmp_path, RUN_DIR=str(tmp_path / "later run"))
    again = experiment.balanced_data(later)
    # A later run reads the cache and still records the balancing for its own report.
    assert json.loads((later.run_dir / "balance.json").read_text()) == saved
    assert np.array_equal(again.dataset.x_train, first.dataset.x_train)
    assert again.method == first.method and again.after.equals(first.after)


def test_another_training_split_of_the_same_size_is_balanced_anew(tmp_path):
    """The cache is the training split's: the same parameters, size and classes with other
    images (a split that holds other fonts out) must not get the first split's balanced set."""
    config = config_for(tmp_path)
    dataset = experiment.load(config)
    first = experiment.balanced_data(config, dataset)
    order = np.random.default_rng(0).permutation(len(dataset.x_train))
    others = dataset.with_arrays(x_train=dataset.x_train[:, ::-1][order],
                                 y_train=dataset.y_train[order])
    assert len(others.x_train) == len(dataset.x_train) and others.classes == dataset.classes
    again = experiment.balanced_data(config, others)
    flipped = {row.tobytes() for row in others.x_train}
    assert all(row.tobytes() in flipped for row in again.dataset.x_train)
    assert not np.array_equal(again.dataset.x_train, first.dataset.x_train)
    # The same split again reads its own cache.
    assert np.array_equal(experiment.balanced_data(config, dataset).dataset.x_train,
                          first.dataset.x_train)


def test_drawn_datasets_are_drawn_once_per_parameters(tmp_path, monkeypatch):
    config = config_for(tmp_path)
    first = experiment.load(config)

    def fail(*args, **kwargs):
        raise AssertionError("drew the glyphs again instead of reading the cache")

    monkeypatch.setattr(experiment, "load_from", fail)
    again = experiment.load(config)
    assert np.array_equal(again.x_train, first.x_train) and np.array_equal(again.y_test,
                                                                           first.y_test)
    assert (again.classes, again.name, again.source, again.notes, again.groups) == \
        (first.classes, first.name, first.source, first.notes, first.groups)
    assert first.groups["grouped_by"] == "font" and first.groups["test_groups"]
    with pytest.raises(AssertionError, match="drew the glyphs again"):
        experiment.load(config_for(tmp_path, SEED=1))  # other parameters: not in the cache


def test_class_weights_survive_the_cache(tmp_path):
    config = config_for(tmp_path, BALANCE="class-weights")
    first, again = experiment.balanced_data(config), experiment.balanced_data(config)
    assert first.class_weight == again.class_weight and len(again.class_weight) == 36


def test_a_notebooks_training_saves_metrics_and_model_then_compares(tmp_path):
    config = config_for(tmp_path, EPOCHS=3)
    run = notebook_training("digits_small", config, experiment.balanced_data(config))
    saved = json.loads((config.run_dir / "metrics" / "digits_small.json").read_text())
    assert saved["accuracy"] == run.evaluation["accuracy"] and saved["epochs"] == 3
    assert saved["recipe"]["schedule"] == "plateau" and saved["recipe"]["epochs"] == 3
    assert saved["stopped_by"] == "epochs" and saved["converged"] is False
    assert saved["training"]["optimizer"] == "Adam"
    assert saved["training"]["class_weights"] is False  # NearMiss balanced the images instead
    assert saved["training_seconds"] > 0 and len(saved["history"]["loss"]) == 3
    assert 1 <= saved["best_epoch"] <= 3 and "learning_rate" in saved["history"]
    assert saved["layers"]["convolutions"] == 3 and saved["layers"]["batch_norm"] == 0
    assert experiment.training_summary(run.training).startswith("Trained 3 epochs in ")
    assert run.model_path.exists() and run.model_path.with_suffix(".json").exists()
    other = {**saved, "model": "baseline", "dataset": "digits"}  # an earlier run's leftovers
    (config.run_dir / "metrics" / "baseline.json").write_text(json.dumps(other))
    both = config_for(tmp_path, MODELS="baseline,digits_small")
    assert [m["model"] for m in experiment.saved_metrics(both)] == ["digits_small"]
    assert tables.comparison(experiment.saved_metrics(both)).data["Model"].tolist() == \
        ["digits_small"]
    found = writeup.facts(config)
    text = writeup.discussion(found)
    assert f"{saved['accuracy']:.1%}" in text
    assert ("The epochs the recipe allowed ran out for digits_small before early stopping "
            "acted (digits_small 3, best") in text
    assert f"digits_small 3 ({saved['best_epoch']})" in writeup.training_parameters(config,
                                                                                   found)


def test_no_saved_metrics_says_what_to_do_when_they_are_required(tmp_path):
    assert experiment.saved_metrics(config_for(tmp_path)) == []
    with pytest.raises(DataError, match="run the CNN notebooks"):
        experiment.saved_metrics(config_for(tmp_path), required=True)
    with pytest.raises(DataError, match="run the CNN notebooks"):
        experiment.best_model(config_for(tmp_path))


def test_a_network_the_run_does_not_train_is_skipped_with_a_notice(tmp_path):
    config = config_for(tmp_path, MODELS="digits_small")
    with pytest.raises(experiment.Skipped, match="baseline is not among this run's networks") \
            as skipped:
        experiment.network("baseline", config, experiment.balanced_data(config))
    # IPython shows this instead of a traceback; "Run All" stops at that cell.
    assert skipped.value._render_traceback_() == [f"skipped: {skipped.value}"]
    assert not (config.run_dir / "models").exists()


def test_conclusions_are_drawn_from_the_numbers():
    metrics = [
        {"model": "a", "accuracy": 0.91, "macro_f1": 0.90, "parameters": 1000,
         "images_per_second": 50, "most_confused": [{"true": "O", "predicted": "0", "count": 7}]},
        {"model": "b", "accuracy": 0.85, "macro_f1": 0.84, "parameters": 10,
         "images_per_second": 900, "most_confused": []},
    ]
    text = experiment.conclusions(metrics)
    assert "**a** reached the highest test accuracy, 91.0%" in text
    assert "span 6.0 points" in text and "O→0 (7)" in text and "b trained fastest" in text
    assert "smallest network, b (10 parameters), scored 85.0%" in text
    assert experiment.conclusions([]) == "No model was trained in this run."


def test_the_write_up_says_which_networks_converged_and_what_the_comparison_ranks():
    stopping = {"callbacks": [{"callback": "EarlyStopping", "patience": 3}]}
    converged = [{"model": "a", "epochs": 14, "best_epoch": 11, "stopped_by": "early stopping",
                  "training": stopping},
                 {"model": "b", "epochs": 9, "best_epoch": 6, "stopped_by": "early stopping",
                  "training": stopping}]
    text = described.training_course(converged)
    assert text.startswith("Early stopping ended the training of every network (2) once its "
                           "validation accuracy (on the held-out tenth of the training images) "
                           "had not beaten its best for 3 epochs: converged, in the sense this "
                           "run measures (a after 14 epochs, best 11, b after 9 epochs, best 6).")
    assert text.endswith("ranks converged networks, each at its best validation epoch, not how "
                         "fast each learns.")
    timed = {"model": "c", "epochs": 5, "best_epoch": 5, "stopped_by": "time limit",
             "training_seconds": 150.0, "training": stopping}
    capped = {"model": "d", "epochs": 2, "best_epoch": 1, "stopped_by": "epochs",
              "training": stopping}
    mixed = described.training_course([*converged, timed, capped])
    assert mixed.startswith("Early stopping ended the training of a and b once")
    assert ("the time limit ended the training of c first (c after 5 epochs in 2.5 minutes, "
            "best 5): not converged") in mixed
    assert ("the epochs the recipe allowed ran out for d before early stopping acted (d 2, "
            "best 1): not converged") in mixed
    assert mixed.endswith("For c and d the comparison ranks what was reached in the time or "
                          "epochs given (where a budget set the time, it was shared in "
                          "proportion to each network's measured time per epoch, but the "
                          "networks ran 2 to 14 epochs), not what the network can reach; c "
                          "still improved in its last epoch.")
    assert "every network" not in mixed and "ranks converged networks" not in mixed
    assert described.epochs_run(converged) == "a 14 (11), b 9 (6)"
    assert described.training_course([{"model": "old"}]) == ""  # metrics without training facts


def test_appendix_gives_notebook_times_their_sum_and_the_wall_clock(tmp_path, monkeypatch):
    config = config_for(tmp_path)
    text = writeup.appendix(config, {"01_a": 10.0, "04_cnn_b": 20.0}, wall=25.0, jobs=2)
    assert "| 04_cnn_b | 20.0 s |" in text and "| **sum** | **30.0 s** |" in text
    assert "| **wall clock** (notebooks 2 at a time within each stage) | **25.0 s** |" in text
    assert "estimated before the first notebook" not in text
    assert "| `MINUTES` | none (the epochs decide) |" in text
    assert "| `MINUTES` | 30 for the whole run |" in writeup.appendix(
        dataclasses.replace(config, minutes=30.0), {"01_a": 1.0})
    config.run_dir.mkdir(parents=True, exist_ok=True)
    (config.run_dir / "estimate.json").write_text(json.dumps({"total_seconds": 20.0}))
    text = writeup.appendix(config, {"01_a": 10.0, "04_cnn_b": 20.0}, wall=25.0, jobs=2)
    assert "measured speed | 20.0 s | 80% of the wall clock |" in text
    # The machine: its CPU, and its GPUs where TensorFlow sees some.
    assert f"({hardware.cpu_name()})." in text
    monkeypatch.setattr(writeup, "gpu_details", lambda: [
        {"device_name": "NVIDIA H100 80GB HBM3", "compute_capability": (9, 0)}])
    text = writeup.appendix(config, {"01_a": 10.0})
    assert f"({hardware.cpu_name()}, NVIDIA H100 80GB HBM3 (GPU))." in text


def test_the_discussion_explains_what_nearmiss_cost_from_validation_and_test():
    metrics = [{"model": "a", "accuracy": 0.80, "best_epoch": 2,
                "history": {"val_accuracy": [0.7, 0.90]}},
               {"model": "b", "accuracy": 0.70, "best_epoch": 1,
                "history": {"val_accuracy": [0.80]}}]
    balance = {"method": "NearMiss-1 (3 neighbours)", "train_images_before": 1000,
               "train_images_after": 200}
    metrics = [{**m, "validation_images": 400} for m in metrics]
    text = writeup.balancing_cost(metrics, balance)
    assert "kept 20%" in text and "+10.0 points" in text and "beyond the ±" in text
    assert "does not isolate why" in text
    close = [{**m, "accuracy": m["history"]["val_accuracy"][m["best_epoch"] - 1]}
             for m in metrics]
    assert "cannot be told apart" in writeup.balancing_cost(close, balance)
    assert writeup.balancing_cost(metrics, {**balance, "method": "class-weights"}) == ""


def test_more_seeds_give_a_mean_and_spread_beside_the_first_training(tmp_path):
    config = config_for(tmp_path, SEEDS=2)
    run = notebook_training("digits_small", config, experiment.balanced_data(config))
    saved = json.loads((config.run_dir / "metrics" / "digits_small.json").read_text())
    runs = saved["seed_runs"]
    assert [r["seed"] for r in runs] == [0, 1] and runs[0]["accuracy"] == saved["accuracy"]
    assert saved["accuracy"] == run.evaluation["accuracy"]
    shown = tables.comparison([saved]).to_html()
    assert "Over seeds (mean ± sd)" in shown and "(2 seeds)" in shown
    with pytest.raises(ConfigError, match="SEEDS must be at least 1"):
        config_for(tmp_path, SEEDS=0)
    assert "each network trained once" in writeup.seeds_text(1)
    assert "seeds 0 to 2" in writeup.seeds_text(3)


@pytest.mark.parametrize(("b_right", "said"), [
    (60, ", by McNemar's test, a cannot be told apart from b (corrected p = "),
    (30, " a is better than every other network, by McNemar's test (largest corrected "
         "p < 0.001)"),
])
def test_conclusions_quote_the_intervals_and_the_paired_test(b_right, said):
    truth = [0] * 100
    metrics = [{"model": "a", "accuracy": 0.62, "macro_f1": 0.5, "parameters": 10,
                "accuracy_interval": [0.52, 0.71], "macro_f1_interval": [0.4, 0.6],
                "labels": truth, "predictions": [0] * 62 + [1] * 38},
               {"model": "b", "accuracy": b_right / 100, "macro_f1": 0.4, "parameters": 20,
                "labels": truth, "predictions": [0] * b_right + [1] * (100 - b_right)}]
    text = experiment.conclusions(metrics)
    assert "62.0% (95% interval 52.0–71.0%)" in text and "interval 40.0–60.0%" in text
    assert f"On these 100 test images{said}" in text
    assert "The networks' accuracies span" in text and " points (lowest: b" in text


def test_training_again_in_jupyterlabs_folder_keeps_the_earlier_results(tmp_path):
    config = RunConfig.from_parameters(DATASET="glyphs", LIMIT=900, EPOCHS=1,
                                       MODELS="digits_small")  # RUN_DIR None: outputs/lab
    prepared = experiment.balanced_data(config)
    first = notebook_training("digits_small", config, prepared)
    first_metrics = (config.run_dir / "metrics" / "digits_small.json").read_text()
    notebook_training("digits_small", config, prepared,
                      recipe=dataclasses.replace(experiment.recipe(config), learning_rate=0.01))
    (kept,) = (config.run_dir / "earlier").iterdir()
    assert kept.name.endswith("-digits_small")
    assert (kept / "metrics" / "digits_small.json").read_text() == first_metrics
    assert (kept / "models" / first.model_path.name).exists()
    latest = json.loads((config.run_dir / "metrics" / "digits_small.json").read_text())
    assert latest["training"]["learning_rate"] == 0.01
    # A report's own run folder is new each time: nothing is moved there.
    other = config_for(tmp_path)
    notebook_training("digits_small", other, experiment.balanced_data(other))
    assert not (other.run_dir / "earlier").exists()


def test_a_refusal_shows_in_a_notebook_as_one_line_without_the_traceback():
    error = ConfigError("Recipe: optimizer='adagrad'; use one of adam, adamw, sgd")
    assert error._render_traceback_() == [f"ConfigError: {error}"]
    assert DataError("x.png: not an image")._render_traceback_() == \
        ["DataError: x.png: not an image"]


def test_the_next_steps_name_the_networks_that_had_not_converged():
    converged = {"model": "a", "stopped_by": "early stopping"}
    assert writeup.next_steps([converged]).startswith("several trainings per network")
    text = writeup.next_steps([converged, {"model": "b", "stopped_by": "time limit"},
                               {"model": "c", "stopped_by": "epochs"}])
    assert text.startswith("more time or epochs for b and c, which had not converged when they "
                           "stopped, several trainings")


def test_score_summary_never_rounds_up_to_a_perfect_score():
    from helpers.learn.evaluate import Evaluation

    scores = {"accuracy": 0.98, "macro_f1": 0.97512, "weighted_f1": 0.9801,
              "macro_roc_auc": 0.99996}
    evaluation = Evaluation(scores, np.zeros(1), np.zeros(1), np.zeros((1, 1)))
    text = experiment.score_summary(evaluation)
    assert text == ("accuracy **0.980**, macro f1 **0.975**, weighted f1 **0.980**, "
                    "macro roc auc **> 0.999**")
    assert "roc" not in experiment.score_summary(
        Evaluation({**scores, "macro_roc_auc": None}, np.zeros(1), np.zeros(1), np.zeros((1, 1))))
