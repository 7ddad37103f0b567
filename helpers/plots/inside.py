"""Figures of what a network sees: its first filters and the maps they make of a character, and
heat maps of the pixels behind its answers (computed by `helpers.learn.inside`)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from helpers.data.dataset import Dataset
from helpers.learn import inside
from helpers.learn.evaluate import metrics_of
from helpers.learn.predict import probabilities


def filters_and_maps(model, image: np.ndarray, shown: int = 16) -> plt.Figure:
    """The first convolution's filters (top row, red positive, blue negative weights) above the
    character and the maps those filters make of it (bright: the filter responds)."""
    filters = inside.first_filters(model)[:shown]
    maps = inside.feature_maps(model, image)[:shown]
    cols = len(filters) + 1
    fig, axes = plt.subplots(2, cols, figsize=(cols * 0.75, 1.9), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    limit = float(np.abs(filters).max()) or 1.0
    for i, kernel in enumerate(filters, 1):
        axes[0, i].imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes[1, i].imshow(maps[i - 1], cmap="magma")
        axes[0, i].set_title(str(i), fontsize=7, pad=1)
    axes[1, 0].imshow(image, cmap="gray", vmin=0, vmax=255)
    axes[0, 0].text(0.5, 0.5, "filters", ha="center", va="center", fontsize=8,
                    transform=axes[0, 0].transAxes)
    axes[1, 0].set_title("input", fontsize=7, pad=1)
    fig.subplots_adjust(wspace=0.08, hspace=0.25, left=0.01, right=0.99, top=0.88, bottom=0.02)
    return fig


def _overlay(ax, image: np.ndarray, heat: np.ndarray, title: str) -> None:
    ax.imshow(image, cmap="gray", vmin=0, vmax=255)
    ax.imshow(heat, cmap="jet", alpha=0.45, vmin=0, vmax=1)
    ax.set_title(title, fontsize=7, pad=2)
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
    fig, axes = plt.subplots(rows, 4 * cols, figsize=(4 * cols * 1.15, rows * 1.35),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for k in range(len(picks)):
        row, col = k // cols, 4 * (k % cols)
        axes[row, col].imshow(images[k], cmap="gray", vmin=0, vmax=255)
        axes[row, col].set_title(f"{names[truth[k]]} read as {names[answered[k]]}", fontsize=7,
                                 pad=2)
        _overlay(axes[row, col + 1], images[k], cam_answer[k], f"looks for {names[answered[k]]}")
        _overlay(axes[row, col + 2], images[k], cam_truth[k], f"looks for {names[truth[k]]}")
        axes[row, col + 3].imshow(sensitive[k], cmap="inferno", vmin=0, vmax=1)
        axes[row, col + 3].set_title("saliency", fontsize=7, pad=2)
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
    fig, (hist, means) = plt.subplots(1, 2, figsize=(10, 3.2))
    hist.hist(before.ravel(), bins=60, alpha=0.6, density=True, label="before")
    hist.hist(after.ravel(), bins=60, alpha=0.6, density=True, label="after")
    hist.set(title="values of the layer's outputs", yscale="log")
    hist.legend()
    channels = before.shape[-1]
    means.bar(np.arange(channels) - 0.2, before.reshape(-1, channels).mean(0), 0.4,
              label="before")
    means.bar(np.arange(channels) + 0.2, after.reshape(-1, channels).mean(0), 0.4,
              label="after")
    means.set(title="mean of each channel", xlabel="channel")
    means.legend()
    fig.tight_layout()
    return fig
