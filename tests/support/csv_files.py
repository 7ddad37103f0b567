"""Write Kaggle A-Z format CSVs (headerless: label, then 784 pixels) fast, with optional faults.

Text is built with vectorised numpy, a block of rows at a time, so the 372,450-row benchmark
file (about 690 MB, close to the real one's size) takes seconds. Fault options take 1-based
line numbers of the file as written (a header, when asked for, is line 1).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

HEADER = "label," + ",".join(f"pixel{i}" for i in range(784))


def synthetic_az(rows: int, seed: int = 0, pool: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """(x uint8 rows×28×28, y int64) with every class present when rows >= 26.

    Images are anti-aliased random strokes (about a fifth of the pixels inked, like the real
    file), drawn once into a pool and shared by rows, so any row count is cheap.
    """
    rng = np.random.default_rng(seed)
    ends = rng.uniform(4, 24, size=(pool, 3, 2, 2))  # 3 strokes, 2 end points, (row, col)
    grid = np.stack(np.mgrid[0:28, 0:28], axis=-1).reshape(1, 1, 784, 2).astype(np.float64)
    a, b = ends[:, :, None, 0], ends[:, :, None, 1]
    t = np.clip(((grid - a) * (b - a)).sum(-1) / ((b - a) ** 2).sum(-1).clip(1e-9), 0, 1)
    dist = np.linalg.norm(grid - (a + t[..., None] * (b - a)), axis=-1).min(axis=1)
    images = (np.clip(2.2 - dist, 0, 1) * 255).astype(np.uint8).reshape(pool, 28, 28)
    y = rng.permutation(np.arange(rows) % 26).astype(np.int64)
    return images[rng.integers(0, pool, size=rows)], y


def az_csv_bytes(values: np.ndarray, floats: bool = False, crlf: bool = False) -> bytes:
    """The text of rows of 785 uint8 values (label first), each line ended."""
    n, k = values.shape
    # Every token is laid out right-aligned in fixed-width cells (hundreds, tens, ones, [".0"],
    # separator, [LF after CR]); a keep-mask then drops the unused leading digits and padding.
    digits = [values // 100 + 48, values // 10 % 10 + 48, values % 10 + 48]
    digits += [np.uint8(ord(".")), np.uint8(ord("0"))] if floats else []
    text = np.empty((n, k, len(digits) + 2), np.uint8)
    keep = np.ones(text.shape, bool)
    for i, column in enumerate(digits):
        text[..., i] = column
    keep[..., 0], keep[..., 1], keep[..., -1] = values >= 100, values >= 10, False
    text[..., -2] = ord(",")
    text[:, -1, -2:] = (ord("\r"), ord("\n")) if crlf else (ord("\n"), 0)
    keep[:, -1, -1] = crlf
    return text[keep].tobytes()


def write_az_csv(path: Path, x: np.ndarray | None = None, y: np.ndarray | None = None, *,
                 rows: int | None = None, seed: int = 0, header: bool = False,
                 short_line: int | None = None, non_numeric_line: int | None = None,
                 out_of_range_line: int | None = None, bad_label_line: int | None = None,
                 floats: bool = False, crlf: bool = False, final_newline: bool = True,
                 block: int = 20_000) -> tuple[np.ndarray, np.ndarray]:
    """Write (x, y), or `rows` synthetic rows, as an A-Z CSV; returns the (x, y) written.

    Faults: `short_line` drops that line's last value, `non_numeric_line` puts "x7" in a pixel,
    `out_of_range_line` writes pixel 300, `bad_label_line` writes label 26.
    """
    if x is None:
        x, y = synthetic_az(rows, seed)
    values = np.concatenate([np.asarray(y, np.uint8)[:, None], x.reshape(len(x), -1)], axis=1)
    first = 2 if header else 1  # file line number of data row 0
    faults = {short_line: "short", non_numeric_line: "text", out_of_range_line: "pixel",
              bad_label_line: "label"}
    faults = {line - first: kind for line, kind in faults.items() if line is not None}
    eol = "\r\n" if crlf else "\n"
    with open(path, "wb") as f:
        if header:
            f.write((HEADER + eol).encode())
        start = 0
        # Clean stretches go through the vectorised writer; faulty rows are written by hand.
        for stop in [*sorted(faults), len(values)]:
            blocks = [values[lo:min(stop, lo + block)] for lo in range(start, stop, block)]
            # numpy lets go of the GIL, so a second thread builds text while the first writes.
            with ThreadPoolExecutor(2) as pool:
                for text in pool.map(lambda b: az_csv_bytes(b, floats, crlf), blocks):
                    f.write(text)
            if stop < len(values):
                f.write((_faulty_row(values[stop], faults[stop]) + eol).encode())
            start = stop + 1
    if not final_newline:
        with open(path, "rb+") as f:
            f.truncate(f.seek(0, 2) - len(eol))
    return x, y


def _faulty_row(row: np.ndarray, kind: str) -> str:
    tokens = [str(int(v)) for v in row]
    if kind == "short":
        tokens = tokens[:-1]
    elif kind == "text":
        tokens[400] = "x7"
    elif kind == "pixel":
        tokens[400] = "300"
    elif kind == "label":
        tokens[0] = "26"
    return ",".join(tokens)
