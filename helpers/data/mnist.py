"""MNIST from its four IDX files (optionally gzip'd) or Keras' `mnist.npz`, or downloaded."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from helpers import paths
from helpers.data.dataset import Dataset
from helpers.data.download import download as fetch_url
from helpers.data.idx import read_pair
from helpers.errors import DataError

# Keras' copy of MNIST; the checksum is the one keras.datasets.mnist verifies.
URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
NPZ = "mnist.npz"
IDX_NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def default_dir() -> Path:
    return Path(os.environ.get("OCR_MNIST_DIR") or paths.raw_dir() / "mnist")


def find_idx(folder: Path) -> dict[str, Path] | None:
    """The four IDX files in `folder` (plain or .gz, '-' or '.' before 'idx'), if all are there."""
    found = {}
    for key, stem in IDX_NAMES.items():
        candidates = [folder / f"{name}{ext}" for name in (stem, stem.replace("-idx", ".idx"))
                      for ext in ("", ".gz")]
        hit = next((p for p in candidates if p.exists()), None)
        if hit is None:
            return None
        found[key] = hit
    return found


def read_npz(path: Path) -> tuple[np.ndarray, ...]:
    """The four arrays of Keras' mnist.npz; pixels must be whole numbers 0..255 (a file of
    floats scaled to 0..1 would otherwise load as black images, and 256 wrap round to 0)."""
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = tuple(np.asarray(f[k]) for k in ("x_train", "y_train", "x_test", "y_test"))
    except KeyError as e:
        raise DataError(f"{path}: not an MNIST npz (missing {e})") from None
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: not a readable npz file ({e})") from None
    for name, x in (("x_train", arrays[0]), ("x_test", arrays[2])):
        if not np.issubdtype(x.dtype, np.integer):
            raise DataError(f"{path}: {name} holds {x.dtype} pixels; MNIST's are whole numbers "
                            f"0..255 (scale 0..1 images by 255 and store them as uint8)")
        if x.size and (x.min() < 0 or x.max() > 255):
            raise DataError(f"{path}: {name} has pixels {x.min()}..{x.max()}, outside 0..255")
    return arrays


def load(*, data_dir: str | None = None, download: bool = False, seed: int = 0) -> Dataset:
    """MNIST's official 60,000/10,000 split; images are stored upright, white on black."""
    folder = Path(data_dir) if data_dir else default_dir()
    idx = find_idx(folder)
    if idx:
        x_train, y_train = read_pair(idx["train_images"], idx["train_labels"])
        x_test, y_test = read_pair(idx["test_images"], idx["test_labels"])
        origin = "IDX files"
    else:
        npz = folder / NPZ
        if not npz.exists() and download:
            fetch_url(URL, npz, SHA256)
        if not npz.exists():
            raise DataError(
                f"MNIST: no IDX files ({', '.join(IDX_NAMES.values())}, plain or .gz) and no "
                f"{NPZ} in {folder}; put them there, pass data_dir=, or download them with "
                f"`python -m helpers.data download mnist` (or download=True)")
        x_train, y_train, x_test, y_test = read_npz(npz)
        origin = NPZ
    for y, name in ((y_train, "train"), (y_test, "test")):
        if y.size and (y.min() < 0 or y.max() > 9):
            raise DataError(f"MNIST in {folder}: {name} labels outside 0..9 "
                            f"({y.min()}..{y.max()}); is this EMNIST? use an emnist-* dataset")
    return Dataset(x_train.astype(np.uint8, copy=False), y_train, x_test.astype(np.uint8, copy=False),
                   y_test, classes=tuple("0123456789"), name="mnist",
                   source=f"MNIST (LeCun et al. 1998) from {origin} in {folder}, official split")
