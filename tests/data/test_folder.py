"""The image-folder dataset: both layouts, junk, errors, the cache, and a read-only input."""

from __future__ import annotations

import os
import warnings

import cv2
import numpy as np
import pytest
from PIL import Image
from support.image_trees import (
    add_junk,
    add_os_junk,
    character_image,
    make_tree,
    tree_digest,
    write_character,
)

from helpers.data import folder, load_dataset
from helpers.data.images import to_character_image
from helpers.errors import DataError, DataWarning

CLASSES = ("I", "L", "O")


def ink_box(image: np.ndarray) -> np.ndarray:
    """The image cropped to its ink and stretched to 16×16, so size and position do not matter."""
    rows, cols = np.nonzero(image > 100)
    crop = image[rows.min():rows.max() + 1, cols.min():cols.max() + 1].astype(np.float32)
    return cv2.resize(crop, (16, 16), interpolation=cv2.INTER_AREA)


def nearest_class(x: np.ndarray, classes=CLASSES) -> np.ndarray:
    """The class whose clean 64×64 drawing each image's ink looks most like."""
    prototypes = np.stack([ink_box(to_character_image(character_image(c))) for c in classes])
    boxes = np.stack([ink_box(image) for image in x])
    return ((boxes[:, None] - prototypes[None]) ** 2).sum((2, 3)).argmin(axis=1)


def load_quietly(**options):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        return folder.load(**options)


def test_single_tree_is_split_stratified_with_labels_matching_pictures(tmp_path):
    make_tree(tmp_path, CLASSES, per_class=5)
    data = load_quietly(path=str(tmp_path), seed=0)
    assert data.name == "folder" and data.classes == CLASSES
    assert len(data.x_train) == 12 and len(data.x_test) == 3
    assert np.bincount(data.y_test).tolist() == [1, 1, 1]
    assert data.x_train.dtype == np.uint8 and data.x_train.shape[1:] == (28, 28)
    for x, y in ((data.x_train, data.y_train), (data.x_test, data.y_test)):
        np.testing.assert_array_equal(nearest_class(x), y)
    assert "3 class folders" in data.source and "split 80/20 stratified, seed 0" in data.source
    assert "15 files" in data.source and "skipped" not in data.source


def test_seed_and_test_fraction_change_the_split(tmp_path):
    make_tree(tmp_path, CLASSES, per_class=10)
    a = folder.load(path=tmp_path, seed=0)
    b = folder.load(path=tmp_path, seed=1)
    c = folder.load(path=tmp_path, seed=0, test_fraction=0.5)
    assert not np.array_equal(a.x_test, b.x_test)
    assert len(c.x_test) == 15 and "split 50/50" in c.source


@pytest.mark.parametrize("names", [("Train", "Test"), ("train", "test"), ("Training", "Testing"),
                                   ("training_data", "testing_data"), ("TRAIN_DATA", "Test_Data")])
def test_given_split_in_every_spelling(tmp_path, names):
    counts = make_tree(tmp_path, CLASSES, per_class=4, split=names, test_per_class=2)
    data = load_quietly(path=tmp_path)
    assert data.classes == CLASSES
    assert (len(data.x_train), len(data.x_test)) == (counts["train"], counts["test"])
    assert np.bincount(data.y_test).tolist() == [2, 2, 2]
    np.testing.assert_array_equal(nearest_class(data.x_test), data.y_test)
    assert f"{names[0]}/{names[1]} given" in data.source


def test_a_class_missing_from_test_is_a_warning_and_classes_are_the_union(tmp_path):
    make_tree(tmp_path, ("I", "L"), per_class=3, split=("Train", "Test"), test_per_class=1)
    make_tree(tmp_path / "Train", ("O",), per_class=3)
    with pytest.warns(DataWarning, match=r"no test images for class\(es\) O"):
        data = folder.load(path=tmp_path)
    assert data.classes == CLASSES
    assert 2 not in data.y_test and np.bincount(data.y_train).tolist() == [3, 3, 3]


