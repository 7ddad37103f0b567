"""A folder of images with one subfolder per class (optionally under Train/ and Test/) as a Dataset.

The subfolder name is the character. Decoded images are cached in data/processed, keyed by the
file list with sizes and mtimes, so a second load of an unchanged folder skips decoding. The input
folder is only ever read.
"""

from __future__ import annotations

import os
import unicodedata
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image
from tqdm import tqdm

from helpers.data import cache as array_cache
from helpers.data.dataset import IMAGE_SIZE, Dataset, stratified_split
from helpers.data.images import MAX_PIXELS, TooManyPixels, to_character_image
from helpers.errors import ConfigError, DataError, DataWarning

EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
TRAIN_NAMES = frozenset({"train", "training", "train_data", "training_data"})
TEST_NAMES = frozenset({"test", "testing", "test_data", "testing_data"})
JUNK = frozenset({".ds_store", "thumbs.db", "desktop.ini", "__macosx"})  # OS droppings
MAX_WARNINGS = 10  # one warning per unreadable file up to this many, then a single summary
CACHE_VERSION = 1  # bump when decoding changes, so that older caches are not reused


class FileEntry(NamedTuple):
    part: str  # "train", "test", or "all" (to be split)
    folder: Path  # the class folder; its name is the class
    path: Path
    size: int
    mtime_ns: int


def _visible(name: str) -> bool:
    return not name.startswith(".") and name.lower() not in JUNK


def _subfolders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and _visible(p.name))


def class_name(folder: Path) -> str:
    """The character a class folder stands for: its name in Unicode's composed form (NFC), so
    "é" typed as one code point or as e plus an accent is one class."""
    return unicodedata.normalize("NFC", folder.name)


def _same_class_twice(folders: list[Path]) -> None:
    seen: dict[str, Path] = {}
    for folder in folders:
        name = class_name(folder)
        if name in seen:
            raise DataError(f"{seen[name]} and {folder} are the same class name written two "
                            "ways (Unicode composed and decomposed); merge them into one folder")
        seen[name] = folder


def _split_name(folder: Path) -> str:
    return folder.name.lower().replace("-", "_").replace(" ", "_")


def _layout(root: Path) -> dict[str, Path]:
    """{"train": folder, "test": folder} when the split is given, else {"all": root}."""
    folders = _subfolders(root)
    train = [p for p in folders if _split_name(p) in TRAIN_NAMES]
    test = [p for p in folders if _split_name(p) in TEST_NAMES]
    if len(train) > 1 or len(test) > 1:
        names = ", ".join(p.name for p in train + test)
        raise DataError(f"{root} has more than one train or test folder ({names}); "
                        f"keep one of each")
    if train and test:
        extra = [p.name for p in folders if p not in (train[0], test[0])]
        if extra:
            warnings.warn(f"{root}: ignoring folder(s) beside {train[0].name}/{test[0].name}: "
                          f"{', '.join(extra)}", DataWarning, stacklevel=3)
        return {"train": train[0], "test": test[0]}
    if train or test:
        only = (train or test)[0]
        warnings.warn(f"{root}: {only.name} has no train/test partner; splitting it instead",
                      DataWarning, stacklevel=3)
        return {"all": only}
    # An archive often unpacks into one wrapper folder: look inside it.
    if len(folders) == 1 and _subfolders(folders[0]):
        return _layout(folders[0])
    return {"all": root}


def _scan(parts: dict[str, Path]) -> tuple[list[FileEntry], list[Path]]:
    """Every visible file in the class folders (recursively, sorted), and the class folders."""
    files, class_dirs = [], []
    for part, folder in parts.items():
        classes = _subfolders(folder)
        if not classes:
            what = "is empty" if not any(folder.iterdir()) else "has no class subfolders"
            raise DataError(f"{folder} {what}; put each class's images in a subfolder named "
                            f"after the character, e.g. {folder / 'A' / '001.png'}")
        loose = [p.name for p in folder.iterdir()
                 if p.is_file() and _visible(p.name) and p.suffix.lower() in EXTENSIONS]
        if loose:
            warnings.warn(f"{folder}: ignoring {len(loose):,} image(s) outside the class "
                          f"subfolders (e.g. {loose[0]})", DataWarning, stacklevel=3)
        _same_class_twice(classes)
        class_dirs += classes
        for class_dir in classes:
            for dirpath, dirnames, filenames in os.walk(class_dir):
                dirnames[:] = sorted(d for d in dirnames if _visible(d))
                for name in sorted(filter(_visible, filenames)):
                    path = Path(dirpath, name)
                    st = path.stat()
                    files.append(FileEntry(part, class_dir, path, st.st_size, st.st_mtime_ns))
    return files, class_dirs


def _read_one(path: Path, max_pixels: int) -> tuple[np.ndarray | None, str | None]:
    if path.suffix.lower() not in EXTENSIONS:
        return None, f"{path} is not an image file ({path.suffix or 'no extension'})"
    try:
        return to_character_image(path, max_pixels=max_pixels), None
    except TooManyPixels:
        raise
    except DataError as e:
        return None, str(e)


