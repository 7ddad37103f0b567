"""Figures about trained models (curves, confusion, ROC, mistakes); each returns a Figure.

They take what `helpers.learn.evaluate` produced (an `Evaluation`, its metrics dict or the
saved JSON loaded back) and never recompute predictions.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.ticker import MaxNLocator
from sklearn.metrics import roc_curve

from helpers.data.dataset import Dataset
from helpers.errors import DataError
from helpers.learn.evaluate import metrics_of, roc_auc_per_class

ANNOTATE_UP_TO = 20  # classes; beyond this, numbers in the cells are unreadable


def training_curves(history) -> plt.Figure:
    """Accuracy and loss per epoch, training vs validation (Keras `History.history` or History)."""
    history = getattr(history, "history", history)
    if not isinstance(history, dict) or not history:
        raise DataError("training_curves needs Keras' History.history dict (metric -> list)")
    acc = next((k for k in history if k.endswith("accuracy") and not k.startswith("val_")), None)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, key, title in zip(axes, (acc, "loss"), ("accuracy", "loss"), strict=True):
        ax.set_title(title)
        ax.set_xlabel("epoch")
        if key is None or key not in history:
            ax.text(0.5, 0.5, f"no {title} recorded", ha="center", va="center",
                    transform=ax.transAxes)
            continue
        for k, label, style in ((key, "training", "-o"), (f"val_{key}", "validation", "-s")):
            if k in history:
                values = np.asarray(history[k], dtype=float)
                ax.plot(np.arange(1, len(values) + 1), values, style, ms=3, label=label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def _cm_and_classes(source) -> tuple[np.ndarray, list[str], dict]:
    """(confusion matrix, classes, metrics or {}) from metrics / Evaluation / (cm, classes)."""
    if isinstance(source, tuple | list) and len(source) == 2:
        cm, classes, metrics = source[0], source[1], {}
    else:
        metrics = metrics_of(source)
        if not isinstance(metrics, dict) or "confusion_matrix" not in metrics:
            raise DataError("expected a metrics dict from helpers.learn.evaluate or a (cm, "
                            "classes) pair")
        cm, classes = metrics["confusion_matrix"], metrics["classes"]
    cm, classes = np.asarray(cm, dtype=float), [str(c) for c in classes]
    if cm.shape != (len(classes), len(classes)):
        raise DataError(f"confusion matrix shape {cm.shape} does not match {len(classes)} classes")
    return cm, classes, metrics


def _normalized(cm: np.ndarray) -> np.ndarray:
    """Each row as shares of that true class (rows of absent classes stay 0)."""
    rows = cm.sum(axis=1, keepdims=True)
    return np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)


def _title(metrics: dict) -> str:
    if not metrics:
        return ""
    return f"{metrics.get('model', '')} (accuracy {metrics.get('accuracy', float('nan')):.3f})"


def _heatmap(ax, cm, classes, normalize, cbar, cbar_ax=None, annotate=None) -> None:
    k = len(classes)
    annotate = k <= ANNOTATE_UP_TO if annotate is None else annotate
    sns.heatmap(cm, ax=ax, cmap="Blues", vmin=0, vmax=1 if normalize else None, square=True,
                annot=annotate, fmt=".2f" if normalize else ".0f",
                annot_kws={"fontsize": 9 if k <= 10 else 7},
                xticklabels=classes, yticklabels=classes, cbar=cbar, cbar_ax=cbar_ax,
                cbar_kws={"shrink": 0.6} if cbar_ax is None else None, linewidths=0)
    font = 10 if k <= ANNOTATE_UP_TO else max(4.5, min(8.0, 450 / k))
    ax.tick_params(axis="both", labelsize=font, length=0)
    ax.tick_params(axis="x", rotation=0)
    ax.tick_params(axis="y", rotation=0)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")


def confusion_heatmap(source, normalize: bool = True) -> plt.Figure:
    """The confusion matrix (rows: true class), as shares of each true class by default."""
    cm, classes, metrics = _cm_and_classes(source)
    size = max(5.0, 0.17 * len(classes) + 2.5)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    _heatmap(ax, _normalized(cm) if normalize else cm, classes, normalize, cbar=True)
    what = "share of true class" if normalize else "images"
    ax.set_title(f"confusion matrix ({what}) {_title(metrics)}".strip())
    fig.tight_layout()
    return fig


def roc_curves(y_true, proba, classes, max_curves: int = 8) -> plt.Figure:
    """One-vs-rest ROC curves with AUC in the legend.

    With more classes than `max_curves`, draws the macro-average curve plus the worst classes
    (lowest AUC) so the legend stays readable.
    """
    y_true, proba = np.asarray(y_true), np.asarray(proba, dtype=float)
    classes = [str(c) for c in classes]
    auc, skipped = roc_auc_per_class(y_true, proba, classes)
    if not auc:
        raise DataError("no class has both positive and negative examples; ROC is undefined")
    index = {c: i for i, c in enumerate(classes)}
    curves = {c: roc_curve(y_true == index[c], proba[:, index[c]])[:2] for c in auc}
    fig, ax = plt.subplots(figsize=(6.2, 5.4))
    if len(auc) <= max_curves:
        shown, title = sorted(auc, key=index.get), "one-vs-rest ROC"
    else:
        grid = np.linspace(0, 1, 201)
        mean_tpr = np.mean([np.interp(grid, fpr, tpr) for fpr, tpr in curves.values()], axis=0)
        ax.plot(grid, mean_tpr, color="black", lw=2.5,
                label=f"macro average of {len(auc)} (AUC {np.mean(list(auc.values())):.3f})")
        shown = sorted(auc, key=auc.get)[: max(max_curves - 1, 1)]
        title = f"one-vs-rest ROC: macro average and the {len(shown)} worst classes"
    for c in shown:
        fpr, tpr = curves[c]
        ax.plot(fpr, tpr, lw=1.2, label=f"{c} (AUC {auc[c]:.3f})")
    ax.plot([0, 1], [0, 1], ":", color="gray", lw=1, label="chance")
    ax.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="false positive rate",
           ylabel="true positive rate", title=title)
    if skipped:
        ax.text(0.98, 0.02, f"skipped (absent from test): {', '.join(skipped)}", fontsize=7,
                ha="right", va="bottom", transform=ax.transAxes)
    ax.legend(fontsize=8, loc="lower right", bbox_to_anchor=(1, 0.06))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def misclassified_grid(dataset: Dataset, evaluation, n: int = 24, cols: int = 8) -> plt.Figure:
    """Test images the model got wrong, titled "true → predicted (probability)"."""
    wrong = metrics_of(evaluation).get("misclassified")
    if wrong is None:
        raise DataError("expected an Evaluation or metrics dict with a 'misclassified' list")
    wrong = wrong[:n]
    if not wrong:
        fig, ax = plt.subplots(figsize=(4, 1.5))
        ax.axis("off")
        ax.text(0.5, 0.5, "no misclassified test images", ha="center", va="center")
        return fig
    cols = min(cols, len(wrong))
    rows = int(np.ceil(len(wrong) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.25, rows * 1.45), squeeze=False)
    for ax in axes.flat[len(wrong):]:
        fig.delaxes(ax)
    for ax, item in zip(axes.flat, wrong, strict=False):
        if item["index"] >= len(dataset.x_test):
            raise DataError(f"misclassified index {item['index']} is outside {dataset.name}'s "
                            f"{len(dataset.x_test)} test images; pass the evaluated dataset")
        ax.imshow(dataset.x_test[item["index"]], cmap="gray", vmin=0, vmax=255)
        ax.set_title(f"{item['true']} → {item['predicted']} ({item['probability']:.2f})",
                     fontsize=8, pad=2)
        ax.axis("off")
    fig.tight_layout(pad=0.3)
    return fig


def side_by_side_confusion(items, cols: int = 3) -> plt.Figure:
    """Normalized confusion matrices of several models on one colour scale, for comparison."""
    items = list(items)
    if not items:
        raise DataError("side_by_side_confusion needs at least one metrics dict")
    parts = [_cm_and_classes(item) for item in items]
    cols = min(cols, len(parts))
    rows = int(np.ceil(len(parts) / cols))
    k = max(len(classes) for _, classes, _ in parts)
    panel = 3.2 if k <= ANNOTATE_UP_TO else 4.6
    fig = plt.figure(figsize=(cols * panel + 0.6, rows * panel + 0.4))
    grid = fig.add_gridspec(rows, cols + 1, width_ratios=[1] * cols + [0.05])
    cbar_ax = fig.add_subplot(grid[:, -1])
    for i, (cm, classes, metrics) in enumerate(parts):
        ax = fig.add_subplot(grid[i // cols, i % cols])
        _heatmap(ax, _normalized(cm), classes, True, cbar=i == 0, cbar_ax=cbar_ax,
                 annotate=len(classes) <= 10)
        ax.tick_params(axis="both", labelsize=max(3.5, min(8.0, 260 / len(classes))))
        ax.set_title(_title(metrics) or f"model {i + 1}", fontsize=9)
        if i % cols:
            ax.set_ylabel("")
    fig.tight_layout()
    return fig


def curves_compared(histories: dict[str, dict]) -> plt.Figure:
    """Validation accuracy and the gap between training and validation accuracy per epoch, for
    several networks (name → Keras history) on the same axes."""
    fig, (acc_ax, gap_ax) = plt.subplots(1, 2, figsize=(10, 3.4))
    for name, history in histories.items():
        epochs = np.arange(1, len(history.get("val_accuracy", [])) + 1)
        val = np.asarray(history.get("val_accuracy", []), dtype=float)
        train = np.asarray(history.get("accuracy", []), dtype=float)
        acc_ax.plot(epochs, val, "-o", ms=3, label=name)
        if len(train) == len(val):
            gap_ax.plot(epochs, train - val, "-o", ms=3, label=name)
    acc_ax.set(title="validation accuracy", xlabel="epoch")
    gap_ax.set(title="training minus validation accuracy", xlabel="epoch")
    gap_ax.axhline(0, color="gray", lw=0.8)
    for ax in (acc_ax, gap_ax):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def accuracy_per_parameter(metrics: list[dict]) -> plt.Figure:
    """Test accuracy against the number of parameters (log scale), one labelled dot per
    network: what size buys."""
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for m in metrics:
        ax.scatter(m["parameters"], m["accuracy"], s=30)
        ax.annotate(m["model"], (m["parameters"], m["accuracy"]), fontsize=8,
                    xytext=(4, 4), textcoords="offset points")
    ax.set(xscale="log", xlabel="parameters", ylabel="test accuracy",
           title="test accuracy against size")
    ax.margins(x=0.15, y=0.1)  # room for the labels of the outermost networks
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def accuracy_intervals(metrics: list[dict]) -> plt.Figure:
    """Each network's test accuracy with its 95% interval (Wilson), best at the top: where the
    bars overlap, the test set cannot rank the networks."""
    ranked = sorted((m for m in metrics if m.get("accuracy_interval")),
                    key=lambda m: m["accuracy"])
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(ranked) + 1.2))
    for row, m in enumerate(ranked):
        low, high = m["accuracy_interval"]
        ax.errorbar(m["accuracy"], row, xerr=[[m["accuracy"] - low], [high - m["accuracy"]]],
                    fmt="o", color="#3a6ea5", capsize=4, ms=5)
    ax.set_yticks(range(len(ranked)), [m["model"] for m in ranked])
    ax.set(xlabel="test accuracy (95% interval)", title="test accuracy and its uncertainty")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def ablation_effects(rows: list[dict]) -> plt.Figure:
    """Dot-and-whisker chart of the ablation: each arm's test accuracy and macro F1 with their
    95% intervals, the first arm (the method as used) marked by a dashed line."""
    if not rows:
        fig, ax = plt.subplots(figsize=(4, 1.2))
        ax.axis("off")
        ax.text(0.5, 0.5, "no arm of the ablation could run", ha="center", va="center")
        return fig
    fig, axes = plt.subplots(1, 2, figsize=(10, 0.45 * len(rows) + 1.4), sharey=True)
    for ax, key, title in zip(axes, ("accuracy", "macro_f1"), ("test accuracy", "macro F1"),
                              strict=True):
        for row, r in enumerate(rows):
            value, (low, high) = r[key], r[f"{key}_interval"]
            ax.errorbar(value, row, xerr=[[value - low], [high - value]], fmt="o", capsize=4,
                        ms=5, color="#c0392b" if row == 0 else "#3a6ea5")
        ax.axvline(rows[0][key], ls="--", color="#c0392b", lw=0.8)
        ax.set(xlabel=f"{title} (95% interval)")
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(rows)), [r["arm"] for r in rows])
    axes[0].invert_yaxis()
    fig.tight_layout()
    return fig
