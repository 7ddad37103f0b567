"""Dataset-level transforms: NIST's 47-class merge and the leakage audit (exact copies and
near-duplicates of training images in the test split)."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import asdict, dataclass

import cv2
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


# Near-duplicates: two images whose 14x14 thumbnails, each centred on its ink's centre of mass,
# correlate at NEAR_THRESHOLD or more look the same to the eye (one drawing, shifted, re-noised
# or re-blurred); a rotation or shear of a few degrees, or another face, falls below it.
NEAR_SIZE = 14
NEAR_THRESHOLD = 0.99
NEAR_METHOD = (f"Pearson correlation of {NEAR_SIZE}x{NEAR_SIZE} thumbnails centred on the ink's "
               "centre of mass, nearest training image of the same class")


@dataclass(frozen=True)
class Leakage:
    """Exact-duplicate images: repeats within each split, and test images also found in train;
    near-duplicates: test images with a training image of their class that looks the same."""

    train_images: int
    test_images: int
    train_repeats: int      # train images that repeat an earlier train image
    test_repeats: int       # test images that repeat an earlier test image
    test_in_train: int      # test images whose exact pixels appear in train
    conflicting_labels: int  # distinct images that carry more than one label anywhere
    test_near_train: int = 0  # test images with a same-class train image within the threshold
    near_threshold: float = NEAR_THRESHOLD
    near_method: str = NEAR_METHOD

    @property
    def test_in_train_fraction(self) -> float:
        return self.test_in_train / self.test_images if self.test_images else 0.0

    @property
    def test_near_train_fraction(self) -> float:
        return self.test_near_train / self.test_images if self.test_images else 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "test_in_train_fraction": self.test_in_train_fraction,
                "test_near_train_fraction": self.test_near_train_fraction}


def _digests(images: np.ndarray) -> list[bytes]:
    flat = np.ascontiguousarray(images).reshape(len(images), -1)
    return [hashlib.blake2b(row.tobytes(), digest_size=16).digest() for row in flat]


def thumbnails(images: np.ndarray) -> np.ndarray:
    """N×196 float32 rows: each image shifted to put its ink's centre of mass at the centre,
    averaged down to 14x14, minus its mean, scaled to unit length (a row of zeros for an image
    without ink), so the dot product of two rows is their pixels' Pearson correlation."""
    x = np.asarray(images, np.float32)
    n, size = len(x), x.shape[1]
    mass = x.sum(axis=(1, 2))
    ys, xs = np.indices((size, size), dtype=np.float32)
    safe = np.where(mass > 0, mass, 1)
    centre = (size - 1) / 2
    shift_x = np.where(mass > 0, centre - (x * xs).sum(axis=(1, 2)) / safe, 0)
    shift_y = np.where(mass > 0, centre - (x * ys).sum(axis=(1, 2)) / safe, 0)
    centred = np.empty_like(x)
    for i in range(n):
        matrix = np.float32([[1, 0, shift_x[i]], [0, 1, shift_y[i]]])
        cv2.warpAffine(x[i], matrix, (size, size), dst=centred[i], flags=cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    f = size // NEAR_SIZE
    rows = centred[:, :f * NEAR_SIZE, :f * NEAR_SIZE].reshape(n, NEAR_SIZE, f, NEAR_SIZE, f)
    rows = rows.mean(axis=(2, 4)).reshape(n, -1)
    rows -= rows.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.divide(rows, norm, out=np.zeros_like(rows), where=norm > 1e-6)


def nearest_train_similarity(dataset: Dataset, chunk: int = 4_000_000) -> np.ndarray:
    """For each test image, the highest correlation (`thumbnails`) with a training image of its
    class; -1 where its class has no training image. One matrix product per class, in chunks of
    about `chunk` similarities."""
    test, train = thumbnails(dataset.x_test), thumbnails(dataset.x_train)
    best = np.full(len(test), -1.0, np.float32)
    for k in np.unique(dataset.y_test):
        rows, pool = np.flatnonzero(dataset.y_test == k), train[dataset.y_train == k]
        if not len(pool):
            continue
        step = max(1, chunk // len(pool))
        for start in range(0, len(rows), step):
            part = rows[start:start + step]
            best[part] = (test[part] @ pool.T).max(axis=1)
    return best


def leakage(dataset: Dataset, near_threshold: float = NEAR_THRESHOLD) -> Leakage:
    """Count exact duplicates between and within train and test, and test images with a
    near-duplicate in train: a training image of the same class, identical or correlating at
    `near_threshold` or more (`nearest_train_similarity`). A test set that repeats the training
    images measures memory, not recognition."""
    train, test = _digests(dataset.x_train), _digests(dataset.x_test)
    train_set = set(train)
    labels: dict[bytes, set[int]] = {}
    for digest, label in zip(train + test, np.concatenate([dataset.y_train, dataset.y_test])):
        labels.setdefault(digest, set()).add(int(label))
    train_pairs = set(zip(train, dataset.y_train.tolist()))
    copies = np.array([pair in train_pairs for pair in zip(test, dataset.y_test.tolist())], bool)
    near = copies | (nearest_train_similarity(dataset) >= near_threshold)
    return Leakage(
        train_images=len(train),
        test_images=len(test),
        train_repeats=sum(n - 1 for n in Counter(train).values()),
        test_repeats=sum(n - 1 for n in Counter(test).values()),
        test_in_train=sum(d in train_set for d in test),
        conflicting_labels=sum(len(s) > 1 for s in labels.values()),
        test_near_train=int(near.sum()),
        near_threshold=float(near_threshold),
    )


NOTABLE_SHARE = 0.01  # a share of the test split above which copies colour its accuracy


def _siblings(first: str, second: str) -> bool:
    """Whether two face names are members of one family: the same name before a style
    suffix ("DejaVuSans-Bold", "DejaVuSans"), or one family's other cut ("HersheyScriptComplex",
    "HersheyScriptSimplex")."""
    def family(name: str) -> str:
        for suffix in ("Complex", "Simplex", "Duplex", "Triplex", "Plain"):
            name = name.replace(suffix, "")
        return name.split("-")[0]
    return first != second and len(family(first)) >= 5 and family(first) == family(second)


def split_summary(facts: dict) -> str:
    """What the test split measures, in sentences for a report, from a `dataset.json`
    (`Dataset.describe()` plus `"leakage": leakage(...).as_dict()`): whether whole faces
    (or writers) are held out and which, how many test images are exact copies of a training
    image and how many have a near-duplicate of their class there."""
    split, leak = facts.get("split") or {}, facts.get("leakage") or {}
    kind, test_groups = split.get("grouped_by"), split.get("test_groups") or []
    train_groups = split.get("train_groups") or []
    one, noun = {"font": ("face", "faces")}.get(kind, (kind, f"{kind}s"))
    if kind:
        siblings = [g for g in test_groups if any(_siblings(g, t) for t in train_groups)]
        parts = [f"The test split holds out whole {noun}: its {facts.get('test_images', 0):,} "
                 f"images come only from {len(test_groups)} {noun} never used for training, "
                 f"the {facts.get('train_images', 0):,} training images from the other "
                 f"{len(train_groups)}"
                 + (f"; {len(siblings)} of the {len(test_groups)} are another weight, slant or "
                    f"variant of a family seen in training ({', '.join(siblings)}), so they are "
                    f"new {noun}, not new designs." if siblings else ".")]
    else:
        parts = ["The split holds out no font or writer, so a test image may share its font or "
                 "writer with training images."]
    if not leak:
        return parts[0]
    exact, exact_share = leak.get("test_in_train", 0), leak.get("test_in_train_fraction", 0.0)
    audit = f"{exact:,} test images ({exact_share:.1%}) are exact copies of a training image"
    near_share = leak.get("test_near_train_fraction")
    if near_share is not None:
        audit += (f", and {leak.get('test_near_train', 0):,} ({near_share:.1%}) have a "
                  f"near-duplicate of their class in training ({leak.get('near_method', '')} "
                  f"at least {leak.get('near_threshold', 0):g})")
    if exact_share > NOTABLE_SHARE:
        audit += ", so the test accuracy partly measures memory."
    elif kind:
        audit += (f"; no test image comes from a training {one}, so the test accuracy "
                  f"measures recognition of {noun} the networks have not seen"
                  + (", some of which draw a character almost as a training one does."
                     if near_share else "."))
    elif near_share is not None and near_share > NOTABLE_SHARE:
        audit += (", so part of the test accuracy may come from recognising near-copies of "
                  "training images rather than unseen characters.")
    else:
        audit += "."
    return f"{parts[0]} {audit[0].upper()}{audit[1:]}"
