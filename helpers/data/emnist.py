"""EMNIST, all six NIST splits, from a folder of NIST's files or NIST's official download.

NIST's layout: `emnist-<split>-{train,test}-{images-idx3,labels-idx1}-ubyte.gz` plus
`emnist-<split>-mapping.txt` (label -> ASCII code; letters lines are `label upper lower` and its
labels start at 1). Images are stored transposed. When only one part of a split is present, it is
split train/test stratified so a notebook still has both. bymerge is byclass with NIST's 15
case look-alikes merged (the same images, 47 classes), so a folder with byclass's files serves it.
"""

from __future__ import annotations

import os
import shutil
import warnings
import zipfile
from pathlib import Path

import numpy as np

from helpers import paths
from helpers.data.cache import atomic_path
from helpers.data.dataset import Dataset, stratified_split
from helpers.data.download import download as fetch_url
from helpers.data.idx import read_pair
from helpers.data.transforms import drop_empty_classes, merge_lookalikes
from helpers.errors import ConfigError, DataError, DataWarning

SPLITS = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
URL = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
SHA256 = "fb9bb67e33772a9cc0b895e4ecf36d2cf35be8b709693c3564cea2a019fcda8e"
ARCHIVE = "gzip.zip"


def default_dir() -> Path:
    return Path(os.environ.get("OCR_EMNIST_DIR") or paths.raw_dir() / "emnist")


def split_files(split: str, data_dir: Path) -> dict[str, Path]:
    stem = data_dir / f"emnist-{split}"
    return {
        "train_images": Path(f"{stem}-train-images-idx3-ubyte.gz"),
        "train_labels": Path(f"{stem}-train-labels-idx1-ubyte.gz"),
        "test_images": Path(f"{stem}-test-images-idx3-ubyte.gz"),
        "test_labels": Path(f"{stem}-test-labels-idx1-ubyte.gz"),
        "mapping": Path(f"{stem}-mapping.txt"),
    }


def read_mapping(path: Path) -> tuple[np.ndarray, tuple[str, ...]]:
    """Raw label values and the character each stands for (uppercase for letters' pairs)."""
    labels, classes = [], []
    try:
        lines = path.read_text(encoding="ascii").splitlines()
    except FileNotFoundError:
        raise DataError(f"{path}: mapping file not found") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text mapping file") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = line.split()
        try:
            values = [int(p) for p in parts]
        except ValueError:
            values = []
        if len(values) < 2 or not all(32 < v < 127 for v in values[1:]):
            raise DataError(f"{path}, line {number}: expected 'label ascii-code [ascii-code]', "
                            f"got {line!r}")
        if values[0] in labels:
            raise DataError(f"{path}, line {number}: label {values[0]} is mapped a second time "
                            f"(first to {classes[labels.index(values[0])]!r}); each label may "
                            "appear once")
        labels.append(values[0])
        classes.append(chr(values[1]))
    if len(classes) < 2:
        raise DataError(f"{path}: a mapping needs at least two classes, found {len(classes)}")
    return np.array(labels), tuple(classes)


def fetch(split: str, data_dir: Path) -> None:
    """Download NIST's archive (once) and extract this split's files into `data_dir`."""
    archive = fetch_url(URL, data_dir / ARCHIVE, SHA256)
    try:
        with zipfile.ZipFile(archive) as zf:
            members = {Path(n).name: n for n in zf.namelist()}
            for path in split_files(split, data_dir).values():
                if path.exists():
                    continue
                if path.name not in members:
                    raise DataError(f"{archive}: has no {path.name}")
                with atomic_path(path) as tmp, zf.open(members[path.name]) as src, \
                        open(tmp, "wb") as out:
                    shutil.copyfileobj(src, out)
    except zipfile.BadZipFile as e:
        raise DataError(f"{archive}: not a readable zip archive ({e})") from None