def test_classes_sort_digits_then_upper_then_lower(tmp_path):
    for label in ("b", "A", "7", "a"):
        write_character(tmp_path / label / "x.png", "O")
        write_character(tmp_path / label / "y.png", "O")
    assert folder.load(path=tmp_path).classes == ("7", "A", "a", "b")


def test_junk_is_skipped_with_warnings_naming_each_file(tmp_path):
    make_tree(tmp_path, CLASSES, per_class=3)
    junk = add_junk(tmp_path / "L")
    silent = add_os_junk(tmp_path / "O") + add_os_junk(tmp_path)
    (tmp_path / "L" / "readme.txt").write_text("hello")
    with pytest.warns(DataWarning) as record:
        data = folder.load(path=tmp_path)
    messages = "\n".join(str(w.message) for w in record)
    for path in [*junk, tmp_path / "L" / "readme.txt"]:
        assert str(path) in messages
    for path in silent:
        assert path.name not in messages
    assert len(data.x_train) + len(data.x_test) == 9
    assert "4 unreadable files skipped" in data.source


def test_many_unreadable_files_end_in_one_summary_warning(tmp_path):
    make_tree(tmp_path, CLASSES, per_class=2)
    for i in range(25):
        (tmp_path / "I" / f"bad{i:02}.png").write_bytes(b"")
    with pytest.warns(DataWarning) as record:
        folder.load(path=tmp_path)
    assert len(record) == folder.MAX_WARNINGS + 1
    assert "15 more unreadable files (25 in all)" in str(record[-1].message)


def test_loose_images_beside_class_folders_are_ignored_with_a_warning(tmp_path):
    make_tree(tmp_path, CLASSES, per_class=2)
    write_character(tmp_path / "stray.png", "I")
    with pytest.warns(DataWarning, match="stray.png"):
        data = folder.load(path=tmp_path)
    assert len(data.x_train) + len(data.x_test) == 6


def test_wrapper_folder_from_an_archive_is_looked_into(tmp_path):
    make_tree(tmp_path / "my-letters", CLASSES, per_class=2, split=("Train", "Test"),
              test_per_class=1)
    assert load_quietly(path=tmp_path).classes == CLASSES


def test_a_lone_train_folder_is_split_and_two_train_folders_are_an_error(tmp_path):
    make_tree(tmp_path / "training", CLASSES, per_class=5)
    with pytest.warns(DataWarning, match="no train/test partner"):
        data = folder.load(path=tmp_path)
    assert (len(data.x_train), len(data.x_test)) == (12, 3) and "split 80/20" in data.source
    make_tree(tmp_path / "Train", CLASSES, per_class=1)
    with pytest.raises(DataError, match="more than one train or test folder") as info:
        folder.load(path=tmp_path)
    assert str(tmp_path) in str(info.value)


def test_registry_loads_the_folder_source(tmp_path):
    make_tree(tmp_path, CLASSES, per_class=4)
    data = load_dataset("folder", path=str(tmp_path), seed=3)
    assert data.classes == CLASSES and "seed 3" in data.source


@pytest.mark.parametrize("case", ["none", "missing", "file", "empty", "no-subfolders",
                                  "one-class", "unreadable-class", "empty-class", "nothing"])
