"""The one place that turns stored images into what the networks take.

Datasets hold uint8 N×28×28 images (white ink on black); the networks take float32 N×28×28×1
in [0, 1]. Every entry point (training pipeline, evaluation, prediction) goes through `to_input`,
so callers always pass raw uint8 images.
"""

from __future__ import annotations

import numpy as np

from helpers.errors import DataError

SCALE = 1 / 255
# How many pixels the longer side of a character's ink spans in the 28×28 frame. Each source
# frames differently (EMNIST about 24, MNIST 20, the glyphs 19), so a saved model records the
# median of its own training images; this is the fallback for models saved without it.
DEFAULT_INK_SIZE = 22.0
INK_LEVEL = 64  # a pixel brighter than this counts as ink when measuring the frame
INPUT_SHAPE = (28, 28, 1)
PREPROCESSING = {
    "input_shape": list(INPUT_SHAPE),
    "scale": SCALE,
    "polarity": "white ink on black",
    "dtype": "float32",
}


def check_images(images: np.ndarray, what: str = "images") -> np.ndarray:
    """uint8 N×28×28 (or N×28×28×1) images, or a clear error saying what is wrong."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise DataError(f"{what} must be uint8 pixels 0..255 (as datasets store them), got "
                        f"{images.dtype}")
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or images.shape[1:] != INPUT_SHAPE[:2]:
        raise DataError(f"{what} must have shape (N, 28, 28), got {images.shape}")
    return images


def to_input(images: np.ndarray) -> np.ndarray:
    """uint8 N×28×28 images -> float32 N×28×28×1 in [0, 1]."""
    return (check_images(images).astype(np.float32) * SCALE)[..., None]


def ink_size(images: np.ndarray) -> float:
    """Median over images of the longer side (in pixels) of the box around their ink."""
    ink = check_images(images) > INK_LEVEL
    rows, cols = ink.any(2), ink.any(1)
    if not rows.any():
        return DEFAULT_INK_SIZE
    n = rows.shape[1]
    height = n - rows[:, ::-1].argmax(1) - rows.argmax(1)
    width = n - cols[:, ::-1].argmax(1) - cols.argmax(1)
    side = np.maximum(height, width)[rows.any(1)]
    return float(np.median(side))
