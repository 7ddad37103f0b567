import numpy as np
import pytest

from helpers.errors import ConfigError
from helpers.data import (
    DataError,
    Dataset,
    load_dataset,
    load_from,
    stratified_sample,
    stratified_split,
)
from helpers.data.dataset import IMAGE_SIZE


def make(n_train=60, n_test=20, k=3, name="toy"):
    rng = np.random.default_rng(0)
    return Dataset(
        rng.integers(0, 256, (n_train, IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8),
        np.arange(n_train) % k,
        rng.integers(0, 256, (n_test, IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8),
        np.arange(n_test) % k,
        classes=tuple("ABC"[:k]), name=name)


def test_dataset_rejects_bad_shapes_dtypes_and_labels():
    good = make()
    with pytest.raises(DataError, match="uint8"):
        good.with_arrays(x_train=good.x_train.astype(np.float32))
    with pytest.raises(DataError, match=r"\(N, 28, 28\)"):
        good.with_arrays(x_train=np.zeros((60, 32, 32), np.uint8))
    with pytest.raises(DataError, match="60 train images but y_train"):
        good.with_arrays(y_train=good.y_train[:-1])
    with pytest.raises(DataError, match="outside 0..2"):
        good.with_arrays(y_test=good.y_test + 1)
    with pytest.raises(DataError, match="at least two classes"):
        make(k=1)
    with pytest.raises(DataError, match="repeat"):
        good.with_arrays(classes=("A", "A", "B"))


def test_stratified_sample_keeps_class_shares_and_every_class():
    y = np.array([0] * 900 + [1] * 90 + [2] * 10)
    idx = stratified_sample(y, 100, seed=3)
    assert len(idx) == 100 and len(set(idx)) == 100
    assert np.bincount(y[idx]).tolist() == [90, 9, 1]
    rare = np.array([0] * 990 + [1] * 5 + [2] * 5)
    assert set(rare[stratified_sample(rare, 10, seed=0)]) == {0, 1, 2}
    assert np.array_equal(stratified_sample(y, 100, 3), stratified_sample(y, 100, 3))
    assert not np.array_equal(stratified_sample(y, 100, 3), stratified_sample(y, 100, 4))


def test_stratified_split_puts_every_class_in_both_parts():
    y = np.array([0] * 50 + [1] * 5 + [2] * 2 + [3])
    x = np.arange(len(y))
    x_tr, y_tr, x_te, y_te = stratified_split(x, y, 0.2, seed=0)
    assert sorted(np.concatenate([x_tr, x_te]).tolist()) == x.tolist()
    assert set(y_te) == {0, 1, 2}  # the single image of class 3 stays in train
    assert np.bincount(y_te).tolist() == [10, 1, 1]
    with pytest.raises(ConfigError, match="test_fraction"):
        stratified_split(x, y, 1.5)


def test_limited_is_stratified_and_keeps_train_test_ratio():
    d = make(n_train=300, n_test=100).limited(40, seed=1)
    assert (len(d.x_train), len(d.x_test)) == (30, 10)
    assert set(d.y_train) == set(d.y_test) == {0, 1, 2}
    assert "stratified sample of 40" in d.notes[-1]
    with pytest.raises(DataError, match="too small"):
        make().limited(3)


def test_class_counts_and_describe():
    d = make(n_train=7, n_test=3)
    counts = d.class_counts()
    assert counts["train"].tolist() == [3, 2, 2] and counts["test"].tolist() == [1, 1, 1]
    facts = d.describe()
    assert facts["smallest_class"] == 2 and facts["largest_class"] == 3
    assert facts["imbalance_ratio"] == pytest.approx(1.5)


def test_unknown_dataset_lists_known_names():
    with pytest.raises(ConfigError) as e:
        load_dataset("emnist-bogus")
    for name in ("glyphs", "emnist-byclass", "az-csv", "folder", "digits", "mnist"):
        assert name in str(e.value)


def test_unknown_option_names_the_valid_ones():
    with pytest.raises(ConfigError, match="does not take option.*colour.*test_fraction"):
        load_dataset("digits", colour=True)


def test_digits_source_is_real_handwriting_framed_like_mnist():
    d = load_dataset("digits", limit=500, seed=2)
    assert d.classes == tuple("0123456789") and len(d.x_train) + len(d.x_test) == 500
    assert d.x_train.dtype == np.uint8 and d.x_train.shape[1:] == (28, 28)
    assert d.x_train[:, :4].max() == 0 and d.x_train[:, 24:].max() == 0  # 4-pixel margin
    assert d.x_train.max() > 200


def test_load_from_routes_the_location_to_the_right_option(tmp_path):
    with pytest.raises(DataError, match="takes no data location"):
        load_from("digits", str(tmp_path))
    with pytest.raises(DataError, match=f"missing in {tmp_path}"):
        load_from("emnist-digits", str(tmp_path))
    assert load_from("digits", None, limit=100).num_classes == 10
