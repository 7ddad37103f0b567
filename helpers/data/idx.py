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


def read_bytes(path: Path) -> bytes:
    """The file's content, decompressed when it ends in .gz; a clear error when it is damaged."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except EOFError:
        raise DataError(f"{path}: the gzip stream ends early (truncated download?); "
                        "delete the file and fetch it again") from None
    except (gzip.BadGzipFile, zlib.error, OSError) as e:
        raise DataError(f"{path}: not a readable gzip file ({e}); delete it and fetch it again") \
            from None


def read_idx(path: str | Path, magic: int) -> np.ndarray:
    """The array stored in an IDX file, checked against the expected magic number."""
    path = Path(path)
    data = read_bytes(path)
    if len(data) < 4:
        raise DataError(f"{path}: {len(data)} bytes is too short for an IDX file")
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        kind = {IMAGES_MAGIC: "images", LABELS_MAGIC: "labels"}.get(magic, "IDX")
        raise DataError(f"{path}: IDX magic number is {found}, expected {magic} for an {kind} file "
                        "(wrong file, or not an IDX file)")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path}: the IDX header is cut short")
    dims = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(dims))
    if len(data) - header != expected:
        raise DataError(f"{path}: header promises {expected:,} values {dims}, file holds "
                        f"{len(data) - header:,} (truncated or corrupt)")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def read_images(path: str | Path) -> np.ndarray:
    """N×H×W uint8 images from an IDX images file, as stored (EMNIST's are transposed)."""
    images = read_idx(path, IMAGES_MAGIC)
    if images.ndim != 3:
        raise DataError(f"{path}: images file has {images.ndim} dimensions, expected 3")
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
