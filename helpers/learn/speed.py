"""How fast this machine trains and runs each network: a few timed steps, before a run.

`measure(names, ...)` builds each network for the data's shape and classes, traces its
training step on random images through the augmentation pipeline, then times `steps` training
batches and a few inference batches. `python -m helpers.learn.speed` does it in a process of
its own, so that the chain can time networks with the threads each notebook will have
(`TF_NUM_INTRAOP_THREADS`) while the chain's own TensorFlow stays idle; its JSON goes to
stdout. A network written in a notebook is measured by executing that notebook's cell tagged
`your-network`, the function it defines being the builder.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import nbformat
import numpy as np

OWN_TAG = "your-network"


def own_source(notebook: Path) -> str:
    """The source of the notebook's `your-network` cell: the student's network, nothing else
    of the notebook (an answer written there changes no speed); "" without such a cell."""
    nb = nbformat.read(notebook, as_version=4)
    return next((c.source for c in nb.cells if OWN_TAG in c.metadata.get("tags", [])), "")


def own_builder(notebook: Path):
    """The function the notebook's `your-network` cell defines (the first callable it adds)."""
    names: dict = {}
    exec(compile(own_source(notebook), str(notebook), "exec"), names)  # noqa: S102 - the student's cell
    return next(v for k, v in names.items() if callable(v) and not k.startswith("_")
                and getattr(v, "__module__", None) is None)


def measure_one(name: str, shape: tuple[int, int], num_classes: int, *, batch_size: int = 128,
                steps: int = 5, builder=None) -> dict:
    """Seconds per training batch (median of `steps` after two to trace and warm up), with
    the time the pipeline takes to make an augmented batch (on a small network that costs more
    than the step), seconds of that tracing, seconds per image of inference, and the device and
    precision that ran them."""
    import keras

    from helpers.learn.augment import pipeline
    from helpers.learn.hardware import device_text, precision
    from helpers.learn.models import build_model

    chosen = precision()
    model = build_model(name, num_classes, precision=chosen, builder=builder)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (batch_size * (steps + 2), *shape), dtype=np.uint8)
    y = rng.integers(0, num_classes, len(x))
    batches = iter(pipeline(x, y, batch_size=batch_size, augment=True, shuffle=False))
    started = time.perf_counter()
    for _ in range(2):
        model.train_on_batch(*next(batches))
    tracing = time.perf_counter() - started
    times = []
    for _ in range(steps):
        xb, yb = next(batches)
        began = time.perf_counter()
        model.train_on_batch(xb, yb)
        times.append(time.perf_counter() - began)
    # The augmented batches on their own: while a core trains, making the next batch takes
    # the same cores (prefetching hides it only where a core is idle).
    made = iter(pipeline(x, y, batch_size=batch_size, augment=True, shuffle=False))
    next(made)
    began = time.perf_counter()
    for _ in range(steps):
        next(made)
    making = (time.perf_counter() - began) / steps
    images = (x[:512].astype("float32") / 255.0)[..., None]
    model.predict_on_batch(images)  # traced
    began = time.perf_counter()
    model.predict_on_batch(images)
    infer = (time.perf_counter() - began) / len(images)
    return {"batch_seconds": statistics.median(times) + making, "tracing_seconds": tracing,
            "batch_size": batch_size, "inference_seconds_per_image": infer,
            "device": device_text(), "precision": chosen}


def within(recipe, network: str, dataset, seconds: float):
    """`recipe` with the whole epochs that fit in `seconds` on this machine (at most its own),
    from a few timed batches of `network` (`helpers.learn.speed`): a cosine schedule has to
    know where it ends. An epoch costs about a fifth more than its timed batches (validation,
    the pipeline)."""
    speed = measure_one(network, dataset.x_train.shape[1:], dataset.num_classes,
                        batch_size=recipe.batch_size)
    steps = -(-round(len(dataset.x_train) * (1 - recipe.validation_fraction))
              // recipe.batch_size)
    epoch = 1.2 * steps * speed["batch_seconds"]
    fits = int((seconds - speed["tracing_seconds"]) // max(epoch, 1e-9))
    return replace(recipe, epochs=max(1, min(recipe.epochs, fits)))


def measure(names: list[str], shape: tuple[int, int], num_classes: int, *,
            own: Path | None = None, steps: int = 5) -> dict[str, dict]:
    """`measure_one` for each name; `own` is the notebook whose network is named `my_cnn`."""
    found = {}
    for name in names:
        builder = own_builder(own) if own is not None and name == "my_cnn" else None
        found[name] = measure_one("baseline" if builder else name, shape, num_classes,
                                  steps=steps, builder=builder)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.learn.speed",
                                     description="Time a few training steps of each network on "
                                                 "this machine; JSON on stdout.")
    parser.add_argument("names", help="comma-separated network names (my_cnn: --own's)")
    parser.add_argument("--shape", default="28,28", help="image height,width (default 28,28)")
    parser.add_argument("--classes", type=int, required=True, help="number of classes")
    parser.add_argument("--own", type=Path, help="the notebook that defines my_cnn")
    parser.add_argument("--steps", type=int, default=5, help="timed batches (default 5)")
    args = parser.parse_args(argv)
    height, width = (int(v) for v in args.shape.split(","))
    found = measure([n for n in args.names.split(",") if n], (height, width), args.classes,
                    own=args.own, steps=args.steps)
    json.dump(found, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
