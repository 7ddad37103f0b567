"""Load test of the web app on loopback: `make bench-serve` or
`.venv/bin/python tests/benchmarks/bench_serve.py [--requests N] [--concurrency C] [--model PATH]`.

Starts `python -m helpers serve` in its own process (as `make serve` does) with the best model of
the latest `make report` run, or `--model`, or else a small network trained here on the glyphs.
Then sends `--requests` uploads of a 240×320 character photo to POST /predict and of a line to
POST /read, first one at a time and then `--concurrency` at a time, and reports p50/p99 latency,
throughput and errors. The baseline is `helpers.reading.classify` and `read` called in one
process on the same bytes (no HTTP), median of 50 calls. Baseline and both loads are measured
the benchmarks' way (`support.bench_method`): each run a fresh process (a fresh server for the
loads), the three alternating, five runs of each, each one's best run compared. Last,
`--large` uploads of a 24-megapixel PNG (a character on a white page, a few tens of kB)
`--concurrency` at a time,
with the server's resident memory before and its peak during that load (Linux's
/proc/PID/status; the peak is reset first). Exits 1 on any failed request.
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(TESTS), str(TESTS.parent)]
from helpers.report.console import filter_stderr_until_exit  # noqa: E402

filter_stderr_until_exit()  # TensorFlow's C++ notices off the console

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from support.http import post_image  # noqa: E402

from helpers.data import load_dataset  # noqa: E402
from helpers.errors import DataError  # noqa: E402
from helpers.learn.inputs import framing_of  # noqa: E402
from helpers.learn.models import build_model, latest_model, save_model  # noqa: E402
from helpers.learn.recipe import Recipe  # noqa: E402
from helpers.learn.train import fit, set_seed, training_data  # noqa: E402
from helpers.reading.lines import character_photo, generate_lines  # noqa: E402
from helpers.reading.recognizer import Recognizer, classify, read  # noqa: E402


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def model_path(option: str | None, scratch: Path) -> Path:
    if option:
        return Path(option)
    try:
        return latest_model()
    except DataError:
        print("  no report model yet: training digits_small on 6,000 glyphs for 3 epochs",
              flush=True)
        data = load_dataset("glyphs", limit=6000)
        set_seed(0)
        model = build_model("digits_small", data.num_classes)
        recipe = Recipe(epochs=3, augment=False)  # the notebooks', unaugmented
        fit(model, training_data(data, recipe, seed=0), recipe, verbose=0)
        return save_model(model, scratch / "digits_small", data.classes,
                          framing=framing_of(data.x_train), dataset="glyphs")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model: Path, port: int) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, "-m", "helpers", "serve", "--model", str(model),
                               "--port", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/model", timeout=2).read()
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"the server exited with status {server.returncode}") from None
            time.sleep(0.5)
    server.kill()
    raise SystemExit("the server did not answer within 120 s")


def load(base: str, path: str, name: str, data: bytes, count: int, concurrency: int):
    """Latencies (s) of `count` requests sent `concurrency` at a time, errors, wall time."""
    def one(_):
        started = time.perf_counter()
        try:
            status, _ = post_image(base, path, name, data)
        except OSError:
            status = 0
        return time.perf_counter() - started, status

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, range(count)))
    wall = time.perf_counter() - started
    return [t for t, _ in results], sum(s != 200 for _, s in results), wall


def large_photo(character: np.ndarray, size: tuple[int, int] = (6000, 4000)) -> bytes:
    """A `size` (width, height) RGB PNG: a black character in the middle of a white page."""
    width, height = size
    page = Image.new("RGB", size, "white")
    ink = Image.fromarray(np.where(character > 127, 0, 255).astype(np.uint8))
    ink = ink.resize((height // 2, height // 2), Image.Resampling.NEAREST)
    page.paste(ink.convert("RGB"), ((width - height // 2) // 2, height // 4))
    buffer = io.BytesIO()
    page.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def memory_mb(pid: int) -> dict[str, float]:
    """A process's resident memory now (VmRSS) and at its peak (VmHWM), in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text()
                  .splitlines() if line.startswith(("VmRSS", "VmHWM")))
    return {key: int(value.split()[0]) / 1024 for key, value in fields.items()}


