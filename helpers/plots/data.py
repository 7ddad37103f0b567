"""Figures of a dataset: class sizes, samples, pixel statistics, augmented copies."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from helpers.data import Dataset
from helpers.learn.augment import augmented_samples


def class_counts(dataset: Dataset) -> plt.Figure:
    """Images per class (bars, train and test) beside the spread of class sizes (boxplot)."""
    counts = dataset.class_counts()
    long = counts.melt(id_vars="class", var_name="split", value_name="images")
    width = max(8.0, 0.22 * dataset.num_classes + 3)
    fig, (bars, box) = plt.subplots(1, 2, figsize=(width, 3.6),
                                    gridspec_kw={"width_ratios": [6, 1]})
    sns.barplot(long, x="class", y="images", hue="split", ax=bars)
    bars.set_title(f"{dataset.name}: images per class")
    bars.tick_params(axis="x", labelsize=8 if dataset.num_classes > 40 else 10)
    sns.boxplot(long, x="split", y="images", ax=box)
    box.set_title("class sizes")
    fig.tight_layout()
    return fig


def sample_grid(dataset: Dataset, per_class: int = 6, seed: int = 0) -> plt.Figure:
    """A few training images of every class, one row per class (columns when there are many)."""
    rng = np.random.default_rng(seed)
    k = dataset.num_classes
    groups = 1 if k <= 12 else int(np.ceil(k / 12))
    rows = int(np.ceil(k / groups))
    fig, axes = plt.subplots(rows, per_class * groups,
                             figsize=(per_class * groups * 0.55, rows * 0.6), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for label, name in enumerate(dataset.classes):
        row, group = label % rows, label // rows
        idx = np.flatnonzero(dataset.y_train == label)
        chosen = rng.choice(idx, size=min(per_class, len(idx)), replace=False) if len(idx) else []
        for j, i in enumerate(chosen):
            ax = axes[row, group * per_class + j]
            ax.imshow(dataset.x_train[i], cmap="gray", vmin=0, vmax=255)
            if j == 0:
                ax.set_title(name, fontsize=8, loc="left", pad=1)
    fig.subplots_adjust(wspace=0.05, hspace=0.35, left=0.01, right=0.99, top=0.97, bottom=0.01)
    return fig


def pixel_statistics(dataset: Dataset) -> plt.Figure:
    """Mean image, pixel-value histogram and ink per image, to see framing and contrast."""
    x = dataset.x_train
    fig, (mean_ax, hist_ax, ink_ax) = plt.subplots(1, 3, figsize=(11, 3))
    mean_ax.imshow(x.mean(axis=0), cmap="magma")
    mean_ax.set_title("mean training image")
    mean_ax.axis("off")
    values = x[: min(len(x), 5000)].ravel()
    hist_ax.hist(values, bins=32, log=True, color="tab:blue")
    hist_ax.set_title("pixel values (log count)")
    ink = (x > 127).mean(axis=(1, 2)) * 100
    ink_ax.hist(ink, bins=40, color="tab:green")
    ink_ax.set_title("ink per image (% of pixels > 127)")
    fig.tight_layout()
    return fig


def augmentation_grid(dataset: Dataset, rows: int = 6, copies: int = 8,
                      seed: int = 0) -> plt.Figure:
    """Training images (first column) and random augmentations of each (the other columns)."""
    idx = np.random.default_rng(seed).choice(len(dataset.x_train), size=rows, replace=False)
    samples = augmented_samples(dataset.x_train[idx], copies=copies, seed=seed)
    fig, axes = plt.subplots(rows, copies + 1, figsize=((copies + 1) * 0.75, rows * 0.8),
                             squeeze=False)
    for r, (label, row) in enumerate(zip(dataset.y_train[idx], samples, strict=True)):
        for c, image in enumerate(row):
            ax = axes[r, c]
            ax.imshow(image, cmap="gray", vmin=0, vmax=255)
            ax.axis("off")
            if c == 0:
                ax.set_title(f"{dataset.classes[label]} (original)", fontsize=7, loc="left")
    fig.subplots_adjust(wspace=0.05, hspace=0.3, left=0.01, right=0.99, top=0.95, bottom=0.01)
    return fig


PIPELINE = (
    ("data", "EMNIST, MNIST, CSV,\nfolders or glyphs\n→ 28×28 uint8", "helpers.data"),
    ("balancing", "NearMiss under-\nsampling or class\nweights", "learn.balance"),
    ("augmentation", "rotation, shift,\nshear, zoom\n(Keras layers)", "learn.augment"),
    ("networks", "seven CNNs,\ntrained with Adam\nand early stopping", "learn.models"),
    ("evaluation", "accuracy, F1,\nconfusion, ROC,\nheat maps", "learn.evaluate"),
    ("reading", "photos and lines,\nsegmented, spelled\nwith a lexicon", "helpers.reading"),
)


def pipeline() -> plt.Figure:
    """The method as a picture: each stage of the pipeline, what it does and where its code is."""
    fig, ax = plt.subplots(figsize=(11, 2.1))
    ax.set(xlim=(0, len(PIPELINE) * 1.8), ylim=(0, 1.6))
    ax.axis("off")
    for i, (stage, what, where) in enumerate(PIPELINE):
        left = i * 1.8 + 0.1
        ax.add_patch(plt.Rectangle((left, 0.25), 1.4, 1.2, facecolor="#e8f0fb",
                                   edgecolor="#3a6ea5", lw=1.2))
        ax.text(left + 0.7, 1.27, stage, ha="center", va="center", fontsize=10,
                fontweight="bold")
        ax.text(left + 0.7, 0.78, what, ha="center", va="center", fontsize=7.5)
        ax.text(left + 0.7, 0.1, where, ha="center", va="center", fontsize=7, color="#555555",
                family="monospace")
        if i:
            ax.annotate("", xy=(left, 0.85), xytext=(left - 0.4, 0.85),
                        arrowprops={"arrowstyle": "->", "color": "#3a6ea5", "lw": 1.5})
    fig.tight_layout(pad=0.2)
    return fig
