"""Before any training: how long the run will take at this machine's measured speed.

Each network about to train is timed for a few batches (`helpers.learn.speed`, in processes
of their own, as many at once as the chain runs notebooks, each with the threads a notebook
will have), cached by machine (CPU and GPUs), precision, threads, network code and data shape,
so a second run on the same machine measures nothing; the estimate's first line names the
device and precision they were measured in. From those speeds and the dataset's size follow
each network's seconds per epoch, its epochs (a budget's, with MINUTES) and its notebook's
time; the training stage is the notebooks packed into lanes as the chain runs them, the rest of
the run `budget.other_stages`. On this 2-core machine the total came within 6-14% of the wall clock
(glyphs by default, EMNIST bymerge with MINUTES=30, mnist with MINUTES=10). A budget's epochs
are an upper bound: an epoch of Keras' fit costs more than its timed batches (1.2-2 times on
small data), and the trainer plans from its own first epoch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from helpers.data.cache import atomic_path, cache_file, fingerprint
from helpers.learn import MOST_EPOCHS
from helpers.learn.hardware import SHARED_GPU, cpu_name, device_text, precision
from helpers.report import budget

OWN = "my_cnn"


def network_of(notebook: Path) -> str | None:
    """The network a training notebook trains (`my_cnn` for your own), None for the ablation."""
    if "_cnn_" in notebook.stem:
        return notebook.stem.split("_cnn_", 1)[1]
    return None if notebook.stem.endswith("_ablation") else OWN


# The checkout (or site-packages folder) that holds the `helpers` package.
PACKAGE_PARENT = Path(__file__).resolve().parents[2]


def _speed_key(name: str, shape, classes: int, threads: int, own: Path | None) -> str:
    code = b"".join((PACKAGE_PARENT / "helpers" / "learn" / module).read_bytes()
                    for module in ("models.py", "speed.py", "augment.py", "hardware.py"))
    if name == OWN and own is not None:
        from helpers.learn.speed import own_source

        code += own_source(own).encode()  # the network's cell, not the notebook's prose
    return fingerprint("speed", 2, name, tuple(shape), classes, threads, cpu_name(),
                       device_text(), precision(), os.environ.get("ONEDNN_MAX_CPU_ISA"), code)


def speeds(names: list[str], shape, classes: int, lanes: int, cpus: int,
           own: Path | None = None) -> dict[str, dict]:
    """Each network's measured speed (`helpers.learn.speed.measure_one`), from the cache or
    timed now in `lanes` processes at once with `cpus // lanes` threads each."""
    threads = max(1, cpus // lanes)
    found, missing = {}, []
    for name in names:
        path = cache_file("speed", _speed_key(name, shape, classes, threads, own))
        try:
            found[name] = json.loads(path.read_text())
        except (OSError, ValueError):
            missing.append(name)
    if missing:
        # Several at once share a GPU only if none takes all its memory (unless told otherwise).
        env = {**SHARED_GPU, **os.environ, "TF_NUM_INTRAOP_THREADS": str(threads),
               "TF_NUM_INTEROP_THREADS": str(threads), "TF_CPP_MIN_LOG_LEVEL": "2"}
        groups = [missing[i::lanes] for i in range(lanes) if missing[i::lanes]]

        def timed(group: list[str]) -> dict:
            command = [sys.executable, "-m", "helpers.learn.speed", ",".join(group),
                       "--shape", ",".join(map(str, shape)), "--classes", str(classes)]
            if own is not None:
                command += ["--own", str(own)]
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=True,
                                  cwd=PACKAGE_PARENT)
            return json.loads(done.stdout)

        with ThreadPoolExecutor(len(groups)) as pool:
            for measured in pool.map(timed, groups):
                for name, speed in measured.items():
                    with atomic_path(cache_file("speed", _speed_key(
                            name, shape, classes, threads, own))) as tmp:
                        tmp.write_text(json.dumps(speed))
                    found[name] = speed
    return found


@dataclass(frozen=True)
class Training:
    """One network's expected training: seconds per epoch, epochs, and its notebook's time."""

    name: str
    epoch_seconds: float
    epochs: int
    notebook_seconds: float


# An epoch of Keras' fit in a notebook costs more than its timed batches and validation: the
# callbacks (logs, a backup every epoch) and the other notebook's pipeline share the cores.
# (The README's default-run table gives the measured ratio per network.)
EPOCH_COST = 1.35


def training(name: str, speed: dict, train_images: int, test_images: int, epochs: int,
             minutes: float | None = None, seeds: int = 1) -> Training:
    """How a network trained on `train_images` (a tenth held out for validation) will go: the
    run's `epochs`, or with `minutes` the whole epochs that fit (at most `epochs`)."""
    fit_images, validation = 0.9 * train_images, 0.1 * train_images
    infer = speed["inference_seconds_per_image"]
    epoch = EPOCH_COST * ((-(-fit_images // speed["batch_size"])) * speed["batch_seconds"]
                          + validation * infer)
    fixed = speed["tracing_seconds"] + test_images * infer
    if minutes is not None:
        fits = int((minutes * 60 / seeds - fixed) // max(epoch, 1e-9))
        epochs = max(1, min(epochs, fits))
    seconds = seeds * (fixed + epochs * epoch)
    return Training(name, epoch, epochs, notebook_overhead(test_images) + seconds)


def notebook_overhead(test_images: int) -> float:
    """Seconds a training notebook spends outside its training: the kernel, the imports and the
    data, then the figures over the test split. Measured on 2 cores: 8-9 s beside 359 test
    images (digits), about 11 s beside 4,800 (glyphs), 13-21 s beside 23,264 (EMNIST bymerge).
    (`budget.OVERHEAD`, what a budget sets aside for it, is more generous.)"""
    return 9.0 + test_images * 0.35e-3


@dataclass(frozen=True)
class Workload:
    """What the training notebooks train on: the dataset's sizes, the run's balancing (the part
    of the training images NearMiss keeps, and each ablation arm's part), epochs and seeds."""

    train_images: int
    test_images: int
    shape: tuple[int, int]
    classes: int
    kept: float
    arm_shares: tuple[float, ...]
    epochs: int
    seeds: int = 1

    @classmethod
    def of(cls, config, dataset) -> Workload:
        from helpers.learn import ablation

        shares = tuple(ablation.expected_share(arm[1], dataset)
                       for arm in ablation.arms_for(config.balance))
        kept = ablation.expected_share("nearmiss", dataset) if config.balance == "nearmiss" else 1
        return cls(len(dataset.x_train), len(dataset.x_test), tuple(dataset.x_train.shape[1:3]),
                   dataset.num_classes, kept, shares, config.epochs, config.seeds)


def notebook_training(notebook: Path, speed: dict[str, dict], work: Workload,
                      minutes: float | None = None) -> Training:
    """How one training notebook will go, given each network's measured `speed` and, with a
    budget, the notebook's own training `minutes`."""
    from helpers.learn import ablation

    name = network_of(notebook)
    if name is not None:
        return training(name, speed[name], round(work.train_images * work.kept),
                        work.test_images, work.epochs, minutes, work.seeds)
    # The ablation: one network trained once per arm, a budget shared by the images each keeps.
    arms = [training(ablation.NETWORK, speed[ablation.NETWORK],
                     round(work.train_images * share), work.test_images,
                     work.epochs,
                     None if minutes is None else minutes * share / sum(work.arm_shares))
            for share in work.arm_shares]
    overhead = notebook_overhead(work.test_images)
    spent = sum(t.notebook_seconds - overhead for t in arms)
    return Training("ablation", sum(t.epoch_seconds for t in arms) / len(arms),
                    min(t.epochs for t in arms), overhead + spent)


def epoch_weights(training_notebooks: list[Path], work: Workload, lanes: int, cpus: int, *,
                  own: Path | None = None) -> dict[str, float]:
    """Each training notebook's seconds per epoch at the measured speed (the ablation's: one
    epoch of each of its arms), by notebook name."""
    from helpers.learn import ablation

    lanes = max(1, min(lanes, len(training_notebooks)))
    names = sorted({network_of(p) or ablation.NETWORK for p in training_notebooks})
    speed = speeds(names, work.shape, work.classes, lanes, cpus, own=own)
    found = {}
    for p in training_notebooks:
        name = network_of(p)
        found[p.stem] = (
            training(name, speed[name], round(work.train_images * work.kept), work.test_images,
                     1).epoch_seconds if name is not None else
            sum(training(ablation.NETWORK, speed[ablation.NETWORK],
                         round(work.train_images * share), work.test_images, 1).epoch_seconds
                for share in work.arm_shares))
    return found


def lanes_time(seconds: list[float], lanes: int) -> float:
    """When the last of these notebooks ends, largest first, each on the first free lane."""
    ends = [0.0] * max(1, lanes)
    for s in sorted(seconds, reverse=True):
        ends[ends.index(min(ends))] += s
    return max(ends)


@dataclass(frozen=True)
class Estimate:
    """The run's expected wall clock: `other` seconds outside training, the training stage
    (`networks`' notebooks packed into `lanes`), and with `minutes` the budget it was fitted to."""

    other: float
    lanes: int
    networks: list[Training]
    minutes: float | None = None
    trained_on: str = ""  # the device and precision the speeds were measured in

    @property
    def training_stage(self) -> float:
        return lanes_time([t.notebook_seconds for t in self.networks], self.lanes)

    @property
    def total(self) -> float:
        return self.other + self.training_stage

    def as_dict(self) -> dict:
        return {"minutes": self.minutes, "lanes": self.lanes, "trained_on": self.trained_on,
                "total_seconds": round(self.total, 1),
                "training_stage_seconds": round(self.training_stage, 1),
                "networks": {t.name: {"epochs": t.epochs,
                                      "epoch_seconds": round(t.epoch_seconds, 2),
                                      "notebook_seconds": round(t.notebook_seconds, 1)}
                             for t in self.networks}}

    def lines(self, hints: dict[float, list[Training]] | None = None) -> list[str]:
        """What the console says before the first epoch."""
        together = f"{self.lanes} notebook{'s' if self.lanes != 1 else ''} at a time"
        fitted = f" in MINUTES={self.minutes:g} (at most)" if self.minutes is not None else ""
        where = f" ({self.trained_on})" if self.trained_on else ""
        lines = [f"estimate at this machine's speed{where}: about {_minutes(self.total)} in all "
                 f"(training {_minutes(self.training_stage)}, {together})",
                 f"  epochs{fitted} × seconds per epoch: "
                 + ", ".join(f"{t.name} {t.epochs}×{_seconds(t.epoch_seconds)}"
                             for t in self.networks)]
        if self.minutes is not None and self.total > 1.05 * self.minutes * 60:
            over = [t.name for t in self.networks if t.epochs == 1]
            lines.append(f"  MINUTES={self.minutes:g} is too short for these data: "
                         + (f"one epoch of {', '.join(over)} takes longer than its share; "
                            if over else "")
                         + "LIMIT= (a sample), fewer MODELS= or more MINUTES= shorten it")
        for minutes, trainings in (hints or {}).items():
            lines.append(f"  MINUTES={minutes:g} would give up to "
                         + ", ".join(f"{t.name} {t.epochs}" for t in trainings) + " epochs")
        return lines


def measured_on(speed: dict[str, dict]) -> str:
    """The device and precision the networks' speeds were measured in, e.g. "NVIDIA H100
    80GB HBM3 (GPU), mixed_float16"; each combination once."""
    said = dict.fromkeys(f"{s['device']}, {s['precision']}" for s in speed.values()
                         if s.get("device") and s.get("precision"))
    return "; ".join(said)


def _seconds(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds < 3600 else f"{seconds / 3600:.1f} h"


# The budgets a student might have, offered as MINUTES= alternatives to an unbudgeted run.
SLOTS = (10, 30, 90)


def estimate(training_notebooks: list[Path], work: Workload, lanes: int, cpus: int, *,
             plan: budget.Plan | None = None, own: Path | None = None,
             hints: tuple[float, ...] = SLOTS) -> tuple[Estimate, dict[float, list[Training]]]:
    """The run's estimate for the training notebooks that will run, each with its minutes of
    the run's budget `plan` where there is one; without a plan, also what each of `hints` as
    MINUTES= would give instead."""
    from helpers.learn import ablation

    lanes = max(1, min(lanes, len(training_notebooks)))
    names = sorted({network_of(p) or ablation.NETWORK for p in training_notebooks})
    began = time.perf_counter()
    speed = speeds(names, work.shape, work.classes, lanes, cpus, own=own)
    measuring = time.perf_counter() - began
    networks = sum(1 for p in training_notebooks if network_of(p) is not None)
    other = budget.other_stages(networks, work.test_images)

    def fitted(shared: budget.Plan | None, work: Workload) -> list[Training]:
        shares = shared.training_minutes if shared is not None else {}
        return [notebook_training(p, speed, work, shares.get(p.stem)) for p in training_notebooks]

    # The run's clock also counts the measuring just done.
    found = Estimate(other + measuring, lanes, fitted(plan, work),
                     plan.minutes if plan is not None else None, measured_on(speed))
    if plan is not None:
        return found, {}
    # MINUTES= without EPOCHS= lets the time decide, up to MOST_EPOCHS.
    unbounded = replace(work, epochs=MOST_EPOCHS)
    offered: dict[float, list[Training]] = {}
    for m in hints:
        if m * 60 <= other + 60 * budget.LEAST_MINUTES * len(training_notebooks):
            continue  # not even the rest of the run fits
        trainings = fitted(budget.plan(m, training_notebooks, lanes, other), unbounded)
        offered[m] = trainings
        if all(t.epochs >= MOST_EPOCHS for t in trainings):
            break  # every network has its most epochs: a longer budget gives nothing more
    return found, offered
