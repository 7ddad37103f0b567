"""The balancing figure: class sizes before and after, and the images kept."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers.learn.balance import Balanced
from helpers.plots.style import LABEL, SMALL, WIDTH

ROWS = 8  # class strips per column of the mosaic


def kept_mosaic(balanced: Balanced, per_class: int = 4) -> np.ndarray:
    """The first `per_class` kept training images of every class tiled into one image, a class
    per strip of `per_class` images, strips down `ROWS` and then across (blank when missing)."""
    data = balanced.dataset
    groups = int(np.ceil(data.num_classes / ROWS))
    rows = min(ROWS, data.num_classes)
    mosaic = np.full((rows * 30, groups * (per_class * 28 + 16)), 255, dtype=np.uint8)
    for label in range(data.num_classes):
        top, left = (label % ROWS) * 30, (label // ROWS) * (per_class * 28 + 16) + 16
        for j, i in enumerate(np.flatnonzero(data.y_train == label)[:per_class]):
            mosaic[top + 1:top + 29, left + j * 28:left + (j + 1) * 28] = data.x_train[i]
    return mosaic


def balance_counts(balanced: Balanced, per_class: int = 4) -> plt.Figure:
    """Training images per class before and after balancing (bars side by side, so neither
    hides the other; log scale when sizes differ more than 20-fold), above a few kept images of
    every class (`per_class=0`: no images)."""
    counts = pd.DataFrame({"before": balanced.before, "after": balanced.after})
    k = len(counts)
    fig = plt.figure(figsize=(WIDTH, 5.5 if per_class else 2.9))
    top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1.05]) if per_class else (fig, None)
    bars = top.subplots()
    x = np.arange(k)
    bars.bar(x - 0.21, counts["before"], width=0.42, label="before", color="#9a9a9a")
    bars.bar(x + 0.21, counts["after"], width=0.42, label="after", color="tab:blue")
    bars.set_xticks(x, counts.index)
    bars.tick_params(axis="x", labelsize=SMALL, length=0)
    bars.tick_params(axis="y", labelsize=SMALL)
    bars.set_xlim(-0.7, k - 0.3)
    if counts.to_numpy().max() > 20 * max(counts["after"].min(), 1):
        bars.set_yscale("log")
    bars.set_ylabel("training images", fontsize=LABEL)
    unchanged = " (unchanged)" if counts["before"].equals(counts["after"]) else ""
    bars.set_title(f"{balanced.dataset.name}: {counts['before'].sum():,} -> "
                   f"{counts['after'].sum():,} training images{unchanged}", fontsize=LABEL)
    bars.legend(loc="upper right", fontsize=SMALL, ncols=2)
    bars.margins(y=0.12)  # room for the legend above the tallest bars
    if bottom is not None:
        # One imshow of a tiled array: hundreds of tiny axes would take seconds to draw.
        grid = bottom.subplots()
        grid.imshow(kept_mosaic(balanced, per_class), cmap="gray", vmin=0, vmax=255)
        grid.axis("off")
        grid.set_title(f"first {per_class} kept training images per class", fontsize=LABEL)
        for label, name in enumerate(balanced.dataset.classes):
            grid.text((label // ROWS) * (per_class * 28 + 16) + 14, (label % ROWS) * 30 + 15,
                      name, color="black", fontsize=SMALL, ha="right", va="center")
        top.subplots_adjust(left=0.1, right=0.99, top=0.9, bottom=0.1)
        bottom.subplots_adjust(left=0.01, right=0.99, top=0.92, bottom=0.01)
    else:
        fig.tight_layout(pad=0.3)
    return fig
