"""scikit-learn's bundled handwritten digits (1,797 images, 8x8), upscaled to 28x28.

Real handwriting that ships with scikit-learn, so it works offline. Each 8x8 image (values 0..16,
ink high) is scaled to 20x20 and centred in 28x28, the framing MNIST uses.
"""

from __future__ import annotations

import cv2
import numpy as np
from sklearn.datasets import load_digits

from helpers.data.dataset import Dataset, stratified_split


def upscale(images: np.ndarray) -> np.ndarray:
    """N x 8 x 8 values 0..16 -> N x 28 x 28 uint8, the digit in the central 20x20."""
    out = np.zeros((len(images), 28, 28), dtype=np.uint8)
    for i, image in enumerate(images):
        big = cv2.resize((image * (255 / 16)).astype(np.float32), (20, 20),
                         interpolation=cv2.INTER_CUBIC)
        out[i, 4:24, 4:24] = np.clip(big, 0, 255).round().astype(np.uint8)
    return out


def load(*, seed: int = 0, test_fraction: float = 0.2) -> Dataset:
    bunch = load_digits()
    x = upscale(bunch.images)
    x_train, y_train, x_test, y_test = stratified_split(x, bunch.target, test_fraction, seed)
    return Dataset(x_train, y_train, x_test, y_test, classes=tuple("0123456789"), name="digits",
                   source=f"scikit-learn's handwritten digits (UCI, 1,797 images of 8x8) upscaled "
                          f"to 28x28; split {1 - test_fraction:.0%}/{test_fraction:.0%} "
                          f"stratified (seed {seed})")