def load(*, split: str, data_dir: str | None = None, download: bool = False, seed: int = 0,
         test_fraction: float = 0.2) -> Dataset:
    """EMNIST `split` from `data_dir` (default data/raw/emnist or $OCR_EMNIST_DIR)."""
    if split not in SPLITS:
        raise ConfigError(f"unknown EMNIST split {split!r}; the splits are {', '.join(SPLITS)}")
    folder = Path(data_dir) if data_dir else default_dir()
    if split == "bymerge" and not download and not _any_present("bymerge", folder) \
            and _any_present("byclass", folder):
        return _bymerge_from_byclass(folder, seed, test_fraction)
    files = split_files(split, folder)
    have_train = files["train_images"].exists() and files["train_labels"].exists()
    have_test = files["test_images"].exists() and files["test_labels"].exists()
    if download and not (have_train and have_test and files["mapping"].exists()):
        fetch(split, folder)
        have_train = have_test = True
    if not (have_train or have_test) or not files["mapping"].exists():
        missing = ", ".join(p.name for p in files.values() if not p.exists())
        raise DataError(
            f"EMNIST {split}: missing in {folder}: {missing}. Put NIST's files there (from "
            f"{URL}, folder gzip/), pass data_dir= to where they are, or download them with "
            f"`python -m helpers.data download emnist-{split}` (or download=True)")
    raw_labels, classes = read_mapping(files["mapping"])

    def part(name: str) -> tuple[np.ndarray, np.ndarray]:
        labels_path = files[f"{name}_labels"]
        x, y = read_pair(files[f"{name}_images"], labels_path)
        upright = np.ascontiguousarray(x.transpose(0, 2, 1))  # NIST stores them transposed
        return upright, to_indices(y, raw_labels, labels_path)

    source = f"EMNIST {split} (NIST, Cohen et al. 2017) from {folder}"
    if have_train and have_test:
        (x_train, y_train), (x_test, y_test) = part("train"), part("test")
        source += ", official train/test split"
    else:
        only = "train" if have_train else "test"
        x, y = part(only)
        x_train, y_train, x_test, y_test = stratified_split(x, y, test_fraction, seed)
        source += (f"; only the {only} file is present, split {1 - test_fraction:.0%}/"
                   f"{test_fraction:.0%} stratified (seed {seed})")
        warnings.warn(f"EMNIST {split}: only the {only} part is in {folder}; using a stratified "
                      f"{1 - test_fraction:.0%}/{test_fraction:.0%} split of it", DataWarning,
                      stacklevel=3)
    dataset, empty = drop_empty_classes(Dataset(x_train, y_train, x_test, y_test, classes=classes,
                                                name=f"emnist-{split}", source=source))
    if empty:
        warnings.warn(f"EMNIST {split}: the files in {folder} hold no images of {', '.join(empty)}; "
                      f"those classes are left out ({dataset.num_classes} remain)", DataWarning,
                      stacklevel=3)
    return dataset


def _any_present(split: str, folder: Path) -> bool:
    files = split_files(split, folder)
    return files["mapping"].exists() and any(
        files[f"{part}_images"].exists() for part in ("train", "test"))


def _bymerge_from_byclass(folder: Path, seed: int, test_fraction: float) -> Dataset:
    """bymerge as NIST defines it: byclass's images with the 15 look-alike lower-case classes
    (c, i, j, k, l, m, o, p, s, u, v, w, x, y, z) folded into their capitals."""
    merged = merge_lookalikes(load(split="byclass", data_dir=str(folder), seed=seed,
                                   test_fraction=test_fraction))
    return merged.with_arrays(
        name="emnist-bymerge",
        source=merged.source.replace("EMNIST byclass", "EMNIST bymerge", 1)
        + "; from the byclass files, the look-alike classes merged (NIST's bymerge)")


def to_indices(y: np.ndarray, raw_labels: np.ndarray, path: Path) -> np.ndarray:
    """Map the file's label values (e.g. letters' 1..26) onto 0..K-1 through the mapping."""
    order = np.argsort(raw_labels)
    pos = np.searchsorted(raw_labels[order], y)
    pos = np.clip(pos, 0, len(order) - 1)
    bad = raw_labels[order][pos] != y
    if bad.any():
        raise DataError(f"{path}: label {int(y[bad][0])} is not in the mapping file "
                        f"({int(bad.sum())} such labels); mapping and labels from different splits?")
    return order[pos]
