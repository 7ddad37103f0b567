"""Kaggle's "A-Z Handwritten Data" CSV: headerless rows of a label (0-25 = A-Z) and 784 pixels.

Images are stored upright, white ink on black (already EMNIST's polarity, not transposed). The
parser tokenizes the raw bytes with numpy, in line-aligned chunks on a small thread pool, and
only goes looking for the offending line once a vectorised check has failed.
"""

from __future__ import annotations

import os
import re
import string
import warnings
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from tqdm import tqdm

from helpers import paths
from helpers.data.cache import cache_file, fingerprint, load_arrays, save_arrays
from helpers.data.dataset import Dataset, stratified_split
from helpers.data.transforms import drop_empty_classes
from helpers.errors import DataError, DataWarning

FILE_NAME = "A_Z Handwritten Data.csv"
CLASSES = tuple(string.ascii_uppercase)
VALUES = 785  # label + 28*28 pixels
# Bytes per task. Small enough that numpy's temporaries come from reused malloc memory: with
# bigger chunks, page faults on fresh memory cost more than the parsing itself.
CHUNK = 4 << 20
WORKERS = min(4, os.cpu_count() or 1)
MAX_LINE = 64 << 20  # a row is ~2 KB; far longer means the file has no line ends
HEAD = 8192  # bytes at the start of the file that tell text from binary data
ODD_SHARE = 0.3  # text has almost no control bytes or invalid UTF-8; binary data is mostly so
ROW = "one line per image (a label 0-25 and 784 pixels 0-255)"
BINARY_LINE = "holds binary data, not comma-separated numbers: is this the right file?"
CACHE_VERSION = 1  # bump when the parsed arrays would change for the same file
_ZERO_FRACTION = re.compile(rb"(?<=\d)\.0+(?=[,\n])")
_VALID = re.compile(rb"\d{1,3}(\.0+)?")
_NUMBER = re.compile(rb"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def parse_az_csv(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """(x uint8 N×28×28, y int64 N) from an A-Z CSV; a DataError names the first bad line."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise DataError(f"{path}: the file is empty; expected {ROW}")
    with open(path, "rb") as f:
        if problem := _not_text(f.read(HEAD)):
            raise DataError(f"{path}: {problem}")
    parts, pending, rows, done, read = [], deque(), 0, 0, 0
    with (open(path, "rb", buffering=0) as f, ThreadPoolExecutor(WORKERS) as pool,
          tqdm(total=size, unit="B", unit_scale=True, desc=path.name, leave=False) as bar):
        carry = np.empty(0, np.uint8)
        while True:
            buf = np.empty(len(carry) + CHUNK + 1, np.uint8)  # +1: room for a final newline
            buf[: len(carry)] = carry
            n = f.readinto(memoryview(buf)[len(carry): -1])
            read += n
            end, last = len(carry) + n, n == 0 or read >= size
            if last:  # tolerate a missing final newline and trailing blank lines
                cut = _strip_line_ends(buf[:end])
                buf[cut] = 10
                cut = end = cut + 1 if cut else 0
            else:
                cut = _after_last_newline(buf[:end])
            carry = buf[cut:end].copy()
            if len(carry) > MAX_LINE:
                raise DataError(f"{path}: the line after byte {done + cut:,} runs past "
                                f"{MAX_LINE >> 20} MB without a line end; rows must end in "
                                f"LF or CRLF (convert old Mac CR endings first)")
            done += cut
            if cut:
                pending.append((cut, pool.submit(_parse_chunk, buf[:cut])))
            # Collect in order, a few chunks behind: both threads stay busy, memory stays small.
            while pending and (last or len(pending) > 2 * WORKERS):
                nbytes, future = pending.popleft()
                try:
                    parts.append(future.result())
                except _BadLine as bad:
                    index, text = bad.args
                    raise DataError(_describe(path, rows + index + 1, text)) from None
                rows += len(parts[-1][1])
                bar.update(nbytes)
            if last:
                break
    if not parts:
        raise DataError(f"{path}: the file holds only blank lines; expected one row per image")
    x = np.concatenate([pixels for pixels, _ in parts]).reshape(-1, 28, 28)
    return x, np.concatenate([labels for _, labels in parts])


class _BadLine(Exception):
    """(0-based line within its chunk, that line's text): the main thread adds the offset."""


def _after_last_newline(a: np.ndarray) -> int:
    """Length of `a` up to and including its last newline (0 when it has none)."""
    for start in (max(0, len(a) - (1 << 16)), 0):  # the tail almost always has one
        hits = np.flatnonzero(a[start:] == 10)
        if len(hits):
            return start + int(hits[-1]) + 1
    return 0


def _strip_line_ends(a: np.ndarray) -> int:
    """Length of `a` without trailing CR/LF bytes."""
    kept = np.flatnonzero((a != 10) & (a != 13))
    return int(kept[-1]) + 1 if len(kept) else 0


def _parse_chunk(text: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pixels rows×784 uint8, labels int64) from whole lines ending in LF; raises _BadLine."""
    values = _decode(text)
    if values is not None:
        return _columns(values)
    raw = text.tobytes()
    if b"\r" in raw or b"." in raw:  # CRLF, or floats like "255.0": normalise, then try again
        fixed = raw.replace(b"\r\n", b"\n")
        if b"." in fixed:
            stripped = fixed.replace(b".0,", b",").replace(b".0\n", b"\n")
            fixed = _ZERO_FRACTION.sub(b"", fixed) if b"." in stripped else stripped
        values = _decode(np.frombuffer(fixed, np.uint8))
        if values is not None:
            return _columns(values)
        text = np.frombuffer(fixed, np.uint8)
    index = _first_bad_line(text)
    raise _BadLine(index, raw.split(b"\n")[index].rstrip(b"\r"))


def _columns(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return values[:, 1:].astype(np.uint8), values[:, 0].astype(np.int64)


def _decode(b: np.ndarray) -> np.ndarray | None:
    """Rows×785 uint16 from whole lines, or None when anything about them is off.

    A token's value is read off at the separator that ends it: with z the digit values (0 at
    non-digits), value = z[-1] + 10 z[-2] + 100 z[-3], the hundreds counting only when z[-2] is
    a digit, so one vectorised pass over the bytes and a single gather do all tokens at once.
    """
    lines, commas = np.count_nonzero(b == 10), np.count_nonzero(b == 44)
    z = np.empty(len(b) + 3, np.uint8)
    z[:3] = 255  # padding: three non-digits before the first byte
    np.subtract(b, np.uint8(48), out=z[3:])
    is_digit = z < 10
    # Only digits, commas and LFs, with 784 commas per line on average ...
    if np.count_nonzero(is_digit) + lines + commas != len(b) or commas != (VALUES - 1) * lines:
        return None
    is_sep = ~is_digit
    ends = np.flatnonzero(is_sep[3:])
    # ... and exactly: when every 785th separator is a LF, every line has 785 values.
    if not (b[ends[VALUES - 1::VALUES]] == 10).all():
        return None
    if (is_sep[2:-1] & is_sep[3:]).any():  # an empty value (",," or a line starting with ",")
        return None
    long = is_digit[:-3] & is_digit[1:-2]
    long &= is_digit[2:-1]
    long &= is_digit[3:]
    if long.any():  # four digits in a row cannot be a value 0-255
        return None
    z *= is_digit
    hundreds = z[:-3] * is_digit[1:-2]
    value = z[1:-2] * np.uint16(10)
    value += z[2:-1]
    value += hundreds * np.uint16(100)
    values = value[ends].reshape(lines, VALUES)
    if values[:, 0].max() > 25 or values[:, 1:].max() > 255:
        return None
    return values


def _first_bad_line(b: np.ndarray) -> int:
    """0-based index of the first line of a chunk that breaks any rule (the slow path)."""
    newline = b == 10
    line_of = np.cumsum(newline) - newline
    is_digit = (b - np.uint8(48)) < 10
    ends = np.flatnonzero(~is_digit)
    starts = np.r_[0, ends[:-1] + 1]
    lengths = ends - starts
    token_line = line_of[ends]
    first_in_line = np.r_[True, token_line[1:] != token_line[:-1]]
    ok = (lengths >= 1) & (lengths <= 3)
    values = np.zeros(len(ends), np.int64)
    for k in range(3):  # Horner over each value's digits, for the values that can be read
        has = ok & (lengths > k)
        values[has] = values[has] * 10 + b[starts[has] + k] - 48
    found = np.concatenate([
        line_of[~is_digit & ~newline & (b != 44)][:1],  # stray characters
        token_line[(lengths < 1) | (lengths > 3)][:1],  # empty or too long values
        np.flatnonzero(np.bincount(token_line, minlength=int(newline.sum())) != VALUES)[:1],
        token_line[values > np.where(first_in_line, 25, 255)][:1],  # out of range
    ])
    return int(found.min()) if len(found) else 0


def _not_text(head: bytes) -> str | None:
    """What the start of a file is when it is not text: an archive, UTF-16 text, binary data.
    Checked before any line is parsed: random bytes hold CRs and would read as bad lines."""
    if head.startswith(b"PK\x03\x04"):
        return (f"the file is a ZIP archive, not the CSV inside it; unzip it and load "
                f"{FILE_NAME!r}")
    if head.startswith(b"\x1f\x8b"):
        return "the file is gzip-compressed; decompress it first (e.g. `gunzip`)"
    if _utf16(head):
        return "the file is UTF-16 text; save it as CSV in ASCII or UTF-8"
    if _binary(head):
        return (f"the file holds binary data, not comma-separated text; expected Kaggle's "
                f"headerless A-Z CSV, {ROW}: is this the right file?")
    return None


def _binary(data: bytes) -> bool:
    """NUL bytes, or a large share of control bytes and invalid UTF-8: not text."""
    text = data.decode("utf-8", "replace")
    strange = sum(c in "\ufffd\x7f" or (c < " " and c not in "\t\n\r\f") for c in text)
    return "\0" in text or strange > ODD_SHARE * len(text)


def _utf16(head: bytes) -> bool:
    """A UTF-16 byte-order mark, or ASCII text with a NUL before or after every byte."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    even, odd = head[0::2], head[1::2]
    return len(head) >= 4 and any(not zeros.strip(b"\0") and b"\0" not in text
                                  for zeros, text in ((odd, even), (even, odd)))


