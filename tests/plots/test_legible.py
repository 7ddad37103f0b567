"""Every figure the notebooks show is legible in the printed report: no text under 7 pt on A4.

Each figure is built from generated data shaped like a run on the 36 glyph classes (eight
networks, their metrics and histories) and measured as `helpers.report.pdf` prints it
(`support.printed`).
"""

from __future__ import annotations

import string

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from support import printed  # noqa: E402

from helpers import plots  # noqa: E402
from helpers.data import Dataset  # noqa: E402
from helpers.learn.balance import Balanced, train_counts  # noqa: E402
from helpers.learn.evaluate import Evaluation, metrics_from_predictions  # noqa: E402
from helpers.reading.recognizer import Prediction, ReadCharacter, Reading  # noqa: E402
from helpers.report.pdf import FRAME_WIDTH  # noqa: E402

SMALLEST = 7.0  # points on paper
CLASSES = string.digits + string.ascii_uppercase
NETWORKS = ("baseline", "deep", "dropout_bn", "az_bn", "nist47", "digits_small", "resnet",
            "my_cnn")


def glyph_like(seed: int = 0) -> Dataset:
    """36 classes of uneven size (30 to 120 training images), noise for pictures."""
    rng = np.random.default_rng(seed)
    sizes = np.linspace(30, 120, len(CLASSES)).astype(int)
    y_train = np.repeat(np.arange(len(CLASSES)), sizes)
    y_test = np.repeat(np.arange(len(CLASSES)), 8)
    x_train = rng.integers(0, 256, (len(y_train), 28, 28), dtype=np.uint8)
    x_test = rng.integers(0, 256, (len(y_test), 28, 28), dtype=np.uint8)
    return Dataset(x_train, y_train, x_test, y_test, CLASSES, name="glyphs")