def test_errors_name_the_path_and_the_problem(tmp_path, case):
    expected = {
        "none": "path=", "missing": "does not exist", "file": "is not a folder",
        "empty": "is empty", "no-subfolders": "no class subfolders", "one-class": "only one class",
        "unreadable-class": "no readable image", "empty-class": "no readable image",
        "nothing": "none of the 6 files",
    }[case]
    path, named = tmp_path / "letters", tmp_path / "letters"
    if case == "missing":
        named = path = tmp_path / "nowhere"
    elif case == "file":
        path.write_text("x")
    elif case in ("empty", "no-subfolders"):
        path.mkdir()
        if case == "no-subfolders":
            write_character(path / "a.png", "I")
    elif case == "one-class":
        make_tree(path, ("I",), per_class=3)
    elif case in ("unreadable-class", "empty-class"):
        make_tree(path, CLASSES, per_class=2)
        named = path / "Q"
        if case == "unreadable-class":
            add_junk(named)
        else:
            named.mkdir()
    elif case == "nothing":
        for label in ("I", "L"):
            add_junk(path / label)
    with pytest.raises(DataError, match=expected) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        folder.load(path=None if case == "none" else str(path))
    if case != "none":
        assert str(named) in str(info.value)


def test_an_image_over_the_pixel_limit_is_an_error_naming_it(tmp_path):
    make_tree(tmp_path, CLASSES, per_class=2)
    big = write_character(tmp_path / "O" / "big.png", "O", size=(400, 300))
    with pytest.raises(DataError, match="400×300 pixels, over the 100,000-pixel limit") as info:
        folder.load(path=tmp_path, max_pixels=100_000)
    assert str(big) in str(info.value)


def test_pil_bomb_warning_in_the_worker_threads_is_an_error_too(tmp_path, monkeypatch):
    for label in ("I", "O"):
        write_character(tmp_path / label / "a.png", label, size=(64, 64))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 3_000)  # 64×64 is over it, not over 2×
    with pytest.raises(DataError, match="4,096 pixels, over the decompression-bomb limit") as info:
        folder.load(path=tmp_path, max_pixels=10**9)
    assert str(tmp_path / "I" / "a.png") in str(info.value)


def test_second_load_reads_the_cache_and_a_changed_file_invalidates_it(
        tmp_path, monkeypatch, private_project_dir):
    tree = tmp_path / "tree"
    make_tree(tree, CLASSES, per_class=4)
    first = folder.load(path=tree)
    assert list((private_project_dir / "data" / "processed").glob("folder-*.npz"))

    calls = []

    def counting(path, **kwargs):
        calls.append(path)
        return to_character_image(path, **kwargs)

    monkeypatch.setattr(folder, "to_character_image", counting)
    second = folder.load(path=tree)
    assert calls == []
    for part in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(first, part), getattr(second, part))
    assert second.source == first.source

    changed = tree / "I" / "I_0.png"
    write_character(changed, "X")
    os.utime(changed, ns=(0, changed.stat().st_mtime_ns + 10**9))
    folder.load(path=tree)
    assert len(calls) == 12, "every file is decoded again when one of them changed"

    calls.clear()
    folder.load(path=tree, cache=False)
    assert len(calls) == 12


def test_cached_load_still_warns_about_skipped_files(tmp_path):
    make_tree(tmp_path, CLASSES, per_class=2)
    junk = add_junk(tmp_path / "I")
    for _ in range(2):
        with pytest.warns(DataWarning) as record:
            data = folder.load(path=tmp_path)
        assert sorted(str(w.message).split(": ")[1].split(" is ")[0] for w in record) == sorted(
            str(path) for path in junk)
        assert "3 unreadable files skipped" in data.source


def test_cache_false_writes_nothing(tmp_path, private_project_dir):
    make_tree(tmp_path, CLASSES, per_class=2)
    folder.load(path=tmp_path, cache=False)
    assert not list(private_project_dir.rglob("*.npz"))


def test_input_tree_is_left_byte_for_byte_unchanged(tmp_path):
    make_tree(tmp_path, CLASSES, per_class=4, split=("Train", "Test"), test_per_class=2)
    add_junk(tmp_path / "Train" / "I")
    add_os_junk(tmp_path / "Test" / "L")
    before = tree_digest(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        folder.load(path=tmp_path)
        folder.load(path=tmp_path)
    assert tree_digest(tmp_path) == before
