"""The data layer on NIST's real files (../shared/data/emnist or $OCR_EMNIST_DIR)."""

import hashlib
import string

import numpy as np
import pytest

from helpers.data import leakage, load_dataset, merge_lookalikes

pytestmark = [pytest.mark.emnist,
              pytest.mark.filterwarnings("ignore:EMNIST .* only the test part")]


@pytest.fixture(scope="module")
def byclass(emnist_dir):
    with pytest.warns(UserWarning, match="only the test part"):
        return load_dataset("emnist-byclass", data_dir=str(emnist_dir))


def test_byclass_counts_and_classes_from_mapping(byclass):
    assert len(byclass.x_train) + len(byclass.x_test) == 116_323
    assert byclass.classes == tuple(string.digits + string.ascii_uppercase
                                    + string.ascii_lowercase)
    counts = np.bincount(np.concatenate([byclass.y_train, byclass.y_test]), minlength=62)
    assert counts.min() == 317 and counts.max() == 6_330  # strongly imbalanced, as published
    assert byclass.x_train.dtype == np.uint8 and byclass.x_train.shape[1:] == (28, 28)


def test_byclass_merges_to_47(byclass):
    merged = merge_lookalikes(byclass)
    assert merged.num_classes == 47 and "o" not in merged.classes


def test_letters_labels_map_to_letters(emnist_dir):
    with pytest.warns(UserWarning) as caught:
        letters = load_dataset("emnist-letters", data_dir=str(emnist_dir), test_fraction=0.25)
    assert len(letters.x_train) + len(letters.x_test) == 14_800
    # The file here is the first 14,800 rows of a class-sorted split: 800 each of A..R, 400 S.
    # Letters with no image at all are left out, with a warning naming them.
    assert letters.classes == tuple(string.ascii_uppercase[:19])
    assert any("no images of T, U, V, W, X, Y, Z" in str(w.message) for w in caught)
    counts = np.bincount(np.concatenate([letters.y_train, letters.y_test]))
    assert counts.tolist() == [800] * 18 + [400]
    # A stratified split keeps every letter in both parts despite the sorted file.
    assert np.bincount(letters.y_test).tolist() == [200] * 18 + [100]


def ink_profile(dataset, char):
    k = dataset.classes.index(char)
    return dataset.x_train[dataset.y_train == k].astype(float).mean(axis=0)


def test_images_are_upright(byclass):
    mean_l = ink_profile(byclass, "L")
    cols, rows = mean_l.sum(axis=0), mean_l.sum(axis=1)
    assert cols[:12].sum() > 1.3 * cols[16:].sum()  # L: the stroke is on the left
    assert rows[16:].sum() > 1.2 * rows[:12].sum()  # and the foot at the bottom
    mean_t = ink_profile(byclass, "T")
    assert mean_t.sum(axis=1)[:12].sum() > 1.3 * mean_t.sum(axis=1)[16:].sum()  # T: bar on top


def test_mnist_split_and_leakage_audit(emnist_dir):
    digits = load_dataset("emnist-mnist", data_dir=str(emnist_dir), limit=4000, seed=3)
    assert digits.classes == tuple(string.digits)
    assert len(digits.x_train) + len(digits.x_test) == 4000
    assert set(np.bincount(digits.y_test)) <= set(range(70, 100))
    report = leakage(digits)
    assert report.test_in_train_fraction < 0.01


def test_loading_does_not_touch_the_files(emnist_dir):
    path = emnist_dir / "emnist-mnist-test-labels-idx1-ubyte.gz"
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    load_dataset("emnist-mnist", data_dir=str(emnist_dir))
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
