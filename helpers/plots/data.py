"""Figures of a dataset: class sizes, samples, pixel statistics, augmented copies."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from helpers.data import Dataset
from helpers.learn.augment import augmented_samples
from helpers.plots.style import LABEL, SMALL, WIDTH


def class_counts(dataset: Dataset) -> plt.Figure:
    """Images per class (bars, train and test) beside the spread of class sizes (boxplot)."""
    counts = dataset.class_counts()
    long = counts.melt(id_vars="class", var_name="split", value_name="images")
    fig, (bars, box) = plt.subplots(1, 2, figsize=(WIDTH, 2.8),
                                    gridspec_kw={"width_ratios": [6, 1]})
    sns.barplot(long, x="class", y="images", hue="split", ax=bars)
    bars.set_title(f"{dataset.name}: images per class", fontsize=LABEL)
    bars.tick_params(axis="x", labelsize=SMALL, length=0)
    bars.tick_params(axis="y", labelsize=SMALL)
    bars.set_xlabel("class", fontsize=LABEL)
    bars.set_ylabel("images", fontsize=LABEL)
    bars.legend(fontsize=SMALL, title_fontsize=SMALL, title="split")
    sns.boxplot(long, x="split", y="images", ax=box)
    box.set_title("class sizes", fontsize=LABEL)
    box.tick_params(labelsize=SMALL)
    box.set(xlabel="", ylabel="")
    fig.tight_layout(pad=0.3)
    return fig


def sample_grid(dataset: Dataset, per_class: int = 6, seed: int = 0) -> plt.Figure:
    """A few training images of every class, one row per class (columns when there are many);
    at most 18 images across, so that each stays large enough to see on paper."""
    rng = np.random.default_rng(seed)
    k = dataset.num_classes
    groups = 1 if k <= 12 else int(np.ceil(k / 12))
    rows = int(np.ceil(k / groups))
    per_class = max(1, min(per_class, 18 // groups))
    # A narrow empty column between groups keeps one class's strip apart from the next.
    ratios = ([1.0] * per_class + [0.3]) * groups
    cell = WIDTH / sum(ratios[:-1])
    fig, axes = plt.subplots(rows, len(ratios) - 1, figsize=(WIDTH, rows * (cell + 0.15)),
                             squeeze=False, gridspec_kw={"width_ratios": ratios[:-1]})
    for ax in axes.flat:
        ax.axis("off")
    for label, name in enumerate(dataset.classes):
        row, group = label % rows, label // rows
        idx = np.flatnonzero(dataset.y_train == label)
        chosen = rng.choice(idx, size=min(per_class, len(idx)), replace=False) if len(idx) else []
        for j, i in enumerate(chosen):
            ax = axes[row, group * (per_class + 1) + j]
            ax.imshow(dataset.x_train[i], cmap="gray", vmin=0, vmax=255)
            if j == 0:
                ax.set_title(name, fontsize=SMALL + 0.5, loc="left", pad=1)
    fig.subplots_adjust(wspace=0.05, hspace=0.3, left=0.01, right=0.99, top=0.97, bottom=0.01)
    return fig


def pixel_statistics(dataset: Dataset) -> plt.Figure:
    """Mean image, pixel-value histogram and ink per image, to see framing and contrast."""
    x = dataset.x_train
    fig, (mean_ax, hist_ax, ink_ax) = plt.subplots(1, 3, figsize=(WIDTH, 2.4),
                                                   gridspec_kw={"width_ratios": [0.8, 1, 1]})
    mean_ax.imshow(x.mean(axis=0), cmap="magma")
    mean_ax.set_title("mean training image", fontsize=LABEL)
    mean_ax.axis("off")
    values = x[: min(len(x), 5000)].ravel()
    hist_ax.hist(values, bins=32, log=True, color="tab:blue")
    hist_ax.set_title("pixel values (log count)", fontsize=LABEL)
    ink = (x > 127).mean(axis=(1, 2)) * 100
    ink_ax.hist(ink, bins=40, color="tab:green")
    ink_ax.set_title("ink per image\n(% of pixels > 127)", fontsize=LABEL)
    for ax in (hist_ax, ink_ax):
        ax.tick_params(labelsize=SMALL)
    fig.tight_layout(pad=0.3)
    return fig


def augmentation_grid(dataset: Dataset, rows: int = 6, copies: int = 8,
                      seed: int = 0) -> plt.Figure:
    """Training images (first column) and random augmentations of each (the other columns)."""
    idx = np.random.default_rng(seed).choice(len(dataset.x_train), size=rows, replace=False)
    samples = augmented_samples(dataset.x_train[idx], copies=copies, seed=seed)
    cell = min(0.75, WIDTH / (copies + 1))
    fig, axes = plt.subplots(rows, copies + 1, figsize=((copies + 1) * cell, rows * (cell + 0.1)),
                             squeeze=False)
    for r, (label, row) in enumerate(zip(dataset.y_train[idx], samples, strict=True)):
        for c, image in enumerate(row):
            ax = axes[r, c]
            ax.imshow(image, cmap="gray", vmin=0, vmax=255)
            ax.axis("off")
            if c == 0:
                ax.set_title(f"{dataset.classes[label]} (original)", fontsize=SMALL, loc="left",
                             pad=2)
    fig.subplots_adjust(wspace=0.05, hspace=0.3, left=0.01, right=0.99, top=0.95, bottom=0.01)
    return fig


PIPELINE = (
    ("data", "EMNIST, MNIST, CSV,\nfolders or glyphs\n→ 28×28 uint8", "helpers.data"),
    ("balancing", "NearMiss under-\nsampling or class\nweights", "learn.balance"),
    ("augmentation", "rotation, shift,\nshear, zoom\n(Keras layers)", "learn.augment"),
    ("networks", "the CNNs,\ntrained with Adam\nand early stopping", "learn.models"),
    ("evaluation", "accuracy, F1,\nconfusion, ROC,\nheat maps", "learn.evaluate"),
    ("reading", "photos and lines,\nsegmented, spelled\nwith a lexicon", "helpers.reading"),
)


def pipeline() -> plt.Figure:
    """The method as a picture: each stage of the pipeline, what it does and where its code is,
    in two rows of three (one row would print too small)."""
    across = 3
    fig, ax = plt.subplots(figsize=(WIDTH, 3.4))
    ax.set(xlim=(0, across * 2.0), ylim=(-0.3, 3.25))
    ax.axis("off")
    for i, (stage, what, where) in enumerate(PIPELINE):
        left, bottom = (i % across) * 2.0 + 0.15, 1.95 - (i // across) * 1.95
        ax.add_patch(plt.Rectangle((left, bottom), 1.45, 1.25, facecolor="#e8f0fb",
                                   edgecolor="#3a6ea5", lw=1.2))
        ax.text(left + 0.725, bottom + 1.05, stage, ha="center", va="center", fontsize=10,
                fontweight="bold")
        ax.text(left + 0.725, bottom + 0.55, what, ha="center", va="center", fontsize=8.5)
        ax.text(left + 0.725, bottom - 0.14, where, ha="center", va="center", fontsize=SMALL,
                color="#555555", family="monospace")
        if i % across:
            ax.annotate("", xy=(left, bottom + 0.62), xytext=(left - 0.4, bottom + 0.62),
                        arrowprops={"arrowstyle": "->", "color": "#3a6ea5", "lw": 1.5})
        elif i:  # from under the last box of the row above, along the gap, into this one
            ax.annotate("", xy=(left + 0.725, bottom + 1.25),
                        xytext=(left + 0.725 + (across - 1) * 2.0, bottom + 1.55),
                        arrowprops={"arrowstyle": "->", "color": "#3a6ea5", "lw": 1.5,
                                    "connectionstyle": "angle,angleA=180,angleB=90,rad=0"})
    fig.tight_layout(pad=0.2)
    return fig
