"""Balancing the training split: NearMiss under-sampling or class weights (test split untouched).

`balance(dataset, method)` is the one call the notebooks make; `nearmiss` and `class_weights` are
the two methods. imbalanced-learn's multi-class NearMiss measures every class against the single
smallest class and keeps, per class, as many images as that class has.
"""

from __future__ import annotations

import inspect
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from imblearn.under_sampling import NearMiss
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.class_weight import compute_class_weight
from threadpoolctl import threadpool_limits

from helpers.data import Dataset
from helpers.errors import ConfigError, DataError

METHODS = ("nearmiss", "class-weights", "none")


@dataclass(frozen=True, eq=False)
class Balanced:
    """A balanced dataset and what balancing did: per-class train counts (Series indexed by
    class name) before and after, a sentence for the report, and the wall time in seconds.
    `class_weight` is the dict for Keras' `fit(class_weight=...)`, or None."""

    dataset: Dataset
    before: pd.Series
    after: pd.Series
    method: str
    seconds: float
    class_weight: dict[int, float] | None = None


def train_counts(dataset: Dataset, y: np.ndarray | None = None, name: str = "train") -> pd.Series:
    """Training images per class (of `y`, default the training labels), indexed by class name."""
    y = dataset.y_train if y is None else y
    counts = np.bincount(y, minlength=dataset.num_classes)
    return pd.Series(counts, index=pd.Index(dataset.classes, name="class"), name=name)


def nearmiss(dataset: Dataset, version: int = 1, n_neighbors: int = 3,
             n_neighbors_ver3: int = 3, n_jobs: int | None = None) -> Balanced:
    """Under-sample every training class to the smallest one with NearMiss-1, -2 or -3.

    NearMiss-1 keeps the images with the smallest mean distance to their `n_neighbors` nearest
    images of the smallest class, NearMiss-2 the same to the `n_neighbors` farthest, NearMiss-3
    first takes each smallest-class image's `n_neighbors_ver3` nearest images of a class, then
    keeps those farthest (mean over `n_neighbors`) from the smallest class; it can keep fewer.
    Distances are Euclidean on the raw 784 pixels, no reduction. Kept images are the original
    uint8 rows in their original order. `n_jobs` caps the threads (None or -1: all cores); on a
    machine busy with other work, n_jobs=1 can be several times faster than threads that wait
    on each other.
    """
    if version not in (1, 2, 3):
        raise ConfigError(f"nearmiss: version must be 1, 2 or 3, got {version!r}")
    for name, value in (("n_neighbors", n_neighbors), ("n_neighbors_ver3", n_neighbors_ver3)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ConfigError(f"nearmiss: {name} must be a whole number >= 1, got {value!r}; "
                              f"the usual choice is 3")
    if n_jobs is not None and n_jobs != -1 and not (isinstance(n_jobs, int) and n_jobs >= 1):
        raise ConfigError(f"nearmiss: n_jobs must be None, -1 (all cores) or a number of threads "
                          f">= 1, got {n_jobs!r}")
    before = train_counts(dataset, name="before")
    present = before[before > 0]
    if len(present) < 2:
        raise DataError(f"nearmiss: {dataset.name} has {len(present)} class(es) in its training "
                        f"split ({', '.join(present.index) or 'none'}); balancing needs at least "
                        f"two — use balance(dataset, 'none')")
    smallest, fewest = present.idxmin(), int(present.min())
    need = max(n_neighbors, n_neighbors_ver3 if version == 3 else 0)
    if fewest < need:
        raise DataError(f"nearmiss: the smallest training class {smallest!r} of {dataset.name} "
                        f"has {fewest} image(s) but NearMiss-{version} with these neighbour "
                        f"counts needs {need}; use n_neighbors (and n_neighbors_ver3) <= "
                        f"{fewest}, or method='class-weights'")

    start = time.perf_counter()
    # float64 keeps the 0..255 pixel arithmetic exact (squared distances are integers < 2**53),
    # so the ranking matches an integer reference; float32 was no faster here and reorders
    # near-ties. Brute force is what sklearn picks for 784 features anyway: one BLAS product
    # per class against the small smallest class, reduced in parallel by sklearn's OpenMP code.
    flat = dataset.x_train.reshape(len(dataset.x_train), -1).astype(np.float64)
    sampler = NearMiss(
        version=version, n_jobs=n_jobs,
        n_neighbors=NearestNeighbors(n_neighbors=n_neighbors, algorithm="brute"),
        n_neighbors_ver3=NearestNeighbors(n_neighbors=n_neighbors_ver3, algorithm="brute"))
    # sklearn's distance code runs on OpenMP threads whatever NearestNeighbors' n_jobs says,
    # so n_jobs is applied here as a thread limit.
    threads = None if n_jobs in (None, -1) else n_jobs
    with threadpool_limits(limits=threads), warnings.catch_warnings():
        # NearMiss-3 warns when a class has fewer candidates than it should keep; the note says so.
        warnings.filterwarnings("ignore", message="The number of the samples to be selected")
        sampler.fit_resample(flat, dataset.y_train)
    keep = np.sort(sampler.sample_indices_)
    seconds = time.perf_counter() - start

    label = (f"NearMiss-{version} ({n_neighbors} neighbours"
             + (f", {n_neighbors_ver3} to pre-select)" if version == 3 else ")"))
    note = f"{label}: {len(dataset.x_train):,} -> {len(keep):,} training images"
    after = train_counts(dataset, dataset.y_train[keep], "after")
    short = int(((after < fewest) & (before > 0)).sum())
    if short:
        note += (f"; {short} class(es) had fewer than {fewest} candidates near the smallest class "
                 f"and kept all of them")
    balanced = dataset.with_arrays(x_train=dataset.x_train[keep], y_train=dataset.y_train[keep],
                                   notes=dataset.notes + (note,))
    at_most = "at most " if version == 3 else ""
    method = (f"{label} on the raw 784 pixels: each class cut to {at_most}the {fewest} training "
              f"images of the smallest class ({smallest!r}) by distance to that class; test split "
              f"unchanged")
    return Balanced(balanced, before, after, method, seconds)


def class_weights(y, classes_count: int | None = None) -> dict[int, float]:
    """scikit-learn's "balanced" weights, n_samples / (n_present_classes * count), for Keras.

    With `classes_count`, every label 0..classes_count-1 gets a key; classes absent from `y` get
    1.0 (they never occur in training, so their weight is never used).
    """
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0 or not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"class_weights: y must be a non-empty 1-D array of integer labels, got "
                        f"shape {y.shape} dtype {y.dtype}")
    if y.min() < 0 or (classes_count is not None and y.max() >= classes_count):
        raise DataError(f"class_weights: labels must lie in 0..classes_count-1 "
                        f"(classes_count={classes_count}), found {y.min()}..{y.max()}; pass "
                        f"classes_count=dataset.num_classes")
    present = np.unique(y)
    weights = compute_class_weight("balanced", classes=present, y=y)
    result = {int(label): 1.0 for label in (present if classes_count is None
                                             else range(classes_count))}
    result.update({int(label): float(w) for label, w in zip(present, weights, strict=True)})
    return result


