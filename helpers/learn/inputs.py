"""The one place that turns stored images into what the networks take.

Datasets hold uint8 N×28×28 images (white ink on black); the networks take float32 N×28×28×1
in [0, 1]. Every entry point (training pipeline, evaluation, prediction) goes through `to_input`,
so callers always pass raw uint8 images.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.errors import ConfigError, DataError

SCALE = 1 / 255
INK_LEVEL = 64  # a pixel brighter than this counts as ink when measuring the framing
CENTRES = ("box", "mass")
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


@dataclass(frozen=True)
class Framing:
    """How a source puts a character into its 28×28 frame, so that photos can be framed alike.

    `ink_size`: pixels spanned by the longer side of the ink's box. `centre`: "box" (the box's
    centre at the frame's centre, as EMNIST does) or "mass" (the centre of mass, as MNIST does).
    Sources differ (EMNIST about 23 px by box, MNIST 20 by mass, the glyphs 19 by mass), so a
    saved model records `framing_of` its own training images; the defaults are for models saved
    without it.
    """

    ink_size: float = 22.0
    centre: str = "mass"

    def __post_init__(self):
        if self.centre not in CENTRES:
            raise ConfigError(f"centre={self.centre!r}; use one of {', '.join(CENTRES)}")

    def as_dict(self) -> dict:
        return {"ink_size": float(self.ink_size), "centre": self.centre}

    @classmethod
    def from_dict(cls, data: dict | None) -> Framing:
        data = data or {}
        return cls(float(data.get("ink_size", cls.ink_size)), data.get("centre", cls.centre))


def framing_of(images: np.ndarray) -> Framing:
    """The framing of a set of images: median size of the ink's box, and whichever centre
    (of the box, or of mass) sits more tightly at the frame's centre."""
    images = check_images(images)
    ink = images > INK_LEVEL
    rows, cols = ink.any(2), ink.any(1)
    present = rows.any(1)
    if not present.any():
        return Framing()
    rows, cols, images = rows[present], cols[present], images[present].astype(np.float64)
    n = rows.shape[1]
    top, bottom = rows.argmax(1), n - 1 - rows[:, ::-1].argmax(1)
    left, right = cols.argmax(1), n - 1 - cols[:, ::-1].argmax(1)
    side = np.maximum(bottom - top, right - left) + 1
    box_spread = np.std((top + bottom) / 2) + np.std((left + right) / 2)
    axis = np.arange(n)
    total = images.sum((1, 2))
    mass_y = (images.sum(2) * axis).sum(1) / total
    mass_x = (images.sum(1) * axis).sum(1) / total
    mass_spread = np.std(mass_y) + np.std(mass_x)
    return Framing(float(np.median(side)), "box" if box_spread < mass_spread else "mass")
