"""One call for every data source: `load_dataset(name, **options) -> Dataset`.

Each source lives in its own module with a `load(*, seed, **options)` function; this registry
checks the name and the options, loads, and applies the optional stratified `limit`.
"""

from __future__ import annotations

import importlib
import inspect

from helpers.data.dataset import Dataset, stratified_sample, stratified_split
from helpers.data.emnist import SPLITS as EMNIST_SPLITS
from helpers.data.transforms import leakage, merge_lookalikes
from helpers.errors import ConfigError, DataError, DataWarning

# name -> (module in helpers.data, fixed options, one-line description)
SOURCES: dict[str, tuple[str, dict, str]] = {
    "glyphs": ("glyphs", {}, "36 classes rendered offline from bundled fonts (default)"),
    "digits": ("digits", {}, "scikit-learn's 1,797 handwritten digits, upscaled to 28x28"),
    "az-csv": ("azcsv", {}, "Kaggle's headerless A-Z handwritten CSV (path=)"),
    "folder": ("folder", {}, "a folder of images, one subfolder per class (path=)"),
    "mnist": ("mnist", {}, "MNIST IDX files or mnist.npz (data_dir=, download=)"),
    **{
        f"emnist-{split}": ("emnist", {"split": split}, f"EMNIST {split} (data_dir=, download=)")
        for split in EMNIST_SPLITS
    },
}

__all__ = ["Dataset", "DataError", "DataWarning", "SOURCES", "leakage", "load_dataset",
           "load_from", "merge_lookalikes", "stratified_sample", "stratified_split"]


def _loader(name: str):
    if name not in SOURCES:
        known = ", ".join(SOURCES)
        raise ConfigError(f"unknown dataset {name!r}; known datasets: {known}")
    module, fixed, _ = SOURCES[name]
    load = importlib.import_module(f"helpers.data.{module}").load
    return load, fixed


def dataset_options(name: str) -> dict[str, object]:
    """The options a dataset takes, with their defaults (for --help texts and error messages)."""
    load, fixed = _loader(name)
    return {p.name: p.default for p in inspect.signature(load).parameters.values()
            if p.kind is p.KEYWORD_ONLY and p.name not in fixed and p.name != "seed"}


def load_dataset(name: str, *, limit: int | None = None, seed: int = 0, **options) -> Dataset:
    """Load a dataset by name, e.g. `load_dataset("emnist-letters", data_dir="...", limit=5000)`.

    `limit` keeps a stratified sample of that many images in all; `seed` fixes every random
    choice (generation, splits, sampling).
    """
    load, fixed = _loader(name)
    allowed = dataset_options(name)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ConfigError(f"dataset {name!r} does not take option(s) {', '.join(unknown)}; "
                          f"it takes: {', '.join(sorted(allowed)) or 'no options'}")
    options = {k: v for k, v in options.items() if v is not None}
    dataset = load(seed=seed, **fixed, **options)
    if limit is not None:
        dataset = dataset.limited(int(limit), seed=seed)
    return dataset


def load_from(name: str, location: str | None = None, *, limit: int | None = None,
              seed: int = 0) -> Dataset:
    """`load_dataset` with one location argument, as notebooks and the CLI take it: the folder
    for EMNIST/MNIST (`data_dir`), the file or folder for az-csv and folder (`path`)."""
    options = dataset_options(name)
    if location is None:
        return load_dataset(name, limit=limit, seed=seed)
    for key in ("data_dir", "path"):
        if key in options:
            return load_dataset(name, limit=limit, seed=seed, **{key: location})
    raise DataError(f"dataset {name!r} is built in and takes no data location (got {location!r})")