def _decode(files: list[FileEntry], max_pixels: int, desc: str) -> tuple[np.ndarray, list, list]:
    """(images, indices of the files they came from, problems with the rest), in file order."""
    images, kept, skipped = [], [], []
    # PIL only warns about a bomb under its own limit; make that an error the workers can catch.
    # (catch_warnings is not thread-safe, so it wraps the whole pool, in this thread only.)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        pool = ThreadPoolExecutor()  # PIL and OpenCV release the GIL while decoding
        try:
            futures = [pool.submit(_read_one, f.path, max_pixels) for f in files]
            for i, future in enumerate(tqdm(futures, desc=desc, unit="image", leave=False)):
                image, problem = future.result()
                if image is None:
                    skipped.append(problem)
                else:
                    images.append(image)
                    kept.append(i)
        finally:
            pool.shutdown(cancel_futures=True)
    x = np.stack(images) if images else np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    return x, kept, skipped


def _decode_cached(root: Path, files: list[FileEntry], max_pixels: int, use_cache: bool):
    listing = [(str(f.path.relative_to(root)), f.size, f.mtime_ns) for f in files]
    key = array_cache.fingerprint("folder", CACHE_VERSION, str(root.resolve()), listing, max_pixels)
    path = array_cache.cache_file("folder", key)
    cached = array_cache.load_arrays(path) if use_cache else None
    if cached and {"x", "kept", "skipped"} <= set(cached):
        x, kept = cached["x"], cached["kept"].tolist()
        if len(x) == len(kept) and all(0 <= i < len(files) for i in kept):
            return x, kept, cached["skipped"].tolist()
    x, kept, skipped = _decode(files, max_pixels, desc=f"images in {root.name}")
    if use_cache:
        try:
            array_cache.save_arrays(path, x=x, kept=np.asarray(kept, dtype=np.int64),
                                    skipped=np.asarray(skipped, dtype=str))
        except OSError as e:  # a read-only checkout still loads, only slower next time
            warnings.warn(f"could not cache {root} in {path}: {e}", DataWarning, stacklevel=3)
    return x, kept, skipped


def _warn_skipped(skipped: list[str]) -> None:
    for problem in skipped[:MAX_WARNINGS]:
        warnings.warn(f"skipped unreadable file: {problem}", DataWarning, stacklevel=3)
    if len(skipped) > MAX_WARNINGS:
        warnings.warn(f"skipped {len(skipped) - MAX_WARNINGS:,} more unreadable files "
                      f"({len(skipped):,} in all)", DataWarning, stacklevel=3)


def _check_classes(root: Path, files: list[FileEntry], class_dirs: list[Path],
                   kept: list[int]) -> None:
    if not kept:
        raise DataError(f"none of the {len(files):,} files under {root} is a readable image; "
                        f"supported types: {', '.join(sorted(EXTENSIONS))}")
    readable = {files[i].folder for i in kept}
    empty = [str(folder) for folder in class_dirs if folder not in readable]
    if empty:
        raise DataError(f"class folder(s) with no readable image: {', '.join(empty[:5])}"
                        f"{' …' if len(empty) > 5 else ''}; add images or remove the folder")


def load(*, path: str | None = None, seed: int = 0, test_fraction: float = 0.2,
         max_pixels: int = MAX_PIXELS, cache: bool = True) -> Dataset:
    """Images under `path`, one subfolder per class, with Train/ and Test/ parents or split here."""
    if path is None:
        raise DataError("the folder dataset needs path=: a folder with one subfolder of images "
                        "per class, e.g. load_dataset('folder', path='data/raw/my-letters')")
    root = Path(path).expanduser()
    if not root.exists():
        raise DataError(f"{root} does not exist; check path=")
    if not root.is_dir():
        raise DataError(f"{root} is not a folder; path= must be a folder of class subfolders")
    if max_pixels < 1:
        raise ConfigError(f"max_pixels must be positive, got {max_pixels}")
    if not 0 < test_fraction < 1:  # checked now rather than after decoding a big folder
        raise ConfigError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    parts = _layout(root)
    files, class_dirs = _scan(parts)
    x, kept, skipped = _decode_cached(root, files, max_pixels, cache)
    _warn_skipped(skipped)
    _check_classes(root, files, class_dirs, kept)

    classes = tuple(sorted({class_name(folder) for folder in class_dirs}))
    if len(classes) < 2:
        raise DataError(f"{root} has only one class folder ({classes[0]}); a classifier needs "
                        f"at least two")
    index = {label: k for k, label in enumerate(classes)}
    y = np.array([index[class_name(files[i].folder)] for i in kept], dtype=np.int64)
    notes = []
    if "all" in parts:
        x_train, y_train, x_test, y_test = stratified_split(x, y, test_fraction, seed)
        percent = round(test_fraction * 100)
        how = f"split {100 - percent}/{percent} stratified, seed {seed}"
    else:
        in_test = np.array([files[i].part == "test" for i in kept], dtype=bool)
        x_train, y_train, x_test, y_test = x[~in_test], y[~in_test], x[in_test], y[in_test]
        how = f"{parts['train'].name}/{parts['test'].name} given"
        for part, labels in (("test", y_test), ("train", y_train)):
            present = set(labels.tolist())
            missing = [c for k, c in enumerate(classes) if k not in present]
            if missing:
                notes.append(f"no {part} images for class(es) {', '.join(missing)}")
                warnings.warn(f"{parts[part]}: {notes[-1]}", DataWarning, stacklevel=2)
    source = (f"image folder {root}: {len(kept):,} files in {len(classes)} class folders, {how}"
              + (f"; {len(skipped):,} unreadable files skipped" if skipped else ""))
    return Dataset(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
                   classes=classes, name="folder", source=source, notes=tuple(notes))