def run_metrics(name: str, y: np.ndarray, seed: int, epochs: int = 18,
                classes: str = CLASSES) -> dict:
    """A network's saved metrics: its test predictions' numbers and a training history."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 1, (len(y), len(classes)))
    logits[np.arange(len(y)), y] += 2.5 + seed * 0.1
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    rise = 1 - np.exp(-np.arange(1, epochs + 1) / (2 + seed))
    history = {"accuracy": list(0.5 + 0.45 * rise), "val_accuracy": list(0.55 + 0.4 * rise),
               "loss": list(2.0 * (1 - rise) + 0.1), "val_loss": list(1.8 * (1 - rise) + 0.2)}
    return {"model": name, "parameters": 10_000 * (seed + 1) ** 2, "epochs": epochs,
            "best_epoch": epochs - 3, "stopped_by": "early stopping", "history": history,
            **metrics_from_predictions(y, proba, classes)}


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return glyph_like()


@pytest.fixture(scope="module")
def metrics(dataset) -> list[dict]:
    return [run_metrics(name, dataset.y_test, seed, epochs=12 + 2 * seed)
            for seed, name in enumerate(NETWORKS)]


@pytest.fixture(scope="module")
def evaluation(dataset, metrics) -> Evaluation:
    rng = np.random.default_rng(0)
    y = dataset.y_test
    proba = rng.dirichlet(np.ones(len(CLASSES)), len(y))
    proba[np.arange(len(y)), y] += 0.05
    proba /= proba.sum(axis=1, keepdims=True)
    return Evaluation({"model": "baseline", **metrics_from_predictions(y, proba, CLASSES)},
                      y, proba.argmax(axis=1), proba)


@pytest.fixture(scope="module")
def model():
    from helpers.learn.models import build_model
    from helpers.learn.train import set_seed

    set_seed(0)
    return build_model("digits_small", len(CLASSES))


def balanced_by(dataset: Dataset, weights: bool) -> Balanced:
    before = train_counts(dataset)
    after = before if weights else pd.Series(before.min(), index=before.index, name="train")
    return Balanced(dataset, before, after, "class weights" if weights else "NearMiss-1", 0.1)


def readings(rng) -> tuple[list[np.ndarray], list[Reading], list[str]]:
    images, found, truths = [], [], []
    for text in ("HELLO WORLD 2026", "READ ME"):
        image = np.full((60, 40 * len(text)), 255, dtype=np.uint8)
        chars = [ReadCharacter(c, 0.9, (40 * i + 5, 10, 30, 40), [(c, 0.9)],
                               rng.integers(0, 256, (28, 28), dtype=np.uint8))
                 for i, c in enumerate(text) if c != " "]
        images.append(image)
        found.append(Reading(text, chars))
        truths.append(text)
    return images, found, truths


FIGURES = {
    "pipeline": lambda f: plots.pipeline(),
    "class_counts": lambda f: plots.class_counts(f["dataset"]),
    "sample_grid": lambda f: plots.sample_grid(f["dataset"], seed=0),
    "pixel_statistics": lambda f: plots.pixel_statistics(f["dataset"]),
    "balance_counts nearmiss": lambda f: plots.balance_counts(balanced_by(f["dataset"], False)),
    "balance_counts weights": lambda f: plots.balance_counts(balanced_by(f["dataset"], True)),
    "augmentation_grid": lambda f: plots.augmentation_grid(f["dataset"], rows=8, seed=0),
    "training_curves": lambda f: plots.training_curves(f["metrics"][0]["history"]),
    "confusion_heatmap": lambda f: plots.confusion_heatmap(f["evaluation"]),
    "confusion_heatmap 10": lambda f: plots.confusion_heatmap(
        run_metrics("digits", f["dataset"].y_test % 10, 0, classes=string.digits)),
    "roc_curves": lambda f: plots.roc_curves(f["evaluation"].y_true, f["evaluation"].proba,
                                             CLASSES),
    "misclassified_grid": lambda f: plots.misclassified_grid(f["dataset"], f["evaluation"]),
    "filters_and_maps": lambda f: plots.filters_and_maps(f["model"], f["dataset"].x_test[0]),
    "curves_compared": lambda f: plots.curves_compared(
        {"deep": f["metrics"][1]["history"], "dropout_bn": f["metrics"][2]["history"]}),
    "normalised_activations": lambda f: plots.normalised_activations(
        np.random.default_rng(0).normal(3, 2, (64, 12, 12, 32)),
        np.random.default_rng(1).normal(0, 1, (64, 12, 12, 32))),
    "gradient_norms": lambda f: plots.gradient_norms(
        {"with skips": [(f"conv{i}", 10.0 ** -i) for i in range(8)],
         "without skips": [(f"conv{i}", 10.0 ** (-2 * i)) for i in range(8)]}),
    "ablation_effects": lambda f: plots.ablation_effects(
        [{"arm": arm, "accuracy": a, "accuracy_interval": [a - 0.006, a + 0.006],
          "macro_f1": a - 0.003, "macro_f1_interval": [a - 0.01, a + 0.005]}
         for arm, a in (("class weights", 0.954), ("no balancing", 0.953),
                        ("NearMiss-1 under-sampling", 0.91), ("no augmentation", 0.95))]),
    "accuracy_intervals": lambda f: plots.accuracy_intervals(f["metrics"]),
    "accuracy_per_parameter": lambda f: plots.accuracy_per_parameter(f["metrics"]),
    "side_by_side_confusion": lambda f: plots.side_by_side_confusion(f["metrics"]),
    "training_curves_all": lambda f: plots.training_curves_all(f["metrics"]),
    "misclassified_heat_maps": lambda f: plots.misclassified_heat_maps(
        f["model"], f["dataset"], f["evaluation"]),
    "confused_pair_heat_maps": lambda f: plots.confused_pair_heat_maps(
        f["model"], f["dataset"], f["evaluation"]),
    "photo_predictions": lambda f: plots.photo_predictions(
        [np.random.default_rng(i).integers(0, 256, (90, 70), dtype=np.uint8) for i in range(6)],
        [Prediction([("A", 0.91), ("4", 0.05)], np.zeros((28, 28), np.uint8))] * 6,
        ["A", "A", "B", "C", "D", "E"]),
    "line_readings": lambda f: plots.line_readings(*readings(np.random.default_rng(0))),
}


@pytest.mark.parametrize("name", FIGURES)
def test_every_text_prints_at_least_7_points(name, dataset, metrics, evaluation, request):
    needs = {"dataset": dataset, "metrics": metrics, "evaluation": evaluation}
    if "filters" in name or "heat_maps" in name:
        needs["model"] = request.getfixturevalue("model")
    fig = FIGURES[name](needs)
    try:
        texts = printed.printed_texts(fig)
        assert texts, f"{name} draws no text"
        small = min(texts, key=lambda t: t.points)
        assert small.points >= SMALLEST, \
            f"{name}: {small.text!r} prints at {small.points:.1f} pt"
    finally:
        plt.close(fig)


def test_printed_size_follows_the_frame_the_report_fits_figures_into():
    """A figure wider than the A4 body frame is shrunk to it, a narrow one prints at its
    natural size: a 10 pt text prints at 10 × frame width ÷ figure width on a 10-inch figure
    and at about 10 pt on a 4-inch one."""
    sizes = {}
    for width in (4, 10):
        fig = plt.figure(figsize=(width, 2))
        fig.text(0, 0.5, "left edge", ha="left", fontsize=10)
        fig.text(1, 0.5, "right edge", ha="right", fontsize=10)
        sizes[width] = printed.smallest(fig).points
        plt.close(fig)
    assert 9.8 < sizes[4] < 10.8
    assert sizes[10] == pytest.approx(10 * FRAME_WIDTH / (10 * 72), abs=0.15)


def test_balance_counts_shows_the_counts_before_beside_those_after(dataset):
    """Both bars of a class are drawn side by side, neither covering the other."""
    fig = plots.balance_counts(balanced_by(dataset, weights=False), per_class=0)
    before, after = fig.axes[0].containers
    assert [b.get_height() for b in before] == list(train_counts(dataset))
    assert [b.get_height() for b in after] == [train_counts(dataset).min()] * len(CLASSES)
    for old, new in zip(before, after, strict=True):
        assert old.get_x() + old.get_width() <= new.get_x() + 1e-9
        assert old.get_width() > 0.3 and new.get_width() > 0.3
    plt.close(fig)
