"""The notebooks' self-checks: each one says right to the right answer, wrong to a wrong one,
and "not answered yet" to the placeholder, from the objects a notebook has (tiny ones here)."""

from types import SimpleNamespace

import keras
import numpy as np
import pandas as pd
import pytest

from helpers import exercises
from helpers.data import Dataset
from helpers.errors import ConfigError
from helpers.learn.anatomy import receptive_fields
from helpers.learn.augment import ROTATION
from helpers.learn.models import build_model


@pytest.fixture(autouse=True)
def elsewhere(tmp_path, monkeypatch):
    """otter logs every check to .OTTER_LOG in the working folder."""
    monkeypatch.chdir(tmp_path)


def verdict(notebook: str, question: str, **env) -> tuple[bool, str]:
    result = exercises.checks(notebook).check(question, env)
    return result.passed_all, repr(result)


def tiny_dataset(counts=(6, 3, 2)) -> Dataset:
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(len(counts)), counts)
    x = rng.integers(0, 255, (len(y), 28, 28), dtype=np.uint8)
    return Dataset(x, y, x[:4], y[:4], tuple("ABC"[:len(counts)]), "tiny")


def trained(name: str, classes: int = 10):
    return SimpleNamespace(model=build_model(name, classes))


def baseline_conv_parameters() -> int:
    return 3 * 3 * 1 * 32 + 32


CASES = [  # notebook, question, right answer, a wrong one, the rest of the notebook's variables
    ("01_data_exploration", "largest_class", 6, 11, {"dataset": tiny_dataset()}),
    ("01_data_exploration", "imbalance_ratio", 3.0, 2.0, {"dataset": tiny_dataset()}),
    ("02_nearmiss_balancing", "nearmiss_keeps", 2, 6,
     {"balanced": SimpleNamespace(before=pd.Series([6, 3, 2]))}),
    ("02_nearmiss_balancing", "rarest_weight", 11 / (3 * 2), 1.0, {"dataset": tiny_dataset()}),
    ("03_augmentation", "largest_rotation", ROTATION * 360, 45, {}),
    ("03_augmentation", "changes_test_images", False, True, {"dataset": tiny_dataset()}),
    ("04_cnn_baseline", "conv_parameters", baseline_conv_parameters(), 288,
     {"run": trained("baseline")}),
    ("04_cnn_baseline", "dense_inputs", 13 * 13 * 32, 26 * 26 * 32, {"run": trained("baseline")}),
    ("05_cnn_deep", "two_conv_field", 5, 6, {"run": trained("deep")}),
    ("06_cnn_dropout_bn", "dropped_at_test", 0.0, 0.25, {"run": trained("dropout_bn")}),
    ("06_cnn_dropout_bn", "norm_parameters", 4 * 32, 2 * 32, {"run": trained("dropout_bn")}),
    ("07_cnn_az_bn", "same_padding_size", 28, 26, {"run": trained("az_bn")}),
    ("09_cnn_digits_small", "last_map_size", 1, 5, {"run": trained("digits_small")}),
    ("10_cnn_resnet", "strided_block_shape", (14, 14, 64), (28, 28, 64), {}),
    ("14_reading_images", "hello_cer", 0.2, 0.25, {}),
]


@pytest.mark.parametrize(("notebook", "question", "right", "wrong", "env"), CASES,
                         ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_a_check_tells_right_from_wrong(notebook, question, right, wrong, env):
    passed, text = verdict(notebook, question, **env, **{question: right})
    assert passed, text
    passed, text = verdict(notebook, question, **env, **{question: wrong})
    assert not passed and "is not it" in text and "Hint:" in text
    passed, text = verdict(notebook, question, **env, **{question: ...})
    assert not passed and "not answered yet" in text


def test_the_checks_that_read_a_run_compute_the_answer_from_it():
    """No answer is written down: a network of another size gets another right answer."""
    wide = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(8, 5),
                             keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])
    run = SimpleNamespace(model=wide)
    assert verdict("04_cnn_baseline", "conv_parameters", run=run,
                   conv_parameters=5 * 5 * 8 + 8)[0]
    assert not verdict("04_cnn_baseline", "conv_parameters", run=run,
                       conv_parameters=baseline_conv_parameters())[0]
    assert verdict("11_your_network", "your_parameters", run=run,
                   your_parameters=wide.count_params())[0]


def test_nist47_whole_image_and_comparison_checks():
    run = trained("nist47", 47)
    rows = receptive_fields(run.model)
    first = next(i for i, row in enumerate(rows, 1) if row["sees"] >= 1)
    assert verdict("08_cnn_nist47", "whole_image_at", run=run, whole_image_at=first)[0]
    assert not verdict("08_cnn_nist47", "whole_image_at", run=run, whole_image_at=first + 1)[0]
    labels = [0, 1, 0, 1] * 10
    metrics = [{"model": "deep", "accuracy": 1.0, "predictions": labels, "labels": labels},
               {"model": "baseline", "accuracy": 0.5, "labels": labels,
                "predictions": [1 - v for v in labels[:20]] + labels[20:]}]
    assert verdict("13_comparison", "best_network", metrics=metrics, best_network="Deep ")[0]
    assert not verdict("13_comparison", "best_network", metrics=metrics,
                       best_network="baseline")[0]
    assert verdict("13_comparison", "significant_after_holm", metrics=metrics,
                   significant_after_holm=1)[0]
    rows = [{"accuracy": 0.9}, {"accuracy": 0.8}, {"accuracy": 0.85}]
    assert verdict("12_ablation", "augmentation_points", rows=rows, augmentation_points=5.0)[0]
    assert not verdict("12_ablation", "augmentation_points", rows=rows,
                       augmentation_points=-5.0)[0]


def test_a_wrongly_typed_answer_is_named():
    passed, text = verdict("04_cnn_baseline", "conv_parameters", run=trained("baseline"),
                           conv_parameters="320 weights")
    assert not passed and "is not it" in text
    passed, text = verdict("03_augmentation", "changes_test_images", dataset=tiny_dataset(),
                           changes_test_images=0)
    assert not passed and "True or False" in text


def test_an_unknown_notebook_names_those_with_checks():
    with pytest.raises(ConfigError, match="no self-checks for notebook '99_nothing'.*"
                                          "04_cnn_baseline"):
        exercises.checks("99_nothing")
