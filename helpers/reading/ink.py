"""Find the ink in a photo or scan: grayscale in, ink map and mask out.

Shared by `recognizer.frame_photo` (one character) and `segment` (a line of them). The
steps: polarity to bright ink on dark, shrink very large images, denoise, subtract the paper's
own shading (a median filter several strokes wide, so uneven light does not become ink), then
Otsu's threshold on what is left, or an adaptive one when asked. An image with a side under
`MIN_SIDE` pixels as it is read (`TooSmall`: tiny, or so thin that shrinking it to
`WORK_PIXELS` leaves it a sliver), a page with no ink (`BlankImage`, which says when the
shrinking may have faded the strokes) or with only specks all over it (`NoiseOnly`) is refused
with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from helpers.data.images import white_on_black
from helpers.errors import ConfigError, DataError

WORK_PIXELS = 4_000_000  # larger images are shrunk first: characters need far fewer pixels
MIN_SIDE = 4  # pixels: a narrower image, as it is read, cannot hold a character
MIN_CONTRAST = 40  # grey levels between paper and ink below which there is no ink to read
THRESHOLDS = ("otsu", "adaptive")


class TooSmall(DataError):
    """An image too small, or too thin for its size, to hold a character as it is read."""


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


def _faded(scale: float, top: float) -> str:
    """What a blank verdict adds for an image read smaller than its input with some faint mark
    left (`top` grey levels): averaging pixels together fades strokes thinner than the factor."""
    if scale >= 1 or top < 1:
        return ""
    return (f" at the size it is read, {1 / scale:.3g} times smaller than the input each way; "
            "strokes much thinner than that fade into the paper: crop the image to the writing")


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


def _cell_ink(mask: np.ndarray) -> np.ndarray:
    """The share of ink in each cell of a NOISE_GRID×NOISE_GRID grid over the mask; an axis
    shorter than NOISE_GRID pixels has one cell per pixel, so no cell is ever empty."""
    def cells(length: int) -> np.ndarray:  # sizes as np.array_split makes them
        count = min(NOISE_GRID, length)
        return np.array([length // count + (i < length % count) for i in range(count)])

    rows, cols = cells(mask.shape[0]), cells(mask.shape[1])
    starts = (np.cumsum(rows) - rows, np.cumsum(cols) - cols)
    counts = np.add.reduceat(np.add.reduceat(mask.astype(np.int64), starts[0], axis=0),
                             starts[1], axis=1)
    return counts / np.outer(rows, cols)


def _check_not_noise(mask: np.ndarray, what: str) -> None:
    """`NoiseOnly` when the ink is many separate marks spread over nearly the whole image."""
    pieces = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)[0] - 1
    if pieces < NOISE_PIECES:
        return
    inked = float(np.mean(_cell_ink(mask) > 0.02))
    if inked >= NOISE_CELLS:
        raise NoiseOnly(f"{what} looks like noise, not writing: its ink is {pieces:,} separate "
                        f"marks spread over {inked:.0%} of the image; photograph one character "
                        "or one line on plain paper (a page of text: crop one line)")


def _check_size(shape: tuple[int, int], scale: float, what: str) -> None:
    """`TooSmall` when an image of `shape` (`scale` times its input's size) has a side under
    MIN_SIDE pixels."""
    if min(shape) >= MIN_SIDE:
        return
    size = f"{shape[1]:,}×{shape[0]:,} pixels"
    if scale == 1:
        raise TooSmall(f"{what} is too small to hold a character: it is {size}, and a "
                       f"character needs at least {MIN_SIDE} pixels each way")
    raise TooSmall(f"{what} is too thin for its size to hold a character: brought down to "
                   f"{WORK_PIXELS:,} pixels to be read, it is {size}, and a character needs at "
                   f"least {MIN_SIDE} pixels each way; crop it to the writing")


def find_ink(gray: np.ndarray, *, threshold: str = "otsu", what: str = "image",
             scale: float = 1.0) -> Ink:
    """Ink of a float gray image in either polarity; `TooSmall` when it cannot hold a
    character, `BlankImage` when there is no ink, `NoiseOnly` when what stands out is specks
    all over the image. `scale`: how much smaller `gray` already is than the input (a large
    file decoded at reduced size), so that messages and the `Ink` speak of the input."""
    if threshold not in THRESHOLDS:
        raise ConfigError(f"threshold={threshold!r}; use one of {', '.join(THRESHOLDS)}")
    gray = np.asarray(gray, dtype=np.float32)
    if gray.ndim != 2:
        raise DataError(f"{what} must be a gray image (height × width), got shape {gray.shape}")
    _check_size(gray.shape, scale, what)
    gray, shrink = _shrunk(white_on_black(gray))
    scale *= shrink
    _check_size(gray.shape, scale, what)
    smooth = _denoised(gray)
    first = smooth > max(_otsu(smooth), float(np.median(smooth)) + MIN_CONTRAST / 2)
    flat = _without_shading(smooth, stroke_width(first))
    top = float(flat.max())  # the blur above already evened out single noisy pixels
    if top < MIN_CONTRAST:
        raise BlankImage(f"{what} is blank: no ink darker than the paper by {MIN_CONTRAST} grey "
                         f"levels (the strongest mark is {top:.0f}){_faded(scale, top)}")
    if threshold == "otsu":
        mask = _hysteresis(flat, max(_otsu(flat), MIN_CONTRAST / 2))
    else:
        block = _odd(8 * stroke_width(first) + 9)
        block = min(block, _odd(min(flat.shape) - 2)) if min(flat.shape) > 5 else 3
        local = cv2.adaptiveThreshold(np.clip(flat, 0, 255).astype(np.uint8), 1,
                                      cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block,
                                      -MIN_CONTRAST / 4)
        mask = local.astype(bool) & (flat > MIN_CONTRAST / 2)
    if not mask.any():
        raise BlankImage(f"{what} is blank: no mark stands out from the paper as ink "
                         f"(the strongest is {top:.0f} grey levels){_faded(scale, top)}")
    _check_not_noise(mask, what)
    strength = float(np.percentile(flat[mask], 90))
    values = np.where(cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0,
                      np.clip(flat * (255 / max(strength, 1e-6)), 0, 255), 0)
    return Ink(values.astype(np.float32), mask, stroke_width(mask), scale)
