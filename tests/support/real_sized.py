"""Inputs at the write-ups' real sizes, built from real handwriting (the EMNIST test images):
Kaggle's A-Z CSV rows, MNIST's 70,000 images in its own IDX files, a folder of PNGs.

A source with fewer images than the real file repeats them, each repeat moved by a different
small shift (zero-filled, never wrapped round), so no two rows of a class are the same until
every shift has been used.
"""

from __future__ import annotations

import gzip
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from support.idx_files import idx_bytes

# Rows per letter A..Z in Kaggle's "A-Z Handwritten Data.csv" (372,450 in all; O 57,825 the
# most, I 1,120 the fewest): the imbalance NearMiss works on.
KAGGLE_COUNTS = (13869, 8668, 23409, 10134, 11440, 1163, 5762, 7218, 1120, 8493, 5603, 11586,
                 12336, 19010, 57825, 19341, 5812, 11566, 48419, 22495, 29008, 4182, 10784, 6272,
                 10859, 6076)
MNIST_TRAIN, MNIST_TEST = 60_000, 10_000


def offsets(reach: int = 2) -> list[tuple[int, int]]:
    """(rows down, columns right) within `reach` pixels, no shift first, then the nearest."""
    grid = [(dy, dx) for dy in range(-reach, reach + 1) for dx in range(-reach, reach + 1)]
    return sorted(grid, key=lambda d: (d[0] ** 2 + d[1] ** 2, d))


def shift(images: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """N×H×W images moved `dy` rows down and `dx` columns right; what moves in is 0 (paper)."""
    out = np.zeros_like(images)
    h, w = images.shape[1:]
    out[:, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        images[:, max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out


def repeated(x: np.ndarray, n: int, reach: int = 2) -> np.ndarray:
    """`n` images from `x`: all of x unshifted, then all of x shifted by the next offset, …"""
    moves = offsets(reach)
    cycles = -(-n // len(x))
    return np.concatenate([shift(x, *moves[c % len(moves)]) for c in range(cycles)])[:n]


def kaggle_counts(rows: int = sum(KAGGLE_COUNTS)) -> np.ndarray:
    """Rows per letter for a file of `rows` rows, in Kaggle's proportions (largest remainders)."""
    share = np.array(KAGGLE_COUNTS) * rows / sum(KAGGLE_COUNTS)
    counts = np.floor(share).astype(np.int64)
    counts[np.argsort(counts - share)[: rows - counts.sum()]] += 1
    return counts


def capitals(dataset) -> tuple[np.ndarray, np.ndarray]:
    """The images of `dataset` (train and test) whose class is a capital A-Z, labelled 0..25
    as in Kaggle's file: EMNIST byclass's 26 upper-case classes (its letters split folds in
    the lower case, which Kaggle's file does not have)."""
    x = np.concatenate([dataset.x_train, dataset.x_test])
    y = np.concatenate([dataset.y_train, dataset.y_test])
    letter = np.full(dataset.num_classes, -1)
    for k, name in enumerate(dataset.classes):
        if len(name) == 1 and "A" <= name <= "Z":
            letter[k] = ord(name) - ord("A")
    kept = letter[y] >= 0
    missing = sorted(set(range(26)) - set(letter[y[kept]].tolist()))
    if missing:
        letters = ", ".join(chr(ord("A") + m) for m in missing)
        raise ValueError(f"{dataset.name} has no images of {letters}")
    return x[kept], letter[y[kept]]


def az_from_letters(x: np.ndarray, y: np.ndarray, rows: int = sum(KAGGLE_COUNTS),
                    reach: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) for an A-Z CSV of `rows` rows from upright letter images `x` with labels `y`
    0..25 (`capitals`): each letter as many rows as in Kaggle's file, sorted by letter
    as Kaggle's file is."""
    parts = [repeated(x[y == letter], count, reach)
             for letter, count in enumerate(kaggle_counts(rows))]
    labels = np.repeat(np.arange(26), [len(p) for p in parts])
    return np.concatenate(parts), labels


def write_mnist(folder: Path, x: np.ndarray, y: np.ndarray, train: int = MNIST_TRAIN,
                test: int = MNIST_TEST, reach: int = 2) -> Path:
    """MNIST's four gzip'd IDX files (upright images, labels 0-9) in `folder`: `test` images
    from `x` unshifted, `train` from `x` shifted (no shift left out, so train repeats none of
    the test images until every shift is used)."""
    folder.mkdir(parents=True, exist_ok=True)
    moves = offsets(reach)[1:]
    cycles = -(-train // len(x))
    x_train = np.concatenate([shift(x, *moves[c % len(moves)]) for c in range(cycles)])[:train]
    y_train = np.tile(y, cycles)[:train]
    for name, array in (("train-images-idx3-ubyte", x_train), ("train-labels-idx1-ubyte", y_train),
                        ("t10k-images-idx3-ubyte", x[:test]), ("t10k-labels-idx1-ubyte", y[:test])):
        # gzip's level 6 packs within 2% of level 9 here, in an eighth of the time
        (folder / f"{name}.gz").write_bytes(gzip.compress(idx_bytes(array), compresslevel=6))
    return folder


def write_image_folder(root: Path, x: np.ndarray, y: np.ndarray,
                       classes: tuple[str, ...]) -> int:
    """One PNG per image under root/<class>/, dark ink on white paper as a scan would be; the
    number of files written."""
    for name in classes:
        (root / name).mkdir(parents=True, exist_ok=True)

    def write(i: int) -> None:
        Image.fromarray(255 - x[i]).save(root / classes[y[i]] / f"{i:06d}.png")

    with ThreadPoolExecutor(4) as pool:  # PIL lets go of the GIL while it encodes
        list(pool.map(write, range(len(x))))
    return len(x)
