"""Write small MNIST/EMNIST-format files (IDX, gzip'd or not, mapping files, NIST's zip)."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import numpy as np


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    array = np.ascontiguousarray(array, dtype=np.uint8)
    magic = magic if magic is not None else 0x0800 + array.ndim
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


def write_idx(path: Path, array: np.ndarray, magic: int | None = None) -> Path:
    data = idx_bytes(array, magic)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def character_images(labels: np.ndarray, seed: int = 0) -> np.ndarray:
    """Upright 28x28 images whose ink position encodes the label (a bar in column 2+label%20),
    plus a fixed mark at the top-left so orientation is testable."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 30, size=(len(labels), 28, 28), dtype=np.uint8)
    for i, label in enumerate(labels):
        col = 2 + int(label) % 20
        x[i, 4:24, col:col + 2] = 255
        x[i, 0:3, 0:3] = 200  # top-left mark
    return x


def write_emnist_split(folder: Path, split: str, classes: str, n_train: int, n_test: int,
                       first_label: int = 0, seed: int = 0, parts=("train", "test")) -> dict:
    """Write an EMNIST split the way NIST does: transposed images, labels from `first_label`."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    truth = {}
    for part, n in (("train", n_train), ("test", n_test)):
        y = rng.integers(0, len(classes), size=n)
        y[: len(classes)] = np.arange(len(classes))[: n]  # every class present
        x = character_images(y, seed + n)
        truth[part] = (x, y)
        if part in parts:
            write_idx(folder / f"emnist-{split}-{part}-images-idx3-ubyte.gz", x.transpose(0, 2, 1))
            write_idx(folder / f"emnist-{split}-{part}-labels-idx1-ubyte.gz", y + first_label)
    lines = [f"{i + first_label} {ord(c)}" + (f" {ord(c.lower())}" if first_label else "")
             for i, c in enumerate(classes)]
    (folder / f"emnist-{split}-mapping.txt").write_text("\n".join(lines) + "\n")
    return truth


def write_nist_zip(zip_path: Path, source: Path) -> Path:
    """Pack a folder of EMNIST files as NIST's gzip.zip (members under gzip/)."""
    with zipfile.ZipFile(zip_path, "w") as zf:
        for f in sorted(source.iterdir()):
            zf.write(f, f"gzip/{f.name}")
    return zip_path
