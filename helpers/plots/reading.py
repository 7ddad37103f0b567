"""Figures and tables of reading: photos with what the network saw and said, lines with boxes
and text."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from helpers.plots.style import LABEL, SMALL, WIDTH
from helpers.reading.recognizer import Prediction, Reading

RIGHT, WRONG = "#1a7f37", "#cf222e"


def photo_predictions(photos: list[np.ndarray], predictions: list[Prediction],
                      truth: list[str] | None = None, cols: int = 4) -> plt.Figure:
    """Each photo above the 28×28 image the network was given, titled with its answer."""
    rows = -(-len(photos) // cols)
    cell = min(2.4, WIDTH / cols)
    fig, axes = plt.subplots(2 * rows, cols, figsize=(cell * cols, 1.75 * cell * rows),
                             gridspec_kw={"height_ratios": [3, 2] * rows}, squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for i, (photo, prediction) in enumerate(zip(photos, predictions, strict=True)):
        top, bottom = axes[2 * (i // cols), i % cols], axes[2 * (i // cols) + 1, i % cols]
        top.imshow(photo, cmap="gray" if photo.ndim == 2 else None)
        ok = truth is None or truth[i] == prediction.char
        label = f"{prediction.char} {prediction.prob:.0%}"
        if truth is not None:
            label += f" (true {truth[i]})"
        top.set_title(label, color=RIGHT if ok else WRONG, fontsize=LABEL + 1)
        bottom.imshow(prediction.image, cmap="gray", vmin=0, vmax=255)
        bottom.set_title("what the network saw", fontsize=SMALL + 0.5)
    fig.tight_layout(pad=0.3)
    return fig


def line_reading(image: np.ndarray, reading: Reading, truth: str | None = None,
                 ax: plt.Axes | None = None) -> plt.Figure:
    """The line with a box around each character and the character read above it."""
    if ax is None:
        height, width = image.shape[:2]
        _, ax = plt.subplots(figsize=(min(WIDTH, max(4.0, width / 40)), 1.6 + height / 60))
    ax.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=255)
    for found in reading.characters:
        x, y, w, h = found.box
        colour = RIGHT if found.prob >= 0.5 else WRONG
        ax.add_patch(Rectangle((x - 0.5, y - 0.5), w, h, fill=False, edgecolor=colour, lw=1.5))
        ax.text(x + w / 2, y - 3, found.char, ha="center", va="bottom", color=colour,
                fontsize=11, fontweight="bold")
    title = f"read: {reading.text!r}"
    if truth is not None:
        title += f"   truth: {truth!r}"
    ax.set_title(title, fontsize=LABEL + 1, loc="left")
    ax.axis("off")
    return ax.figure


def line_readings(images: list[np.ndarray], readings: list[Reading],
                  truths: list[str] | None = None) -> plt.Figure:
    """Several lines, one under the other (boxes green where the network was at least 50%
    sure, red where less)."""
    # Each line as wide as the page allows and as tall as its shape then needs (a short line
    # at most 1.6 inches), plus its title.
    heights = [min(WIDTH * image.shape[0] / max(image.shape[1], 1), 1.6) + 0.55
               for image in images]
    fig, axes = plt.subplots(len(images), 1, figsize=(WIDTH, sum(heights)), squeeze=False,
                             gridspec_kw={"height_ratios": heights})
    for i, (image, reading) in enumerate(zip(images, readings, strict=True)):
        line_reading(image, reading, truths[i] if truths else None, ax=axes[i, 0])
    fig.tight_layout(pad=0.3)
    return fig


def top_table(predictions: list[Prediction], truth: list[str] | None = None) -> pd.DataFrame:
    """One row per image, numbered from 1: the true character (when known) and the top guesses
    with their probabilities."""
    rows = []
    for i, prediction in enumerate(predictions):
        row = {"true": truth[i]} if truth is not None else {}
        row.update({f"top {k}": f"{c} {p:.0%}" for k, (c, p) in enumerate(prediction.top, 1)})
        rows.append(row)
    return pd.DataFrame(rows, index=pd.RangeIndex(1, len(rows) + 1, name="image"))


def readings_table(lines: list, readings: list[Reading], *,
                   lexicon: bool = True) -> pd.DataFrame | None:
    """One row per line, numbered from 1: its truth, each character's first choice and, with
    `lexicon`, the text spelled with the lexicon; None when there are no lines."""
    if not lines:
        return None
    table = pd.DataFrame({"truth": [line.text for line in lines],
                          "first choices (no lexicon)": [r.raw_text for r in readings]},
                         index=pd.RangeIndex(1, len(lines) + 1, name="line"))
    if lexicon:
        table["with the lexicon"] = [r.text for r in readings]
    return table