def _not_plain_csv(text: bytes) -> str | None:
    """What makes a line something other than comma-separated ASCII numbers, when it is one of
    the usual culprits (each would otherwise look like a header or a bad value)."""
    if text.startswith(b"\xef\xbb\xbf"):
        return ("starts with a UTF-8 byte-order mark; save the file without it (plain ASCII or "
                "UTF-8 without BOM)")
    if _binary(text[:HEAD]):  # before the CRs that binary data holds too
        return BINARY_LINE
    if b"\r" in text.rstrip(b"\r"):
        return ("has carriage returns inside it: the file uses old Mac CR line endings; convert "
                "them to LF (e.g. `tr '\\r' '\\n'`) before loading it")
    if b"\t" in text and b"," not in text:
        return "is separated by tabs; the file must be comma-separated"
    if any(byte > 126 for byte in text[:4096]):
        return BINARY_LINE
    return None


def _describe(path: Path, line: int, text: bytes) -> str:
    """What is wrong with one line, and how to fix it."""
    where = f"{path}: line {line}"
    if problem := _not_plain_csv(text):
        return f"{where} {problem}"
    tokens = text.split(b",")
    numeric = [_NUMBER.fullmatch(t.strip()) is not None for t in tokens]
    column_names = tokens == [str(i).encode() for i in range(VALUES)]
    if line == 1 and (not numeric[0] or numeric.count(False) > 1 or column_names):
        return (f"{where} looks like a header ({_show(text)}); the file must be headerless: "
                f"delete the first line")
    if not text.strip():
        return f"{where} is empty; delete blank lines"
    if len(tokens) != VALUES:
        return (f"{where} has {len(tokens)} values, expected {VALUES} (a label and 784 pixels); "
                f"fix or delete that line")
    for i, (token, is_number) in enumerate(zip(tokens, numeric, strict=True)):
        top = 25 if i == 0 else 255
        if _VALID.fullmatch(token) and int(token.split(b".")[0]) <= top:
            continue
        what = "the label" if i == 0 else f"pixel {i - 1}"
        if is_number:
            return (f"{where}: {what} is {_show(token)}, expected an integer 0-{top}"
                    f"{' (A-Z)' if i == 0 else ''}; fix or delete that line")
        return f"{where}: {what} is not a number ({_show(token)}); fix or delete that line"
    return f"{where} cannot be read as {VALUES} integers; fix or delete that line"


