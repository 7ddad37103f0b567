"""Reader for the IDX files of MNIST and EMNIST (optionally gzip'd).

Layout: two zero bytes, a type code (0x08 = unsigned byte), the number of dimensions, one
big-endian uint32 per dimension, then the data. Images are magic 2051 (3 dims), labels 2049 (1 dim).
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from helpers.errors import DataError

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
# EMNIST byclass, the largest split, holds 697,932 × 784 ≈ 547 M pixels; twice that is plenty.
MAX_VALUES = 1 << 30


def _open(path: Path):
    """The file as a binary stream, decompressed when it ends in .gz."""
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def read_idx(path: str | Path, magic: int) -> np.ndarray:
    """The array stored in an IDX file, checked against the expected magic number.

    The header says how many bytes the data must have, and no more than that (plus one, to see
    that nothing follows) is ever read or inflated: a small .gz that inflates to gigabytes is a
    clear error at the cost of its header.
    """
    path = Path(path)
    try:
        with _open(path) as f:
            start = f.read(4)
            if len(start) < 4:
                raise DataError(f"{path}: {len(start)} bytes is too short for an IDX file")
            found = int.from_bytes(start, "big")
            if found != magic:
                kind = {IMAGES_MAGIC: "images", LABELS_MAGIC: "labels"}.get(magic, "IDX")
                raise DataError(f"{path}: IDX magic number is {found}, expected {magic} for an "
                                f"{kind} file (wrong file, or not an IDX file)")
            ndim = start[3]
            sizes = f.read(4 * ndim)
            if len(sizes) < 4 * ndim:
                raise DataError(f"{path}: the IDX header is cut short")
            dims = tuple(int.from_bytes(sizes[4 * i: 4 * i + 4], "big") for i in range(ndim))
            expected = int(np.prod(dims, dtype=np.int64))
            if expected > MAX_VALUES:
                raise DataError(f"{path}: header promises {expected:,} values {dims}, over the "
                                f"{MAX_VALUES:,} this reader accepts (corrupt header?)")
            data = f.read(expected + 1)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except EOFError:
        raise DataError(f"{path}: the gzip stream ends early (truncated download?); "
                        "delete the file and fetch it again") from None
    except (gzip.BadGzipFile, zlib.error, OSError) as e:
        raise DataError(f"{path}: not a readable gzip file ({e}); delete it and fetch it again") \
            from None
    if len(data) != expected:
        held = f"{len(data):,}" if len(data) <= expected else f"more than {expected:,}"
        raise DataError(f"{path}: header promises {expected:,} values {dims}, file holds "
                        f"{held} (truncated or corrupt)")
    return np.frombuffer(data, dtype=np.uint8).reshape(dims)


def read_images(path: str | Path) -> np.ndarray:
    """N×H×W uint8 images from an IDX images file, as stored (EMNIST's are transposed)."""
    images = read_idx(path, IMAGES_MAGIC)
    if images.ndim != 3:
        raise DataError(f"{path}: images file has {images.ndim} dimensions, expected 3")
    if images.shape[1:] != (28, 28):
        raise DataError(f"{path}: images of {images.shape[1]}×{images.shape[2]} pixels; MNIST "
                        "and EMNIST images are 28×28")
    if not len(images):
        raise DataError(f"{path}: the file holds no images")
    return images


def read_labels(path: str | Path) -> np.ndarray:
    return read_idx(path, LABELS_MAGIC).astype(np.int64)


def read_pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels that belong together, checked to have the same count."""
    x, y = read_images(images_path), read_labels(labels_path)
    if len(x) != len(y):
        raise DataError(f"{images_path.name} holds {len(x):,} images but {labels_path.name} holds "
                        f"{len(y):,} labels; they must come from the same split")
    return x, y
