"""Keep the console to progress bars and warnings someone can act on: `make report`, `make
model`, `python -m helpers` and the benchmarks.

TensorFlow's C++ start-up lines ("I0000 … port.cc] oneDNN custom operations are on") go to
stderr before it reads its log level, so TF_CPP_MIN_LOG_LEVEL cannot silence them; every kernel
papermill starts prints them again, together with ipykernel's warning that its local connection
is not encrypted. `filtered_stderr()` puts a line filter on file descriptor 2 itself, so it
catches what the kernels (which inherit that descriptor) and C++ libraries write, and drops only
the known lines in `NOISE`; everything else, Python warnings included, passes unchanged and at
once (a progress bar's unfinished line is not held back).
"""

from __future__ import annotations

import atexit
import os
import re
import sys
import threading
from contextlib import contextmanager

NOISE = re.compile(
    rb"\[IPKernelApp\] WARNING \| Kernel is running over TCP without encryption"
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called"
    rb"|I\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] "  # any C++ INFO line
    rb"|E\d{4} [\d:.]+ +\d+ node_def_util\.cc:\d+\] NodeDef mentions attribute"
    rb"|To enable the following instructions: [\w ]+, in other operations, rebuild TensorFlow"
    # TensorFlow's CUDA build (Colab's `tensorflow`) registers its CUDA plugins twice.
    rb"|(?:[EW]\d{4} [\d:.]+ +\d+ |\d{4}-\d\d-\d\d [\d:.]+: [EW] )\S+\.cc:\d+\] "
    rb"(?:Unable to register cu\w+ factory|computation placer already registered)")
# How those lines begin: an unfinished line that begins so waits for its end to be judged.
START = re.compile(rb"\[IPKernelApp\] |WARNING: All log messages|[IEW]\d{4} \d"
                   rb"|\d{4}-\d\d-\d\d \d|To enable the following instructions")


def split(buffer: bytes) -> tuple[bytes, bytes]:
    """(what to show now, what to hold until its line ends): noise lines are cut out, and an
    unfinished line that may become one is held.

    Noise may follow a progress bar on the same line (the bar is redrawn with a carriage return
    and no newline); then the bar stays and the noise, with its newline, goes.
    """
    *lines, tail = buffer.split(b"\n")
    shown = []
    for line in lines:
        noise = NOISE.search(line)
        shown.append(line[:noise.start()] if noise else line + b"\n")
    start = START.search(tail)
    if start:
        return b"".join(shown) + tail[:start.start()], tail[start.start():]
    return b"".join(shown) + tail, b""


def filter_text(text: str) -> str:
    """`text` as the console shows it: without the noise lines."""
    shown, held = split(text.encode())
    return (shown + (b"" if NOISE.search(held) else held)).decode()


def _write(target: int, data: bytes) -> None:
    while data:
        data = data[os.write(target, data):]


def _pump(source: int, target: int) -> None:
    held = b""
    while chunk := os.read(source, 1 << 16):
        shown, held = split(held + chunk)
        _write(target, shown)
    _write(target, b"" if NOISE.search(held) else held)  # a last line without its newline
    os.close(source)
    os.close(target)


@contextmanager
def filtered_stderr():
    """Inside the block, file descriptor 2 (this process and every child started in it) goes
    through `split` before it reaches the real stderr."""
    sys.stderr.flush()
    original = os.dup(2)
    source, sink = os.pipe()
    pump = threading.Thread(target=_pump, args=(source, os.dup(2)), daemon=True,
                            name="stderr-filter")
    pump.start()
    os.dup2(sink, 2)
    os.close(sink)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(original, 2)  # closes this process's end of the pipe
        os.close(original)
        # The pump ends when the last writer (a child still shutting down) closes its end.
        pump.join(timeout=5)


def filter_stderr_until_exit() -> None:
    """For scripts: `filtered_stderr` from now until the interpreter exits. Call it before
    TensorFlow is imported; a traceback printed at exit still gets through."""
    block = filtered_stderr()
    block.__enter__()
    atexit.register(block.__exit__, None, None, None)


def import_tensorflow_quietly() -> None:
    """Import TensorFlow with its C++ start-up notices (oneDNN, CUDA probing) kept off stderr.

    TF_CPP_MIN_LOG_LEVEL silences most of them, but not those logged before absl's logging is
    initialised (tensorflow/tensorflow#100442), so stderr itself is closed during the import.
    A failing import still raises, and its traceback is printed after stderr is back.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            try:
                import tensorflow  # noqa: F401
            finally:
                os.dup2(saved, 2)
    finally:
        os.close(saved)
