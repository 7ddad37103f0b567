"""The embedded default dataset: shapes, determinism, imbalance, appearance, framing, labels, and
the split that holds whole font faces out of training."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from helpers.data import dataset_options, glyphs, load_dataset
from helpers.errors import DataError

SIZE = 1500


@pytest.fixture(scope="module")
def small():
    return glyphs.load(size=SIZE, seed=0)


@pytest.fixture(scope="module")
def images(small):
    return np.concatenate([small.x_train, small.x_test]).astype(np.float64)


def test_shapes_dtypes_and_class_order(small):
    assert small.name == "glyphs"
    assert small.classes == tuple("0123456789") + tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert small.x_train.dtype == np.uint8 and small.x_test.dtype == np.uint8
    assert small.x_train.shape[1:] == small.x_test.shape[1:] == (28, 28)
    assert len(small.x_train) + len(small.x_test) == SIZE
    assert abs(len(small.x_test) - 0.2 * SIZE) <= 36  # per-class rounding
    counts = small.class_counts()
    assert (counts["train"] > 0).all() and (counts["test"] > 0).all()
    assert small.source.endswith(".") and "seed 0" in small.source


def test_same_seed_same_arrays_other_seed_other_images():
    a, b = glyphs.load(size=300, seed=3), glyphs.load(size=300, seed=3)
    c = glyphs.load(size=300, seed=4)
    for part in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, part), getattr(b, part))
    assert not np.array_equal(a.x_train, c.x_train)


def test_result_does_not_depend_on_opencv_threads():
    before = cv2.getNumThreads()
    try:
        cv2.setNumThreads(1)
        glyphs._prototypes.cache_clear()
        one = glyphs.load(size=200, seed=5)
        cv2.setNumThreads(max(2, before))
        glyphs._prototypes.cache_clear()
        many = glyphs.load(size=200, seed=5)
    finally:
        cv2.setNumThreads(before)
    np.testing.assert_array_equal(one.x_train, many.x_train)


@pytest.mark.parametrize("imbalance", [1.0, 3.0, 10.0])
def test_class_sizes_sum_to_size_with_the_asked_imbalance(imbalance):
    d = glyphs.load(size=SIZE, imbalance=imbalance, seed=2)
    total = d.class_counts()[["train", "test"]].sum(axis=1).to_numpy()
    assert total.sum() == SIZE
    assert total.max() / total.min() == pytest.approx(imbalance, rel=0.1)
    if imbalance > 1:  # ranked by English text: E is the largest class, Z the smallest
        assert d.classes[int(np.argmax(total))] == "E"
        assert d.classes[int(np.argmin(total))] == "Z"


def test_class_counts_at_the_default_size():
    counts = glyphs.class_counts(24_000, 10.0)
    assert counts.sum() == 24_000
    assert counts.max() / counts.min() == pytest.approx(10.0, rel=0.02)
    balanced = glyphs.class_counts(24_000, 1.0)
    assert balanced.sum() == 24_000 and balanced.max() - balanced.min() <= 1


def test_white_ink_on_black(images):
    border = np.concatenate([images[:, :2].reshape(len(images), -1),
                             images[:, -2:].reshape(len(images), -1),
                             images[:, :, :2].reshape(len(images), -1),
                             images[:, :, -2:].reshape(len(images), -1)], axis=1)
    assert border.mean() < 10
    assert images[:, 8:20, 8:20].mean() > border.mean() + 50
    peak = images.max(axis=(1, 2))
    assert (peak > 80).all() and (peak > 150).mean() > 0.99  # ink is bright (a few thin faint)


def test_framed_like_emnist(images):
    ink = images > 128
    rows, cols = ink.any(axis=2), ink.any(axis=1)
    top, bottom = rows.argmax(1), 27 - rows[:, ::-1].argmax(1)
    left, right = cols.argmax(1), 27 - cols[:, ::-1].argmax(1)
    longest = np.maximum(bottom - top, right - left) + 1
    assert (longest <= 22).mean() > 0.99  # fitted to a 20x20 box, jitter scale up to 1.1
    assert np.median(longest) >= 16  # ...and filling it
    inside = (top >= 2) & (bottom <= 25) & (left >= 2) & (right <= 25)
    assert inside.mean() > 0.95
    ys, xs = np.indices((28, 28))
    mass = images.sum(axis=(1, 2))
    cy, cx = (images * ys).sum(axis=(1, 2)) / mass, (images * xs).sum(axis=(1, 2)) / mass
    assert abs(cy.mean() - 13.5) < 0.3 and abs(cx.mean() - 13.5) < 0.3
    assert np.hypot(cy - 13.5, cx - 13.5).max() < 2.5


def test_upright_tall_characters_are_taller_than_wide(small):
    # Rotated or transposed images would make 1 and I wide instead of tall.
    for char in "1I":
        x = small.x_train[small.y_train == small.classes.index(char)] > 128
        height = x.any(axis=2).sum(axis=1)
        width = x.any(axis=1).sum(axis=1)
        assert np.median(height) > 1.5 * np.median(width)


def test_fonts_that_lack_a_character_are_skipped_for_it(monkeypatch):
    # DejaVu Sans has no CJK ideographs: it would draw its .notdef box, which must not count.
    monkeypatch.setattr(glyphs, "TTF_FONTS", ("DejaVuSans", "cmr10"))
    monkeypatch.setattr(glyphs, "CLASSES", ("A", "\u4e00"))
    drawn = [(face, k) for face, k, _ in glyphs._ttf_drawings()]
    assert drawn == [("DejaVuSans", 0), ("cmr10", 0)]


def test_labels_are_learnable():
    d = glyphs.load(size=4000, seed=1)
    model = KNeighborsClassifier(n_neighbors=3)
    model.fit(d.x_train.reshape(len(d.x_train), -1) / 255, d.y_train)
    accuracy = model.score(d.x_test.reshape(len(d.x_test), -1) / 255, d.y_test)
    assert accuracy > 0.6  # chance is 1/36 ≈ 2.8%


@pytest.mark.parametrize(("options", "named"), [
    ({"size": 71}, "size"),
    ({"size": 2.5}, "size"),
    ({"imbalance": 0.5}, "imbalance"),
    ({"imbalance": float("nan")}, "imbalance"),
    ({"test_fraction": 0.0}, "test_fraction"),
    ({"test_fraction": 1.0}, "test_fraction"),
])
def test_bad_options_raise_a_data_error_naming_them(options, named):
    with pytest.raises(DataError, match=named):
        glyphs.load(**options)


def test_registry_sees_the_keyword_only_options():
    assert dataset_options("glyphs") == {"size": 24_000, "imbalance": 10.0, "test_fraction": 0.2,
                                         "hold_out_fonts": True}
    assert load_dataset("glyphs", size=200, seed=7).name == "glyphs"
    with pytest.raises(DataError, match="size"):
        load_dataset("glyphs", size=10)


def test_test_faces_are_held_out_of_training(small):
    faces = glyphs.fonts()
    split = small.describe()["split"]
    assert split["grouped_by"] == "font"
    assert split["test_groups"] == [f for f in faces if f in glyphs.TEST_FONTS]
    assert split["train_groups"] == [f for f in faces if f not in glyphs.TEST_FONTS]
    assert set(split["test_groups"]) == set(glyphs.TEST_FONTS)  # every held-out face draws
    assert not set(split["train_groups"]) & set(split["test_groups"])
    for face in glyphs.TEST_FONTS:
        assert face in small.source
    # A test prototype is drawn by test faces only; every other one by some training face
    # (faces that draw nothing of their own, like HersheyDuplex-Italic, do not count).
    *_, owners = glyphs._prototypes()
    test_only = glyphs._test_prototypes()
    assert test_only.any() and (~test_only).any()
    for faces_of, in_test in zip(owners, test_only):
        faces_of = faces_of & set(faces)
        assert faces_of
        assert (faces_of <= set(glyphs.TEST_FONTS)) == in_test
        assert bool(faces_of & set(split["train_groups"])) != in_test


def test_each_split_is_rendered_only_from_its_own_faces(monkeypatch):
    calls = []
    render = glyphs._render

    def spy(y, rng, allowed=None):
        images, picks = render(y, rng, allowed)
        calls.append((y, allowed, picks))
        return images, picks

    monkeypatch.setattr(glyphs, "_render", spy)
    d = glyphs.load(size=400, seed=2)
    (y_train, train_allowed, train_picks), (y_test, test_allowed, test_picks) = calls
    np.testing.assert_array_equal(y_train, d.y_train)
    np.testing.assert_array_equal(y_test, d.y_test)
    test_only = glyphs._test_prototypes()
    assert test_only[test_picks].all() and not test_only[train_picks].any()
    _, labels, *_ = glyphs._prototypes()
    np.testing.assert_array_equal(labels[test_picks], d.y_test)  # each image its own class


def test_every_class_is_in_both_splits_at_about_the_asked_share():
    d = glyphs.load(size=SIZE, seed=6, test_fraction=0.3)
    counts = d.class_counts()
    assert (counts["train"] > 0).all() and (counts["test"] > 0).all()
    assert abs(len(d.x_test) - 0.3 * SIZE) <= 36
    assert "split 70% train / 30% test by font face with seed 6" in d.source


def test_test_faces_that_miss_a_character_are_named(monkeypatch):
    monkeypatch.setattr(glyphs, "TEST_FONTS", ("HersheyScriptComplex",))  # draws no digit of
    with pytest.raises(DataError, match="no face of this split draws 0, 1, 2"):  # its own
        glyphs.load(size=200)


def test_random_split_draws_every_face_in_both_splits():
    d = glyphs.load(size=300, seed=3, hold_out_fonts=False)
    assert "at random with seed 3" in d.source and d.groups == {}
    assert d.describe()["split"] == {"grouped_by": None, "train_groups": [], "test_groups": []}
    grouped = glyphs.load(size=300, seed=3)
    np.testing.assert_array_equal(np.sort(d.y_test), np.sort(grouped.y_test))  # same shares
    assert not np.array_equal(d.x_test, grouped.x_test)


def test_distinct_faces_leave_out_italics_that_change_nothing():
    faces = glyphs.fonts()
    assert len(faces) == len(set(faces)) and set(glyphs.TTF_FONTS) <= set(faces)
    assert "HersheyComplex-Italic" in faces and "HersheySimplex-Italic" not in faces