def balance(dataset: Dataset, method: str = "nearmiss", seed: int = 0, **options) -> Balanced:
    """Balance the training split by `method` ("nearmiss", "class-weights" or "none").

    Options go to `nearmiss`. Both methods are deterministic; `seed` is taken so every stage of
    the notebooks is called the same way.
    """
    if method not in METHODS:
        raise ConfigError(f"unknown balancing method {method!r}; use one of {', '.join(METHODS)}")
    if method == "nearmiss":
        allowed = list(inspect.signature(nearmiss).parameters)[1:]
        unknown = sorted(set(options) - set(allowed))
        if unknown:
            raise ConfigError(f"balance method 'nearmiss' does not take {', '.join(unknown)}; it "
                              f"takes {', '.join(allowed)}")
        return nearmiss(dataset, **options)
    if options:
        raise ConfigError(f"balance method {method!r} takes no options, got {', '.join(options)}")
    counts = train_counts(dataset)
    if method == "none":
        return Balanced(dataset, counts.rename("before"), counts.rename("after"),
                        "none: training split used as it is", 0.0)
    start = time.perf_counter()
    weights = class_weights(dataset.y_train, dataset.num_classes)
    present = {label: w for label, w in weights.items() if counts.iloc[label] > 0}
    low, high = min(present, key=present.get), max(present, key=present.get)
    text = (f"class weights n_samples / (n_classes * count) in the loss (scikit-learn 'balanced'),"
            f" from {present[low]:.2f} ({dataset.classes[low]!r}) to {present[high]:.2f} "
            f"({dataset.classes[high]!r}); training split unchanged")
    return Balanced(dataset, counts.rename("before"), counts.rename("after"), text,
                    time.perf_counter() - start, weights)
