"""The one shape every source produces, and the stratified sampling all of them share."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from helpers.errors import ConfigError, DataError

IMAGE_SIZE = 28


@dataclass(frozen=True, eq=False)
class Dataset:
    """Images as uint8 N×28×28 (upright, white ink on black), labels 0..K-1, one character per label.

    `classes[k]` is the character label `k` stands for; `source` says where the images came from
    and how they were split, in a sentence a report can quote. `groups` says, for a split that
    holds out whole groups (font faces, writers) rather than images,
    `{"grouped_by": "font", "train_groups": (...), "test_groups": (...)}`; empty otherwise.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...]
    name: str
    source: str = ""
    notes: tuple[str, ...] = field(default=())
    groups: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "classes", tuple(str(c) for c in self.classes))
        object.__setattr__(self, "groups", {k: v if isinstance(v, str) else tuple(v)
                                            for k, v in (self.groups or {}).items()})
        for part in ("train", "test"):
            x = getattr(self, f"x_{part}")
            y = np.asarray(getattr(self, f"y_{part}"))
            if not isinstance(x, np.ndarray) or x.dtype != np.uint8:
                raise DataError(f"{self.name}: x_{part} must be a uint8 numpy array, got "
                                f"{getattr(x, 'dtype', type(x).__name__)}")
            if x.ndim != 3 or x.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
                raise DataError(f"{self.name}: x_{part} must have shape (N, 28, 28), got {x.shape}")
            if y.ndim != 1 or len(y) != len(x):
                raise DataError(f"{self.name}: {len(x)} {part} images but y_{part} has shape "
                                f"{y.shape}; every image needs exactly one label")
            if y.size and not np.issubdtype(y.dtype, np.integer):
                raise DataError(f"{self.name}: y_{part} must hold integer labels, got {y.dtype}")
            if y.size and (y.min() < 0 or y.max() >= len(self.classes)):
                raise DataError(f"{self.name}: y_{part} has labels outside 0..{len(self.classes) - 1} "
                                f"(found {y.min()}..{y.max()})")
            object.__setattr__(self, f"y_{part}", y.astype(np.int64, copy=False))
        if len(self.classes) < 2:
            raise DataError(f"{self.name}: a classifier needs at least two classes, got "
                            f"{list(self.classes)}")
        if len(set(self.classes)) != len(self.classes):
            raise DataError(f"{self.name}: class names repeat: {list(self.classes)}")

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}: {len(self.x_train)} train, {len(self.x_test)} test, "
                f"{self.num_classes} classes)")

    def with_arrays(self, **changes) -> Dataset:
        """A copy with some fields replaced (validated again)."""
        return replace(self, **changes)

    def limited(self, limit: int, seed: int = 0) -> Dataset:
        """A stratified sample of at most `limit` images in all, train and test in their ratio."""
        total = len(self.x_train) + len(self.x_test)
        if limit is None or limit >= total:
            return self
        if limit < 2 * self.num_classes:
            raise DataError(f"{self.name}: limit={limit} is too small for {self.num_classes} "
                            f"classes; use at least {2 * self.num_classes}")
        n_test = round(limit * len(self.x_test) / total)
        train = stratified_sample(self.y_train, limit - n_test, seed)
        test = stratified_sample(self.y_test, n_test, seed + 1)
        return self.with_arrays(
            x_train=self.x_train[train], y_train=self.y_train[train],
            x_test=self.x_test[test], y_test=self.y_test[test],
            notes=self.notes + (f"stratified sample of {limit} of {total} images (seed {seed})",))

    def class_counts(self) -> pd.DataFrame:
        """Images per class in train and test, one row per class."""
        k = self.num_classes
        return pd.DataFrame({
            "class": list(self.classes),
            "train": np.bincount(self.y_train, minlength=k),
            "test": np.bincount(self.y_test, minlength=k),
        })

    def describe(self) -> dict:
        """The facts a report states about a dataset."""
        counts = self.class_counts()["train"]
        return {
            "name": self.name,
            "source": self.source,
            "notes": list(self.notes),
            "classes": self.num_classes,
            "train_images": int(len(self.x_train)),
            "test_images": int(len(self.x_test)),
            "smallest_class": int(counts.min()),
            "largest_class": int(counts.max()),
            "imbalance_ratio": float(counts.max() / max(counts.min(), 1)),
            "split": {"grouped_by": self.groups.get("grouped_by"),
                      "train_groups": list(self.groups.get("train_groups", ())),
                      "test_groups": list(self.groups.get("test_groups", ()))},
        }


def stratified_sample(y: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """Indices of `n` items with each class's share kept (largest remainders), in original order.

    Every class present keeps at least one item when `n` allows it.
    """
    y = np.asarray(y)
    if n >= len(y):
        return np.arange(len(y))
    rng = np.random.default_rng(seed)
    labels, counts = np.unique(y, return_counts=True)
    share = counts * n / len(y)
    take = np.floor(share).astype(int)
    if n >= len(labels):
        take = np.maximum(take, 1)
    # Hand out what rounding left over to the classes with the largest remainders.
    leftover = n - take.sum()
    order = np.argsort(-(share - np.floor(share)), kind="stable")
    for i in order:
        if leftover <= 0:
            break
        if take[i] < counts[i]:
            take[i] += 1
            leftover -= 1
    while leftover < 0:  # minimum-one rule overshot: trim the largest classes
        i = int(np.argmax(take))
        take[i] -= 1
        leftover += 1
    chosen = [rng.permutation(np.flatnonzero(y == label))[:k] for label, k in zip(labels, take)]
    return np.sort(np.concatenate(chosen))


def stratified_split(x: np.ndarray, y: np.ndarray, test_fraction: float = 0.2, seed: int = 0):
    """Split into (x_train, y_train, x_test, y_test) with every class in both parts when it can be.

    A class with a single image goes to train.
    """
    if not 0 < test_fraction < 1:
        raise ConfigError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    test_idx = []
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        k = min(max(round(len(idx) * test_fraction), 1), len(idx) - 1)
        test_idx.append(idx[:k])
    test = np.zeros(len(y), dtype=bool)
    if test_idx:
        test[np.concatenate(test_idx)] = True
    return x[~test], y[~test], x[test], y[test]
