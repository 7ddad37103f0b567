"""Figures about trained models (curves, confusion, ROC, mistakes); each returns a Figure.

They take what `helpers.learn.evaluate` produced (an `Evaluation`, its metrics dict or the
saved JSON loaded back) and never recompute predictions.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator
from sklearn.metrics import roc_curve

from helpers.data.dataset import Dataset
from helpers.errors import DataError
from helpers.learn.evaluate import metrics_of, roc_auc_per_class
from helpers.learn.stats import score_text
from helpers.plots.style import LABEL, SMALL, WIDTH

ANNOTATE_UP_TO = 20  # classes; beyond this, numbers in the cells are unreadable
MAX_LABELS = 64  # classes; beyond this a matrix on one page names only some of them


def training_curves(history) -> plt.Figure:
    """Accuracy and loss per epoch, training vs validation (Keras `History.history` or History)."""
    history = getattr(history, "history", history)
    if not isinstance(history, dict) or not history:
        raise DataError("training_curves needs Keras' History.history dict (metric -> list)")
    acc = next((k for k in history if k.endswith("accuracy") and not k.startswith("val_")), None)
    fig, axes = plt.subplots(1, 2, figsize=(WIDTH, 2.8))
    for ax, key, title in zip(axes, (acc, "loss"), ("accuracy", "loss"), strict=True):
        ax.set_title(title, fontsize=LABEL + 1)
        ax.set_xlabel("epoch", fontsize=LABEL)
        ax.tick_params(labelsize=SMALL + 0.5)
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
        ax.legend(fontsize=LABEL - 0.5)
    fig.tight_layout(pad=0.3)
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
                annot_kws={"fontsize": 9 if k <= 10 else SMALL},
                xticklabels=classes if k <= MAX_LABELS else "auto",
                yticklabels=classes if k <= MAX_LABELS else "auto", cbar=cbar, cbar_ax=cbar_ax,
                cbar_kws={"shrink": 0.6} if cbar_ax is None else None, linewidths=0)
    font = 10 if k <= ANNOTATE_UP_TO else SMALL + 0.5 if k <= 40 else SMALL
    ax.tick_params(axis="both", labelsize=font, length=0)
    ax.tick_params(axis="x", rotation=0)
    ax.tick_params(axis="y", rotation=0)
    ax.set_xlabel("predicted", fontsize=LABEL + 1)
    ax.set_ylabel("true", fontsize=LABEL + 1)
    if cbar:
        ax.collections[0].colorbar.ax.tick_params(labelsize=SMALL + 0.5)


def confusion_heatmap(source, normalize: bool = True) -> plt.Figure:
    """The confusion matrix (rows: true class), as shares of each true class by default."""
    cm, classes, metrics = _cm_and_classes(source)
    # The page's width holds the matrix, so that 36 or 62 classes stay readable on paper.
    fig, ax = plt.subplots(figsize=(WIDTH, WIDTH - 0.6 if len(classes) > 12 else 4.6))
    _heatmap(ax, _normalized(cm) if normalize else cm, classes, normalize, cbar=True)
    what = "share of true class" if normalize else "images"
    ax.set_title(f"confusion matrix ({what}) {_title(metrics)}".strip(), fontsize=LABEL + 1)
    fig.tight_layout(pad=0.3)
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
                label=f"macro average of {len(auc)} "
                      f"(AUC {score_text(float(np.mean(list(auc.values()))))})")
        shown = sorted(auc, key=auc.get)[: max(max_curves - 1, 1)]
        title = f"one-vs-rest ROC: macro average and the {len(shown)} worst classes"
    for c in shown:
        fpr, tpr = curves[c]
        ax.plot(fpr, tpr, lw=1.2, label=f"{c} (AUC {score_text(auc[c])})")
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


def misclassified_grid(dataset: Dataset, evaluation, n: int = 24, cols: int = 6) -> plt.Figure:
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
    cell = min(1.25, WIDTH / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * cell, rows * (cell + 0.22)),
                             squeeze=False)
    for ax in axes.flat[len(wrong):]:
        fig.delaxes(ax)
    for ax, item in zip(axes.flat, wrong, strict=False):
        if item["index"] >= len(dataset.x_test):
            raise DataError(f"misclassified index {item['index']} is outside {dataset.name}'s "
                            f"{len(dataset.x_test)} test images; pass the evaluated dataset")
        ax.imshow(dataset.x_test[item["index"]], cmap="gray", vmin=0, vmax=255)
        ax.set_title(f"{item['true']} → {item['predicted']} ({item['probability']:.2f})",
                     fontsize=LABEL - 0.5, pad=2)
        ax.axis("off")
    fig.tight_layout(pad=0.3)
    return fig


def confused_pairs(items, top: int = 12) -> tuple[list[tuple[str, str]], list[str],
                                                   np.ndarray]:
    """The `top` confusions (true class, class answered) with the largest share of their true
    class in any of several networks, most confused first, with every network's share of each
    (pairs × networks; NaN where a network lacks one of the classes)."""
    parts = [_cm_and_classes(item) for item in items]
    names = [metrics.get("model") or f"model {i + 1}" for i, (_, _, metrics) in enumerate(parts)]
    shares: list[dict[tuple[str, str], float]] = []
    for cm, classes, _ in parts:
        normal = _normalized(cm)
        shares.append({(t, p): normal[i, j] for i, t in enumerate(classes)
                       for j, p in enumerate(classes) if i != j})
    worst = {pair: max(s.get(pair, 0.0) for s in shares) for s in shares for pair in s}
    pairs = [pair for pair in sorted(worst, key=lambda pair: (-worst[pair], pair))
             if worst[pair] > 0][:top]
    table = np.array([[s.get(pair, np.nan) for s in shares] for pair in pairs]).reshape(
        len(pairs), len(shares))
    return pairs, names, table


def side_by_side_confusion(items, top: int = 12) -> plt.Figure:
    """The confusion matrices of several networks compared where they differ: a row for each of
    the `top` confusions (true → answered) with the largest share of their true class in any
    network, a column per network, each cell that network's share in percent.

    Whole matrices side by side shrink past reading on a page once there are more than a few
    classes; the cells off the diagonal that matter fit in one table, and every network is read
    on the same pairs (a network's own ranking is in `tables.most_confused`)."""
    items = list(items)
    if not items:
        raise DataError("side_by_side_confusion needs at least one metrics dict")
    pairs, names, table = confused_pairs(items, top)
    if not pairs:
        fig, ax = plt.subplots(figsize=(4, 1.2))
        ax.axis("off")
        ax.text(0.5, 0.5, "no network confused any test image", ha="center", va="center")
        return fig
    percent = table * 100
    cells = np.array([["" if np.isnan(v) else "0" if v == 0 else "<1" if v < 0.5 else f"{v:.0f}"
                       for v in row] for row in percent])
    fig, ax = plt.subplots(figsize=(WIDTH, 0.27 * len(pairs) + 1.5))
    sns.heatmap(percent, ax=ax, cmap="Reds", vmin=0, vmax=max(float(np.nanmax(percent)), 1.0),
                annot=cells, fmt="", annot_kws={"fontsize": SMALL + 0.5}, cbar=False,
                linewidths=0.5, linecolor="white",
                xticklabels=names, yticklabels=[f"{t} → {p}" for t, p in pairs])
    ax.xaxis.tick_top()
    ax.tick_params(axis="x", labelsize=LABEL - 0.5, rotation=30, length=0)
    for label in ax.get_xticklabels():
        label.set_ha("left")
    ax.tick_params(axis="y", labelsize=LABEL - 0.5, rotation=0, length=0)
    ax.set_ylabel("true → answered", fontsize=LABEL)
    ax.set_xlabel(f"% of the true class's test images answered as the other, the {len(pairs)} "
                  "largest shares", fontsize=LABEL)
    fig.tight_layout(pad=0.3)
    return fig


def _validation_curve(ax, epochs, values, best, style) -> None:
    line, = ax.plot(epochs, values, **style)
    if best is not None and 1 <= best <= len(values):
        ax.plot(best, values[best - 1], "*", ms=11, color=line.get_color(), mec="black",
                mew=0.6, zorder=3)


def training_curves_all(metrics: list[dict]) -> plt.Figure:
    """Every network's validation accuracy (logit scale, so 90%, 99% and 99.9% are as far
    apart) and validation loss (log scale) per epoch, on shared axes, from the saved metrics
    (`model`, `history`, `best_epoch`); a star marks the epoch whose weights each network
    kept."""
    runs = [m for m in metrics if m.get("history", {}).get("val_accuracy")]
    if not runs:
        raise DataError("training_curves_all needs metrics with a 'history' holding "
                        "'val_accuracy' (the metrics/*.json of a run)")
    fig, (acc_ax, loss_ax) = plt.subplots(1, 2, figsize=(WIDTH, 3.9))
    styles = ["-", "--", "-.", ":"]
    lows = []
    for i, m in enumerate(runs):
        history, best = m["history"], m.get("best_epoch")
        style = {"color": plt.get_cmap("tab10")(i % 10), "ls": styles[i % len(styles)],
                 "lw": 1.5, "label": m.get("model", f"model {i + 1}")}
        accuracy = np.clip(np.asarray(history["val_accuracy"], dtype=float), 1e-4, 1 - 1e-4)
        epochs = np.arange(1, len(accuracy) + 1)
        _validation_curve(acc_ax, epochs, accuracy, best, style)
        lows.append(accuracy.min())
        if history.get("val_loss"):
            loss = np.asarray(history["val_loss"], dtype=float)
            _validation_curve(loss_ax, np.arange(1, len(loss) + 1), loss, best, style)
    acc_ax.set_yscale("logit")
    ticks = [t for t in (0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)
             if min(lows) * 0.9 <= t < 1]
    acc_ax.yaxis.set_major_locator(FixedLocator(ticks))
    acc_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.1%}".replace(".0%", "%")))
    acc_ax.yaxis.set_minor_locator(NullLocator())
    acc_ax.set_title("validation accuracy", fontsize=LABEL + 1)
    loss_ax.set_yscale("log")
    loss_ax.set_title("validation loss", fontsize=LABEL + 1)
    for ax in (acc_ax, loss_ax):
        ax.set_xlabel("epoch", fontsize=LABEL)
        ax.tick_params(which="both", labelsize=SMALL + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3, which="both")
    handles, labels = acc_ax.get_legend_handles_labels()
    handles.append(Line2D([], [], ls="", marker="*", ms=11, color="white", mec="black"))
    labels.append("kept epoch")
    fig.legend(handles, labels, loc="lower center", ncols=min(5, len(labels)),
               fontsize=LABEL - 0.5, frameon=False, handlelength=2.6)
    rows = -(-len(labels) // min(5, len(labels)))
    fig.tight_layout(pad=0.3, rect=(0, 0.07 * rows, 1, 1))
    return fig


def curves_compared(histories: dict[str, dict]) -> plt.Figure:
    """Validation accuracy and the gap between training and validation accuracy per epoch, for
    several networks (name → Keras history) on the same axes."""
    fig, (acc_ax, gap_ax) = plt.subplots(1, 2, figsize=(WIDTH, 2.8))
    for name, history in histories.items():
        epochs = np.arange(1, len(history.get("val_accuracy", [])) + 1)
        val = np.asarray(history.get("val_accuracy", []), dtype=float)
        train = np.asarray(history.get("accuracy", []), dtype=float)
        acc_ax.plot(epochs, val, "-o", ms=3, label=name)
        if len(train) == len(val):
            gap_ax.plot(epochs, train - val, "-o", ms=3, label=name)
    acc_ax.set_title("validation accuracy", fontsize=LABEL + 1)
    gap_ax.set_title("training minus validation\naccuracy", fontsize=LABEL + 1)
    gap_ax.axhline(0, color="gray", lw=0.8)
    for ax in (acc_ax, gap_ax):
        ax.set_xlabel("epoch", fontsize=LABEL)
        ax.tick_params(labelsize=SMALL + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=LABEL - 0.5)
    fig.tight_layout(pad=0.3)
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
    fig, ax = plt.subplots(figsize=(WIDTH, 0.4 * len(ranked) + 1.2))
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
    fig, axes = plt.subplots(1, 2, figsize=(WIDTH, 0.4 * len(rows) + 1.4), sharey=True)
    for ax, key, title in zip(axes, ("accuracy", "macro_f1"), ("test accuracy", "macro F1"),
                              strict=True):
        for row, r in enumerate(rows):
            value, (low, high) = r[key], r[f"{key}_interval"]
            ax.errorbar(value, row, xerr=[[value - low], [high - value]], fmt="o", capsize=4,
                        ms=5, color="#c0392b" if row == 0 else "#3a6ea5")
        ax.axvline(rows[0][key], ls="--", color="#c0392b", lw=0.8)
        ax.set_xlabel(f"{title} (95% interval)", fontsize=LABEL)
        ax.tick_params(labelsize=SMALL + 0.5)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(rows)), [r["arm"] for r in rows])
    axes[0].invert_yaxis()
    fig.tight_layout()
    return fig