def _show(text: bytes, limit: int = 40) -> str:
    shown = text.decode("utf-8", "replace")
    return repr(shown if len(shown) <= limit else shown[:limit] + "...")


def load(*, path: str | None = None, seed: int = 0, test_fraction: float = 0.2,
         cache: bool = True) -> Dataset:
    """The A-Z CSV (default data/raw/A_Z Handwritten Data.csv), split stratified by class."""
    file = Path(path) if path else paths.raw_dir() / FILE_NAME
    if not file.is_file():
        raise DataError(f"A-Z CSV not found at {file}; " + (
            "check the path= you passed" if path else
            f"download Kaggle's 'A-Z Handwritten Data' and put {FILE_NAME!r} in "
            f"{paths.raw_dir()}, or pass path= to where it is"))
    x, y = _cached_parse(file) if cache else parse_az_csv(file)
    present = np.unique(y)
    if len(present) < 2:
        raise DataError(f"{file}: every row is the letter {CLASSES[int(present[0])]}; a "
                        "classifier needs rows of at least two letters")
    x_train, y_train, x_test, y_test = stratified_split(x, y, test_fraction, seed)
    dataset, empty = drop_empty_classes(Dataset(
        x_train, y_train, x_test, y_test, classes=CLASSES, name="az-csv",
        source=(f"Kaggle's A-Z Handwritten Data ({file.name}, {len(y):,} rows), split "
                f"stratified by class {1 - test_fraction:.0%} train / {test_fraction:.0%} test "
                f"(seed {seed})")))
    if empty:
        warnings.warn(f"{file}: no rows of {', '.join(empty)}; those letters are left out",
                      DataWarning, stacklevel=2)
    return dataset


def _cached_parse(file: Path) -> tuple[np.ndarray, np.ndarray]:
    target = cache_file("az-csv", fingerprint(file, CACHE_VERSION))
    arrays = load_arrays(target)
    if arrays and {"x", "y"} <= set(arrays) and len(arrays["x"]) == len(arrays["y"]):
        return arrays["x"], arrays["y"]
    x, y = parse_az_csv(file)
    save_arrays(target, x=x, y=y)
    return x, y