def reset_peak(pid: int) -> None:
    """Start VmHWM again from the current resident size (Linux 4.0+)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def large_load(base: str, pid: int, body: bytes, count: int, concurrency: int) -> int:
    """Send `count` large uploads `concurrency` at a time; print latency and the server's
    memory (idle, peak) around them. Returns the number of failed requests."""
    load(base, "/predict", "page.png", body, 2, 1)  # the first large decode grows the heap
    time.sleep(1)
    idle = memory_mb(pid)["VmRSS"]
    reset_peak(pid)
    times, failed, wall = load(base, "/predict", "page.png", body, count, concurrency)
    peak = memory_mb(pid)["VmHWM"]
    print(f"== POST /predict, 6000×4000 page ({len(body):,}-byte PNG), {count} requests, "
          f"{concurrency} at a time: p50 {1000 * percentile(times, 50):.0f} ms, "
          f"{count / wall:.1f} requests/s, {failed} errors; server memory {idle:,.0f} MB "
          f"before, peak {peak:,.0f} MB (+{peak - idle:,.0f} MB)", flush=True)
    return failed


ENDPOINTS = {"/predict": "photo.png", "/read": "line.png"}


def uploads() -> dict[str, bytes]:
    """The photo and the line every run sends (the same bytes in every process)."""
    data = load_dataset("glyphs", limit=2000, seed=1)
    return {"photo.png": png(character_photo(data.x_test[0], np.random.default_rng(0))),
            "line.png": png(generate_lines(data, 1, seed=0)[0].image)}


def measure(side: str, model: Path, requests: int) -> None:
    """One run in this process, emitted for the parent: `in-process /predict` (median seconds
    of 50 direct calls) or `HTTP C /predict` (p50 seconds of `requests` uploads, C at a time, to
    a server started for this run; p99, throughput and errors go along)."""
    from support.bench_method import emit

    kind, path = side.rsplit(" ", 1)
    name = ENDPOINTS[path]
    body = uploads()[name]
    if kind == "in-process":
        recognizer = Recognizer.load(model)
        call = (lambda b: classify(recognizer, b)) if path == "/predict" else \
            (lambda b: read(recognizer, b))
        call(body)  # warm
        direct = []
        for _ in range(50):
            started = time.perf_counter()
            call(body)
            direct.append(time.perf_counter() - started)
        emit(statistics.median(direct))
        return
    concurrency = int(kind.split()[1])
    port = free_port()
    server = start_server(model, port)
    try:
        base = f"http://127.0.0.1:{port}"
        load(base, path, name, body, 20, 1)  # warm the server's threads
        times, failed, wall = load(base, path, name, body, requests, concurrency)
    finally:
        server.terminate()
        server.wait(timeout=30)
    emit(percentile(times, 50), p99=percentile(times, 99), rate=requests / wall, errors=failed)


def latency(model: Path, options) -> int:
    """Each endpoint's baseline and loads, compared the benchmarks' way; failed requests."""
    from support import bench_method

    errors = 0
    command = bench_method.script_command(__file__, "--model", str(model), "--requests",
                                          str(options.requests))
    for path, name in ENDPOINTS.items():
        sides = [f"in-process {path}", f"HTTP 1 {path}", f"HTTP {options.concurrency} {path}"]
        print(f"== POST {path} ({name}): {options.runs} runs of each, fresh processes, "
              "alternating", flush=True)
        runs = bench_method.compare(command, sides, runs=options.runs, higher_is_better=False,
                                    progress=None)
        baseline = runs[sides[0]].best
        print(f"  in-process baseline: best median {1000 * baseline:.1f} ms (runs: "
              + ", ".join(f"{1000 * v:.1f}" for v in runs[sides[0]].values) + ")")
        for side in sides[1:]:
            result = runs[side]
            best = result.values.index(result.best)
            extra = result.extras[best]
            errors += sum(e["errors"] for e in result.extras)
            print(f"  {options.requests} requests, {side.split()[1]} at a time: best p50 "
                  f"{1000 * result.best:6.1f} ms ({result.best / baseline:.1f}× baseline), "
                  f"its p99 {1000 * extra['p99']:6.1f} ms, {extra['rate']:6.1f} requests/s; "
                  f"p50 of every run: " + ", ".join(f"{1000 * v:.1f}" for v in result.values)
                  + f" ms; {sum(e['errors'] for e in result.extras)} errors", flush=True)
    return errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="requests per run (200)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests at a time (8)")
    parser.add_argument("--large", type=int, default=40,
                        help="uploads of a 24-megapixel PNG for the memory test (40; 0 skips)")
    parser.add_argument("--model", help="a saved .keras model (default: latest report's best)")
    parser.add_argument("--runs", type=int, default=5,
                        help="fresh-process runs of the baseline and of each load (5)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # one run, in a child process
    options = parser.parse_args(argv)
    if options.measure:
        measure(options.measure, Path(options.model), options.requests)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as scratch:
        model = model_path(options.model, Path(scratch))
        print(f"model: {model}; {os.cpu_count()} CPUs", flush=True)
        errors = latency(model, options)
        if options.large:
            port = free_port()
            server = start_server(model, port)
            try:
                character = load_dataset("glyphs", limit=2000, seed=1).x_test[0]
                errors += large_load(f"http://127.0.0.1:{port}", server.pid,
                                     large_photo(character), options.large,
                                     options.concurrency)
            finally:
                server.terminate()
                server.wait(timeout=30)
    print("no errors" if not errors else f"{errors} requests FAILED")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
