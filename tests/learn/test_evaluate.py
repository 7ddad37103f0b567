"""helpers.learn.evaluate: metrics by hand and against scikit-learn, a real tiny Keras model,
JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn import metrics as skm

from helpers.data import DataError, Dataset
from helpers.learn.evaluate import (
    Evaluation,
    compare,
    evaluate,
    load_metrics,
    metrics_from_predictions,
)
from helpers.learn.inputs import to_input
from helpers.learn.predict import probabilities

keras = pytest.importorskip("keras")

# 3 classes, 10 samples: A→B twice (the planted top confusion), C→A once; 7/10 right.
Y_TRUE = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2, 2])
Y_PRED = np.array([0, 0, 1, 1, 1, 1, 1, 2, 2, 0])


def one_hot_proba(labels, k, high=0.8):
    proba = np.full((len(labels), k), (1 - high) / (k - 1))
    proba[np.arange(len(labels)), labels] = high
    return proba


def test_metrics_match_sklearn_and_hand_computed_values():
    m = metrics_from_predictions(Y_TRUE, one_hot_proba(Y_PRED, 3), "ABC")
    assert m["accuracy"] == pytest.approx(7 / 10)
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(Y_TRUE, Y_PRED))
    # F1 by hand: A p=2/3 r=1/2 -> 4/7; B p=3/5 r=1 -> 3/4; C p=1 r=2/3 -> 4/5
    assert m["macro_f1"] == pytest.approx((4 / 7 + 3 / 4 + 4 / 5) / 3)
    for avg in ("macro", "weighted"):
        assert m[f"{avg}_f1"] == pytest.approx(skm.f1_score(Y_TRUE, Y_PRED, average=avg))
        assert m[f"{avg}_precision"] == pytest.approx(
            skm.precision_score(Y_TRUE, Y_PRED, average=avg))
        assert m[f"{avg}_recall"] == pytest.approx(skm.recall_score(Y_TRUE, Y_PRED, average=avg))
    assert m["per_class_accuracy"] == pytest.approx({"A": 0.5, "B": 1.0, "C": 2 / 3})
    assert m["most_confused"][0] == {"true": "A", "predicted": "B", "count": 2,
                                     "share_of_true": 0.5}
    assert [(p["true"], p["predicted"]) for p in m["most_confused"]] == [("A", "B"), ("C", "A")]
    assert m["confusion_matrix"] == [[2, 2, 0], [0, 3, 0], [1, 0, 2]]
    assert [w["index"] for w in m["misclassified"]] == [2, 3, 9]
    assert m["misclassified"][2] == {"index": 9, "true": "C", "predicted": "A",
                                     "probability": pytest.approx(0.8)}
    assert set(m["report"]) >= {"A", "B", "C", "macro avg", "weighted avg"}
    assert m["report"]["B"]["precision"] == pytest.approx(3 / 5)
    json.dumps(m, allow_nan=False)  # plain types only
    assert type(m["confusion_matrix"][0][0]) is int and type(m["accuracy"]) is float


def test_unsure_answers_are_counted_and_scored_apart():
    # Answers 2, 3 and 9 are the wrong ones; make 3, 4 and 9 unsure (40% on the first choice).
    proba = one_hot_proba(Y_PRED, 3)
    proba[[3, 4, 9]] = one_hot_proba(Y_PRED[[3, 4, 9]], 3, high=0.4)
    unsure = metrics_from_predictions(Y_TRUE, proba, "ABC")["unsure"]
    assert unsure == {"below": 0.5, "count": 3, "share": pytest.approx(0.3),
                      "accuracy": pytest.approx(1 / 3), "accuracy_sure": pytest.approx(6 / 7)}
    none = metrics_from_predictions(Y_TRUE, one_hot_proba(Y_PRED, 3), "ABC")["unsure"]
    assert none["count"] == 0 and none["accuracy"] is None and none["accuracy_sure"] == 0.7


def test_roc_auc_perfect_constant_and_absent_class():
    perfect = metrics_from_predictions(Y_TRUE, one_hot_proba(Y_TRUE, 3), "ABC")
    assert perfect["roc_auc"] == {"A": 1.0, "B": 1.0, "C": 1.0}
    assert perfect["macro_roc_auc"] == 1.0
    constant = metrics_from_predictions(Y_TRUE, np.full((10, 3), 1 / 3), "ABC")
    assert constant["macro_roc_auc"] == pytest.approx(0.5)
    absent = metrics_from_predictions(Y_TRUE, one_hot_proba(Y_TRUE, 4), "ABCD")
    assert absent["roc_auc_skipped"] == ["D"] and "D" not in absent["roc_auc"]
    assert absent["absent_classes"] == ["D"]
    assert absent["per_class_accuracy"]["D"] is None
    assert absent["macro_f1"] == 1.0  # a class missing from the test split is not a zero


def test_metrics_reject_mismatched_inputs():
    with pytest.raises(DataError, match=r"shape \(N, 4\)"):
        metrics_from_predictions(Y_TRUE, one_hot_proba(Y_TRUE, 3), "ABCD")
    with pytest.raises(DataError, match="one label per probability row"):
        metrics_from_predictions(Y_TRUE[:5], one_hot_proba(Y_TRUE, 3), "ABC")
    with pytest.raises(DataError, match="0..2"):
        metrics_from_predictions(Y_TRUE + 1, one_hot_proba(Y_TRUE, 3), "ABC")


# A real Keras model whose answers are known: the image of class k has pixel (0, k) lit, and
# the Dense weight from pixel k to output k is large.
def lit_images(kinds):
    x = np.zeros((len(kinds), 28, 28), np.uint8)
    x[np.arange(len(kinds)), 0, kinds] = 255
    return x


def tiny_model(k=3, activation="softmax", name="tiny"):
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(k, activation=activation)], name=name)
    w = np.zeros((784, k), np.float32)
    w[np.arange(k), np.arange(k)] = 10
    model.layers[-1].set_weights([w, np.zeros(k, np.float32)])
    return model


@pytest.fixture(scope="module")
def toy():
    drawn = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    labels = np.array([0, 0, 1, 1, 1, 1, 2, 2, 0])  # two labels disagree with the drawing
    return Dataset(lit_images(drawn), labels, lit_images(drawn), labels, "ABC", name="lit")


def test_evaluate_tiny_keras_model_writes_json_and_compares(toy, tmp_path):
    model = tiny_model()
    manual = np.argmax(np.asarray(model(to_input(toy.x_test))), axis=1)
    ev = evaluate(model, toy, out_dir=tmp_path, extra={"epochs": 3, "training_seconds": 1.5})
    assert isinstance(ev, Evaluation)
    assert ev["accuracy"] == pytest.approx(7 / 9) == pytest.approx(np.mean(manual == toy.y_test))
    assert np.array_equal(ev.y_pred, manual) and ev.proba.shape == (9, 3)
    assert ev["model"] == "tiny" and ev["parameters"] == 784 * 3 + 3 and ev["epochs"] == 3
    assert ev["test_images"] == 9 and ev["classes"] == ["A", "B", "C"]
    assert ev.path == tmp_path / "tiny.json" and ev.path.exists()
    assert load_metrics(ev.path) == ev.metrics
    assert not list(tmp_path.glob(".*.part"))

    other = evaluate(tiny_model(name="other"), toy, name="other model")
    assert other.path is None and other["model"] == "other model"
    table = compare([ev.path, other])
    assert list(table["model"]) == ["tiny", "other model"]
    assert list(table["accuracy"]) == pytest.approx([7 / 9, 7 / 9])
    assert {"macro_f1", "weighted_f1", "parameters", "epochs", "training_seconds"} <= set(table)
    assert "images_per_second" not in table  # absent everywhere: no empty column


def test_probabilities_batch_and_softmax_logits(toy):
    model = tiny_model(activation=None)
    small, big = probabilities(model, toy.x_test, batch_size=4), probabilities(model, toy.x_test)
    assert np.allclose(small, big) and np.allclose(big.sum(axis=1), 1, atol=1e-5)
    assert np.array_equal(big.argmax(axis=1), [0, 0, 0, 1, 1, 1, 2, 2, 2])


def test_bad_inputs_raise_data_error(toy, tmp_path):
    model = tiny_model()
    with pytest.raises(DataError, match="uint8"):
        probabilities(model, toy.x_test.astype(np.float32))
    with pytest.raises(DataError, match=r"\(N, 28, 28\)"):
        probabilities(model, np.zeros((2, 32, 32), np.uint8))
    with pytest.raises(DataError, match="outputs 4 scores.*num_classes=3"):
        evaluate(tiny_model(k=4), toy)
    empty = toy.with_arrays(x_test=np.zeros((0, 28, 28), np.uint8), y_test=np.zeros(0, int))
    with pytest.raises(DataError, match="test split is empty"):
        evaluate(model, empty)
    with pytest.raises(DataError, match="overwrite computed metrics"):
        evaluate(model, toy, extra={"accuracy": 1.0})
    with pytest.raises(DataError, match="no such metrics file"):
        load_metrics(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(DataError, match="not a metrics file"):
        load_metrics(tmp_path / "bad.json")
