"""Find the ink in a photo or scan: grayscale in, ink map and mask out.

Shared by `recognizer.frame_photo` (one character) and `segment` (a line of them). The
steps: polarity to bright ink on dark, shrink very large images, denoise, subtract the paper's
own shading (a median filter several strokes wide, so uneven light does not become ink), then
Otsu's threshold on what is left, or an adaptive one when asked. A page with no ink
(`BlankImage`) or only specks all over it (`NoiseOnly`) is refused with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from helpers.data.images import white_on_black
from helpers.errors import ConfigError, DataError

WORK_PIXELS = 4_000_000  # larger images are shrunk first: characters need far fewer pixels
MIN_CONTRAST = 40  # grey levels between paper and ink below which there is no ink to read
THRESHOLDS = ("otsu", "adaptive")


class BlankImage(DataError):
    """An image with no ink on it (an empty page, a flat colour)."""


class NoCharacters(DataError):
    """Ink was found but no character could be separated from it."""


class NoiseOnly(NoCharacters):
    """The ink is specks all over the image: noise (or grain), not writing."""


# Writing leaves most of a photo of one character or one line empty; noise marks every part.
NOISE_PIECES = 50  # separate marks, at least
NOISE_GRID, NOISE_CELLS = 8, 0.9  # and ink in at least 90% of the cells of an 8×8 grid


@dataclass(frozen=True)
class Ink:
    """`values`: float32 ink strength 0..255 (0 where there is no ink), white on black;
    `mask`: the thresholded ink; `stroke`: typical stroke width in pixels; `scale`: how much
    the image was shrunk (1.0 = not at all), so boxes can be mapped back."""

    values: np.ndarray
    mask: np.ndarray
    stroke: float
    scale: float


def _odd(n: float) -> int:
    n = max(3, int(round(n)))
    return n if n % 2 else n + 1


def stroke_width(mask: np.ndarray) -> float:
    """Typical stroke width of a binary ink mask, from its distance transform."""
    if not mask.any():
        return 1.0
    dist = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
    return max(1.0, 2.0 * float(np.percentile(dist[mask], 95)))


def _shrunk(gray: np.ndarray) -> tuple[np.ndarray, float]:
    height, width = gray.shape
    if height * width <= WORK_PIXELS:
        return gray, 1.0
    scale = (WORK_PIXELS / (height * width)) ** 0.5
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA), scale


def _denoised(gray: np.ndarray) -> np.ndarray:
    # Gaussian only: a median filter would erase the one-pixel strokes of thin pens and fonts.
    sigma = float(np.clip(min(gray.shape) / 300, 0.5, 2.0))
    return cv2.GaussianBlur(gray, (0, 0), sigma)


def _without_shading(gray: np.ndarray, stroke: float) -> np.ndarray:
    """Subtract the background: a median filter about six strokes wide, taken on every few
    pixels (median filters of more than 15 pixels are slow or refused by OpenCV)."""
    size = 6 * stroke + 9
    if size >= min(gray.shape):
        return np.clip(gray - np.median(gray), 0, None)
    step = max(1, int(size // 15))
    height, width = gray.shape
    # Every step-th pixel, not an average: averaging would smear ink into the background.
    sparse = gray[::step, ::step].astype(np.uint8)
    background = cv2.medianBlur(sparse, _odd(size / step)) if min(sparse.shape) > 3 else sparse
    background = cv2.resize(background, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.clip(gray - background.astype(np.float32), 0, None)


def _otsu(values: np.ndarray) -> float:
    threshold, _ = cv2.threshold(np.clip(values, 0, 255).astype(np.uint8), 0, 255,
                                 cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(threshold)


def _hysteresis(values: np.ndarray, high: float) -> np.ndarray:
    """Pixels above `high`, plus fainter ones (above a third of it) touching them: thin or
    lightly pressed strokes stay joined to the character they belong to."""
    weak = (values > high / 3).astype(np.uint8)
    count, labels = cv2.connectedComponents(weak, connectivity=8)
    strong = np.zeros(count, bool)
    strong[labels[values > high]] = True
    strong[0] = False
    return strong[labels]


def _check_not_noise(mask: np.ndarray, what: str) -> None:
    """`NoiseOnly` when the ink is many separate marks spread over nearly the whole image."""
    pieces = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)[0] - 1
    if pieces < NOISE_PIECES:
        return
    rows = np.array_split(np.arange(mask.shape[0]), NOISE_GRID)
    cols = np.array_split(np.arange(mask.shape[1]), NOISE_GRID)
    inked = np.mean([mask[r[0]:r[-1] + 1, c[0]:c[-1] + 1].mean() > 0.02
                     for r in rows for c in cols])
    if inked >= NOISE_CELLS:
        raise NoiseOnly(f"{what} looks like noise, not writing: its ink is {pieces:,} separate "
                        f"marks spread over {inked:.0%} of the image; photograph one character "
                        "or one line on plain paper (a page of text: crop one line)")


def find_ink(gray: np.ndarray, *, threshold: str = "otsu", what: str = "image") -> Ink:
    """Ink of a float gray image in either polarity; `BlankImage` when there is none,
    `NoiseOnly` when what stands out is specks all over the image."""
    if threshold not in THRESHOLDS:
        raise ConfigError(f"threshold={threshold!r}; use one of {', '.join(THRESHOLDS)}")
    gray = np.asarray(gray, dtype=np.float32)
    if gray.ndim != 2 or min(gray.shape, default=0) < 4:
        raise DataError(f"{what} is too small to hold a character ({gray.shape})")
    gray, scale = _shrunk(white_on_black(gray))
    smooth = _denoised(gray)
    first = smooth > max(_otsu(smooth), float(np.median(smooth)) + MIN_CONTRAST / 2)
    flat = _without_shading(smooth, stroke_width(first))
    top = float(flat.max())  # the blur above already evened out single noisy pixels
    if top < MIN_CONTRAST:
        raise BlankImage(f"{what} is blank: no ink darker than the paper by {MIN_CONTRAST} grey "
                         f"levels (the strongest mark is {top:.0f})")
    if threshold == "otsu":
        mask = _hysteresis(flat, max(_otsu(flat), MIN_CONTRAST / 2))
    else:
        block = _odd(8 * stroke_width(first) + 9)
        block = min(block, _odd(min(flat.shape) - 2)) if min(flat.shape) > 5 else 3
        local = cv2.adaptiveThreshold(np.clip(flat, 0, 255).astype(np.uint8), 1,
                                      cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block,
                                      -MIN_CONTRAST / 4)
        mask = local.astype(bool) & (flat > MIN_CONTRAST / 2)
    _check_not_noise(mask, what)
    strength = float(np.percentile(flat[mask], 90)) if mask.any() else top
    values = np.where(cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0,
                      np.clip(flat * (255 / max(strength, 1e-6)), 0, 255), 0)
    return Ink(values.astype(np.float32), mask, stroke_width(mask), scale)
