"""helpers.plots.evaluation: every figure of a trained network, for 3 and for 62 classes."""

from __future__ import annotations

import string

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import plots  # noqa: E402
from helpers.data import DataError, Dataset  # noqa: E402
from helpers.learn.evaluate import Evaluation, metrics_from_predictions  # noqa: E402
from helpers.plots.evaluation import confused_pairs  # noqa: E402


def synthetic(k, per_class=6, seed=0):
    """A dataset and metrics with some mistakes, for the figures."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(k), per_class)
    logits = rng.normal(0, 1, (len(y), k))
    logits[np.arange(len(y)), y] += 2
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    classes = (string.digits + string.ascii_uppercase + string.ascii_lowercase)[:k]
    x = rng.integers(0, 256, (len(y), 28, 28), dtype=np.uint8)
    dataset = Dataset(x, y, x, y, classes, name=f"synthetic{k}")
    metrics = {"model": f"m{k}", **metrics_from_predictions(y, proba, classes)}
    return dataset, y, proba, metrics


@pytest.mark.parametrize("k", [3, 62])
def test_plots_return_figures_for_few_and_many_classes(k):
    dataset, y, proba, metrics = synthetic(k)
    history = {"accuracy": [0.5, 0.7], "val_accuracy": [0.4, 0.6],
               "loss": [1.2, 0.8], "val_loss": [1.3, 0.9]}
    fig = plots.training_curves(history)
    assert len(fig.axes) == 2 and all(len(ax.lines) == 2 for ax in fig.axes)
    plt.close(fig)

    fig = plots.confusion_heatmap(metrics)
    assert len(fig.axes) == 2  # matrix + colour bar
    assert len(fig.axes[0].texts) == (k * k if k <= 20 else 0)
    plt.close(fig)
    fig = plots.confusion_heatmap((metrics["confusion_matrix"], metrics["classes"]),
                                       normalize=False)
    assert len(fig.axes) == 2
    plt.close(fig)

    fig = plots.roc_curves(y, proba, dataset.classes, max_curves=8)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert len(fig.axes) == 1 and all("AUC" in t for t in labels[:-1])
    assert len(labels) == (k + 1 if k <= 8 else 8 + 1)  # curves + chance line
    assert (k > 8) == labels[0].startswith("macro average")
    plt.close(fig)

    fig = plots.misclassified_grid(dataset, Evaluation(metrics, y, proba.argmax(1), proba))
    assert len(fig.axes) == min(24, metrics["misclassified_count"]) > 0
    assert "→" in fig.axes[0].get_title()
    plt.close(fig)

    fig = plots.side_by_side_confusion([metrics, {**metrics, "model": "other"}])
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == [f"m{k}", "other"]
    plt.close(fig)


def test_plot_inputs_are_checked():
    with pytest.raises(DataError, match="History.history"):
        plots.training_curves({})
    with pytest.raises(DataError, match="does not match 3 classes"):
        plots.confusion_heatmap(([[1, 0], [0, 1]], "ABC"))
    dataset, _, _, metrics = synthetic(3)
    perfect = {**metrics, "misclassified": []}
    fig = plots.misclassified_grid(dataset, perfect)
    assert "no misclassified" in fig.axes[0].texts[0].get_text()
    plt.close(fig)


def confusions(name, cm):
    return {"model": name, "confusion_matrix": cm, "classes": ["a", "b", "c"]}


def test_side_by_side_confusion_reads_every_network_on_the_pairs_any_confuses_most():
    first = confusions("first", [[8, 2, 0], [0, 10, 0], [0, 0, 10]])  # a → b: 20%
    second = confusions("second", [[10, 0, 0], [0, 9, 1], [0, 5, 5]])  # c → b: 50%, b → c: 10%
    pairs, names, table = confused_pairs([first, second])
    assert pairs == [("c", "b"), ("a", "b"), ("b", "c")] and names == ["first", "second"]
    assert table.tolist() == [[0.0, 0.5], [0.2, 0.0], [0.0, 0.1]]
    assert confused_pairs([first, second], top=1)[0] == [("c", "b")]
    fig = plots.side_by_side_confusion([first, second], top=2)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["c → b", "a → b"]
    assert [t.get_text() for t in ax.texts] == ["0", "50", "20", "0"]
    plt.close(fig)
    perfect = confusions("perfect", np.eye(3) * 10)
    fig = plots.side_by_side_confusion([perfect])
    assert "no network confused" in fig.axes[0].texts[0].get_text()
    plt.close(fig)
    with pytest.raises(DataError, match="at least one"):
        plots.side_by_side_confusion([])


def run(name, val_accuracy, best):
    return {"model": name, "best_epoch": best,
            "history": {"val_accuracy": val_accuracy,
                        "val_loss": [1 - v for v in val_accuracy]}}


def test_training_curves_all_draws_every_network_and_stars_the_epoch_it_kept():
    runs = [run("slow", [0.3, 0.6, 0.8, 0.85, 0.84], 4), run("fast", [0.9, 0.95, 0.94], 2),
            {"model": "untrained"}]
    fig = plots.training_curves_all(runs)
    accuracy, loss = fig.axes
    curves = [line for line in accuracy.lines if line.get_marker() != "*"]
    stars = [line for line in accuracy.lines if line.get_marker() == "*"]
    assert [list(c.get_ydata()) for c in curves] == [runs[0]["history"]["val_accuracy"],
                                                     runs[1]["history"]["val_accuracy"]]
    assert [(s.get_xdata()[0], s.get_ydata()[0]) for s in stars] == [(4, 0.85), (2, 0.95)]
    assert len(loss.lines) == 4  # two curves, two stars
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["slow", "fast", "kept epoch"]
    plt.close(fig)
    with pytest.raises(DataError, match="val_accuracy"):
        plots.training_curves_all([{"model": "untrained"}])
