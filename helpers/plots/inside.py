"""Figures of what a network sees: its first filters and the maps they make of a character, and
heat maps of the pixels behind its answers (computed by `helpers.learn.inside`)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from helpers.data.dataset import Dataset
from helpers.learn import inside
from helpers.learn.evaluate import metrics_of
from helpers.learn.predict import probabilities
from helpers.plots.style import LABEL, SMALL, WIDTH


def filters_and_maps(model, image: np.ndarray, shown: int = 16, across: int = 8) -> plt.Figure:
    """The character (left) and the first convolution's filters (red positive, blue negative
    weights), each above the map it makes of the character (bright: the filter responds),
    `across` filters to a row."""
    filters = inside.first_filters(model)[:shown]
    maps = inside.feature_maps(model, image)[:shown]
    across = min(across, len(filters))
    pairs = -(-len(filters) // across)
    cell = WIDTH / (2.4 + across)
    fig = plt.figure(figsize=(WIDTH, pairs * (2 * cell + 0.3)))
    outer = fig.add_gridspec(1, 2, width_ratios=[1.3, 1.1 + across], wspace=0.02, left=0.01,
                             right=0.99, top=0.94, bottom=0.02)
    shown_input = fig.add_subplot(outer[0].subgridspec(3, 1)[1])
    shown_input.imshow(image, cmap="gray", vmin=0, vmax=255)
    shown_input.set_title("input", fontsize=LABEL, pad=3)
    shown_input.axis("off")
    limit = float(np.abs(filters).max()) or 1.0
    rows = outer[1].subgridspec(pairs, 1, hspace=0.25)
    for pair in range(pairs):
        grid = rows[pair].subgridspec(2, across + 1, width_ratios=[1.1] + [1] * across,
                                      wspace=0.08, hspace=0.06)
        for offset, what in ((0, "filter"), (1, "its map")):
            label = fig.add_subplot(grid[offset, 0])
            label.axis("off")
            label.text(0.95, 0.5, what, ha="right", va="center", fontsize=LABEL,
                       transform=label.transAxes)
        for col, i in enumerate(range(pair * across, min((pair + 1) * across, len(filters)))):
            top, bottom = fig.add_subplot(grid[0, col + 1]), fig.add_subplot(grid[1, col + 1])
            top.imshow(filters[i], cmap="RdBu_r", vmin=-limit, vmax=limit)
            top.set_title(str(i + 1), fontsize=SMALL + 0.5, pad=2)
            bottom.imshow(maps[i], cmap="magma")
            top.axis("off")
            bottom.axis("off")
    return fig


def _overlay(ax, image: np.ndarray, heat: np.ndarray, title: str) -> None:
    ax.imshow(image, cmap="gray", vmin=0, vmax=255)
    ax.imshow(heat, cmap="jet", alpha=0.45, vmin=0, vmax=1)
    ax.set_title(title, fontsize=SMALL + 0.5, pad=2)
    ax.axis("off")


def explained(model, dataset: Dataset, picks: list[int], predicted: list[int],
              cols: int = 2) -> plt.Figure:
    """For each test image in `picks`: the image, where the network looked for the class it
    answered and for the true class (Grad-CAM), and the pixels its answer is most sensitive to
    (saliency)."""
    images, truth = dataset.x_test[picks], dataset.y_test[picks]
    answered = np.asarray(predicted)
    cam_answer, cam_truth = (inside.grad_cam(model, images, answered),
                             inside.grad_cam(model, images, truth))
    sensitive = inside.saliency(model, images, answered)
    names = dataset.classes
    rows = -(-len(picks) // cols)
    # Four panels per image, a narrow empty column between one image's panels and the next's.
    ratios = ([1.0] * 4 + [0.25]) * cols
    cell = min(1.15, WIDTH / sum(ratios[:-1]))
    fig, axes = plt.subplots(rows, len(ratios) - 1,
                             figsize=(sum(ratios[:-1]) * cell, rows * (cell + 0.3)),
                             squeeze=False, gridspec_kw={"width_ratios": ratios[:-1]})
    for ax in axes.ravel():
        ax.axis("off")
    for k in range(len(picks)):
        row, col = k // cols, 5 * (k % cols)
        axes[row, col].imshow(images[k], cmap="gray", vmin=0, vmax=255)
        axes[row, col].set_title(f"{names[truth[k]]} read as {names[answered[k]]}",
                                 fontsize=SMALL + 0.5, pad=2)
        _overlay(axes[row, col + 1], images[k], cam_answer[k], f"looks for {names[answered[k]]}")
        _overlay(axes[row, col + 2], images[k], cam_truth[k], f"looks for {names[truth[k]]}")
        axes[row, col + 3].imshow(sensitive[k], cmap="inferno", vmin=0, vmax=1)
        axes[row, col + 3].set_title("saliency", fontsize=SMALL + 0.5, pad=2)
    fig.subplots_adjust(wspace=0.06, hspace=0.35, left=0.01, right=0.99, top=0.9, bottom=0.02)
    return fig


def misclassified_heat_maps(model, dataset: Dataset, evaluation, n: int = 6) -> plt.Figure:
    """`explained` for the first `n` misclassified test images of an evaluation."""
    wrong = metrics_of(evaluation).get("misclassified", [])[:n]
    if not wrong:
        fig, ax = plt.subplots(figsize=(4, 1.2))
        ax.axis("off")
        ax.text(0.5, 0.5, "no misclassified test images", ha="center", va="center")
        return fig
    index = {c: i for i, c in enumerate(dataset.classes)}
    return explained(model, dataset, [w["index"] for w in wrong],
                     [index[w["predicted"]] for w in wrong])


def confused_pair_heat_maps(model, dataset: Dataset, evaluation, pairs: int = 3) -> plt.Figure:
    """For each of the `pairs` most confused pairs (true → predicted): one image of the true
    class read wrongly, beside one image of the predicted class read rightly, explained."""
    metrics = metrics_of(evaluation)
    index = {c: i for i, c in enumerate(dataset.classes)}
    predicted = (np.asarray(evaluation.y_pred) if hasattr(evaluation, "y_pred")
                 else probabilities(model, dataset.x_test).argmax(axis=1))
    picks, answers = [], []
    for pair in metrics.get("most_confused", [])[:pairs]:
        p = index[pair["predicted"]]
        wrong = next((w["index"] for w in metrics.get("misclassified", [])
                      if w["true"] == pair["true"] and w["predicted"] == pair["predicted"]),
                     None)
        if wrong is None:
            continue
        picks.append(wrong)
        answers.append(p)
        right = np.flatnonzero((dataset.y_test == p) & (predicted == p))
        if len(right):
            picks.append(int(right[0]))
            answers.append(p)
    if not picks:
        return misclassified_heat_maps(model, dataset, evaluation, n=0)
    return explained(model, dataset, picks, answers)


def gradient_norms(norms: dict[str, list[tuple[str, float]]]) -> plt.Figure:
    """The size of the loss gradient on each convolution's kernel, input side on the left, for
    several networks (name → `helpers.learn.inside.gradient_norms`), log scale."""
    fig, ax = plt.subplots(figsize=(8, 3.4))
    for name, rows in norms.items():
        ax.plot(np.arange(1, len(rows) + 1), [value for _, value in rows], "-o", ms=3,
                label=name)
    ax.set(yscale="log", xlabel="convolution (1 = next to the input)",
           ylabel="gradient norm", title="how much training signal reaches each depth")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def normalised_activations(before: np.ndarray, after: np.ndarray) -> plt.Figure:
    """Histograms of a layer's outputs before and after batch normalisation, and the spread of
    each channel's mean: what normalisation does to the numbers the next layer sees."""
    fig, (hist, means) = plt.subplots(1, 2, figsize=(WIDTH, 2.8))
    hist.hist(before.ravel(), bins=60, alpha=0.6, density=True, label="before")
    hist.hist(after.ravel(), bins=60, alpha=0.6, density=True, label="after")
    hist.set_yscale("log")
    hist.set_title("values of the layer's outputs", fontsize=LABEL + 1)
    hist.legend(fontsize=LABEL - 0.5)
    channels = before.shape[-1]
    means.bar(np.arange(channels) - 0.2, before.reshape(-1, channels).mean(0), 0.4,
              label="before")
    means.bar(np.arange(channels) + 0.2, after.reshape(-1, channels).mean(0), 0.4,
              label="after")
    means.set_title("mean of each channel", fontsize=LABEL + 1)
    means.set_xlabel("channel", fontsize=LABEL)
    means.legend(fontsize=LABEL - 0.5)
    for ax in (hist, means):
        ax.tick_params(labelsize=SMALL + 0.5)
    fig.tight_layout(pad=0.3)
    return fig
