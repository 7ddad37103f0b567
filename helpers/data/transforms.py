"""Dataset-level transforms: NIST's 47-class merge and the duplicate (leakage) audit."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import asdict, dataclass

import numpy as np

from helpers.data.dataset import Dataset

# Letters whose upper and lower case look alike in handwriting; NIST's bymerge/balanced splits
# fold each pair into one class (Cohen et al. 2017), leaving 47 of byclass' 62.
LOOKALIKES = "cijklmopsuvwxyz"


def merge_lookalikes(dataset: Dataset) -> Dataset:
    """Fold the lower-case look-alikes into their upper-case class (62 classes -> 47).

    Classes without a look-alike partner in the dataset are left alone, so a dataset with no
    lower-case letters comes back unchanged.
    """
    classes = dataset.classes
    target = {}
    for i, c in enumerate(classes):
        if c in LOOKALIKES and c.upper() in classes:
            target[i] = classes.index(c.upper())
    if not target:
        return dataset
    kept = [i for i in range(len(classes)) if i not in target]
    new_index = {old: new for new, old in enumerate(kept)}
    lookup = np.array([new_index[target.get(i, i)] for i in range(len(classes))])
    return dataset.with_arrays(
        y_train=lookup[dataset.y_train], y_test=lookup[dataset.y_test],
        classes=tuple(classes[i] for i in kept),
        notes=dataset.notes + (f"look-alike classes merged: {len(classes)} -> {len(kept)}",))


def drop_empty_classes(dataset: Dataset) -> tuple[Dataset, list[str]]:
    """Leave out classes that have no image in either split; returns the names left out."""
    k = dataset.num_classes
    present = (np.bincount(dataset.y_train, minlength=k) + np.bincount(dataset.y_test, minlength=k)) > 0
    if present.all():
        return dataset, []
    lookup = np.cumsum(present) - 1
    empty = [c for c, p in zip(dataset.classes, present) if not p]
    return dataset.with_arrays(
        y_train=lookup[dataset.y_train], y_test=lookup[dataset.y_test],
        classes=tuple(c for c, p in zip(dataset.classes, present) if p),
        notes=dataset.notes + (f"classes with no images left out: {', '.join(empty)}",)), empty


@dataclass(frozen=True)
class Leakage:
    """Exact-duplicate images: repeats within each split, and test images also found in train."""

    train_images: int
    test_images: int
    train_repeats: int      # train images that repeat an earlier train image
    test_repeats: int       # test images that repeat an earlier test image
    test_in_train: int      # test images whose exact pixels appear in train
    conflicting_labels: int  # distinct images that carry more than one label anywhere

    @property
    def test_in_train_fraction(self) -> float:
        return self.test_in_train / self.test_images if self.test_images else 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "test_in_train_fraction": self.test_in_train_fraction}


def _digests(images: np.ndarray) -> list[bytes]:
    flat = np.ascontiguousarray(images).reshape(len(images), -1)
    return [hashlib.blake2b(row.tobytes(), digest_size=16).digest() for row in flat]


def leakage(dataset: Dataset) -> Leakage:
    """Count exact duplicates between and within train and test (a test set that repeats the
    training images measures memory, not recognition)."""
    train, test = _digests(dataset.x_train), _digests(dataset.x_test)
    train_set = set(train)
    labels: dict[bytes, set[int]] = {}
    for digest, label in zip(train + test, np.concatenate([dataset.y_train, dataset.y_test])):
        labels.setdefault(digest, set()).add(int(label))
    return Leakage(
        train_images=len(train),
        test_images=len(test),
        train_repeats=sum(n - 1 for n in Counter(train).values()),
        test_repeats=sum(n - 1 for n in Counter(test).values()),
        test_in_train=sum(d in train_set for d in test),
        conflicting_labels=sum(len(s) > 1 for s in labels.values()),
    )
