"""What the command lines share (`python -m helpers`, `python -m helpers.data`, `python -m
helpers.report`): argparse types for counts and amounts, and the one-line `error:` and
`warning:` messages."""

from __future__ import annotations

import argparse
import re
import signal
import sys
import tempfile
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from helpers.errors import DataWarning


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def port(text: str) -> int:
    """argparse type: a TCP port, 1 to 65535."""
    value = positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a TCP port is 1 to 65535, got {value}")
    return value


def model_out(text: str) -> Path:
    """argparse type: where a trained model will be saved, checked before any training: not a
    folder, and in a folder that exists (or can be made) and can be written."""
    path = Path(text).expanduser()
    if path.suffix != ".keras":
        path = path.with_suffix(".keras")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} is a folder; name the model file to write, "
                                         f"e.g. {path / 'model.keras'}")
    folder = next((p for p in [path.parent, *path.parent.parents] if p.exists()), Path("."))
    try:  # the one sure test: a file created there (and removed at once)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise argparse.ArgumentTypeError(f"cannot write {path}: {folder} is not a writable "
                                         f"folder ({e.strerror or e})") from None
    return path


@contextmanager
def exit_on_sigterm() -> Iterator[None]:
    """Inside the block, SIGTERM (a `kill`, a closed terminal's job control, a CI timeout) exits
    through Python like Ctrl-C does, so `finally` blocks run: an atomic write in progress
    removes its temporary file instead of leaving it beside the model."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def one_line(message: object) -> str:
    """A message with its line breaks folded, so every error is exactly one line."""
    return re.sub(r"\s*[\r\n]+\s*", " ", str(message)).strip()


def print_error(error: Exception | str, file: str | None = None) -> None:
    """`error: <message>` on stderr, prefixed with `file` unless the message names it."""
    message = one_line(error)
    if file is not None and file not in message:
        message = f"{file}: {message}"
    print(f"error: {message}", file=sys.stderr)


def print_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """`warnings.showwarning` for the command lines: `warning: <message>` as one line on stderr,
    without Python's source location and code line (they point into the bundle, while the
    message names the input). A warning from elsewhere than the bundle's loaders keeps its
    category, so it can still be looked up."""
    text = one_line(message)
    if not issubclass(category, DataWarning):
        text = f"{text} ({category.__name__})"
    with suppress(OSError):  # stderr is gone (a closed pipe): lost, as Python's would be
        print(f"warning: {text}", file=file or sys.stderr)


@contextmanager
def warnings_as_lines() -> Iterator[None]:
    """Inside the block every warning shown is a `print_warning` line; after it, Python's own
    display again (only the command lines' main functions enter it, never library code)."""
    with warnings.catch_warnings():
        warnings.showwarning = print_warning
        yield
