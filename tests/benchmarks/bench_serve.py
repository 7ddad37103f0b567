"""Load test of the web app on loopback: `make bench-serve` or
`.venv/bin/python tests/benchmarks/bench_serve.py [--requests N] [--concurrency C] [--model PATH]`.

Starts `python -m helpers serve` in its own process (as `make serve` does) with the best model of
the latest `make report` run, or `--model`, or else a small network trained here on the glyphs.
Then sends `--requests` uploads of a 240×320 character photo to POST /predict and of a line to
POST /read, first one at a time and then `--concurrency` at a time, and reports p50/p99 latency,
throughput and errors. The baseline, timed in the same run, is `helpers.reading.classify` and
`read` called in this process on the same bytes (no HTTP). Last, `--large` uploads of a
24-megapixel PNG (a character on a white page, a few tens of kB) `--concurrency` at a time,
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
from helpers.learn.train import set_seed, train  # noqa: E402
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
        train(model, data, 3, augment=False, verbose=0)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="requests per run (200)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests at a time (8)")
    parser.add_argument("--large", type=int, default=40,
                        help="uploads of a 24-megapixel PNG for the memory test (40; 0 skips)")
    parser.add_argument("--model", help="a saved .keras model (default: latest report's best)")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as scratch:
        model = model_path(options.model, Path(scratch))
        recognizer = Recognizer.load(model)
        data = load_dataset("glyphs", limit=2000, seed=1)
        photo = png(character_photo(data.x_test[0], np.random.default_rng(0)))
        line = png(generate_lines(data, 1, seed=0)[0].image)
        port = free_port()
        print(f"model: {model}; server on 127.0.0.1:{port}; {os.cpu_count()} CPUs", flush=True)
        server = start_server(model, port)
        errors = 0
        try:
            base = f"http://127.0.0.1:{port}"
            for path, name, body, call in (
                    ("/predict", "photo.png", photo, lambda b: classify(recognizer, b)),
                    ("/read", "line.png", line, lambda b: read(recognizer, b))):
                call(body)  # warm
                direct = []
                for _ in range(50):
                    started = time.perf_counter()
                    call(body)
                    direct.append(time.perf_counter() - started)
                baseline = statistics.median(direct)
                print(f"== POST {path} ({len(body):,}-byte {name}); in-process baseline "
                      f"median {1000 * baseline:.1f} ms", flush=True)
                load(base, path, name, body, 20, 1)  # warm the server's threads
                for concurrency in (1, options.concurrency):
                    times, failed, wall = load(base, path, name, body, options.requests,
                                               concurrency)
                    errors += failed
                    p50, p99 = percentile(times, 50), percentile(times, 99)
                    print(f"  {options.requests} requests, {concurrency} at a time: p50 "
                          f"{1000 * p50:6.1f} ms ({p50 / baseline:.1f}× baseline), p99 "
                          f"{1000 * p99:6.1f} ms, {options.requests / wall:6.1f} requests/s, "
                          f"{failed} errors", flush=True)
            if options.large:
                errors += large_load(base, server.pid, large_photo(data.x_test[0]),
                                     options.large, options.concurrency)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print("no errors" if not errors else f"{errors} requests FAILED")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
