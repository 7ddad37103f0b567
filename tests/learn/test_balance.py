"""Balancing the training split: NearMiss, class weights, the `balance` call and its figure."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers.data import DataError, Dataset, load_dataset
from helpers.errors import ConfigError
from helpers.learn.balance import balance, class_weights, nearmiss
from helpers.plots.balance import balance_counts, kept_mosaic

CLASSES = ("bar", "pipe", "box", "ring")
TRAIN_COUNTS = (30, 18, 8, 12)  # "box" is the smallest class


def shape(name: str) -> np.ndarray:
    mask = np.zeros((28, 28), bool)
    if name == "bar":
        mask[12:16, 4:24] = True
    elif name == "pipe":
        mask[4:24, 12:16] = True
    elif name == "box":
        mask[8:20, 8:20] = True
    else:
        mask[6:22, 6:22] = True
        mask[9:19, 9:19] = False
    return mask


def images(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each class's shape at its own random intensity plus faint noise, so no two rows repeat."""
    x = rng.integers(0, 20, (len(labels), 28, 28))
    for i, label in enumerate(labels):
        x[i][shape(CLASSES[label])] += rng.integers(100, 236)
    return x.astype(np.uint8)


def shapes_dataset(counts=TRAIN_COUNTS, seed=0) -> Dataset:
    rng = np.random.default_rng(seed)
    y_train = rng.permutation(np.repeat(np.arange(len(counts)), counts))
    y_test = np.repeat(np.arange(len(counts)), 5)
    return Dataset(images(y_train, rng), y_train, images(y_test, rng), y_test,
                   classes=CLASSES[:len(counts)], name="shapes")


def original_rows(dataset: Dataset, kept: Dataset) -> np.ndarray:
    """Index in `dataset`'s training split of every kept training image (fails if one is new)."""
    where = {row.tobytes(): i for i, row in enumerate(dataset.x_train)}
    assert len(where) == len(dataset.x_train)  # rows are unique, so the lookup is unambiguous
    return np.array([where[row.tobytes()] for row in kept.x_train])


@pytest.mark.parametrize("version", [1, 2])
def test_nearmiss_cuts_every_class_to_the_smallest_and_keeps_original_rows(version):
    data = shapes_dataset()
    result = nearmiss(data, version=version)
    kept = result.dataset
    assert np.bincount(kept.y_train, minlength=4).tolist() == [8, 8, 8, 8]
    assert kept.x_test is data.x_test and kept.y_test is data.y_test
    rows = original_rows(data, kept)
    assert np.all(np.diff(rows) > 0)  # a subset, in the original order, no repeats
    assert np.array_equal(data.y_train[rows], kept.y_train)
    assert np.array_equal(data.x_train[rows], kept.x_train) and kept.x_train.dtype == np.uint8
    assert result.before.tolist() == list(TRAIN_COUNTS) and result.after.tolist() == [8] * 4
    assert list(result.before.index) == list(CLASSES)
    assert kept.notes[-1] == f"NearMiss-{version} (3 neighbours): 68 -> 32 training images"
    assert f"NearMiss-{version}" in result.method and result.class_weight is None


def test_nearmiss_is_deterministic_whatever_the_threads():
    first, second = nearmiss(shapes_dataset()), nearmiss(shapes_dataset(), n_jobs=1)
    assert np.array_equal(first.dataset.x_train, second.dataset.x_train)
    assert np.array_equal(first.dataset.y_train, second.dataset.y_train)


def line_dataset(minority: list[int], majority: list[int]) -> Dataset:
    """Images that are points on a line: a grey 8x8 patch of value v, so distance = 8 * |dv|."""
    values = majority + minority
    x = np.zeros((len(values), 28, 28), np.uint8)
    for image, value in zip(x, values, strict=True):
        image[10:18, 10:18] = value
    y = np.array([0] * len(majority) + [1] * len(minority))
    return Dataset(x, y, x[:2], y[:2], classes=("blob", "dot"), name="line")


@pytest.mark.parametrize(("version", "expected"), [
    (1, [5, 6, 7, 195, 196, 197]),  # smallest mean distance to the 3 NEAREST minority images
    (2, [98, 99, 100, 101, 102, 103]),  # ... to the 3 FARTHEST: the middle of the two clusters
])
def test_nearmiss_keeps_the_majority_images_nearest_by_its_version(version, expected):
    # Minority: two clusters at 0..2 and 200..202; majority: next to them or halfway between.
    data = line_dataset([0, 1, 2, 200, 201, 202],
                        [100, 5, 101, 196, 99, 6, 98, 195, 102, 7, 103, 197])
    kept = nearmiss(data, version=version).dataset
    assert sorted(kept.x_train[kept.y_train == 0][:, 12, 12].tolist()) == expected


def test_nearmiss3_keeps_at_most_the_smallest_count_from_minority_neighbours():
    data = shapes_dataset()
    result = nearmiss(data, version=3, n_neighbors_ver3=2)
    counts = result.after.to_numpy()
    assert counts[2] == 8 and np.all(counts <= 8)  # smallest class kept whole, others capped
    rows = original_rows(data, result.dataset)
    flat = data.x_train.reshape(len(data.x_train), -1).astype(np.int64)
    minority = flat[data.y_train == 2]
    for label in (0, 1, 3):
        members = np.flatnonzero(data.y_train == label)
        d2 = ((minority[:, None, :] - flat[members][None, :, :]) ** 2).sum(-1)
        candidates = set(members[np.argsort(d2, axis=1, kind="stable")[:, :2]].ravel())
        kept = set(rows[result.dataset.y_train == label])
        assert kept <= candidates  # only each minority image's 2 nearest are eligible
    assert "NearMiss-3 (3 neighbours, 2 to pre-select)" in result.dataset.notes[-1]


def test_class_weights_follow_the_balanced_formula():
    y = np.array([0] * 6 + [1] * 3 + [2])
    weights = class_weights(y)
    assert weights == pytest.approx({0: 10 / 18, 1: 10 / 9, 2: 10 / 3})
    padded = class_weights(y, classes_count=5)
    assert list(padded) == [0, 1, 2, 3, 4] and padded[3] == padded[4] == 1.0
    assert padded[2] == pytest.approx(10 / 3)


def test_class_weights_reject_bad_labels():
    with pytest.raises(DataError, match="non-empty"):
        class_weights([])
    with pytest.raises(DataError, match="integer labels"):
        class_weights([0.5, 1.0])
    with pytest.raises(DataError, match=r"found 0\.\.3; pass classes_count"):
        class_weights([0, 3], classes_count=3)


def test_balance_dispatches_the_three_methods():
    data = shapes_dataset()
    near = balance(data, "nearmiss", version=2)
    assert near.dataset.notes[-1].startswith("NearMiss-2") and near.class_weight is None
    weighted = balance(data, "class-weights")
    assert weighted.dataset is data and weighted.after.equals(weighted.before.rename("after"))
    assert weighted.class_weight == pytest.approx(class_weights(data.y_train, 4))
    assert weighted.class_weight[2] == pytest.approx(68 / (4 * 8))
    assert "from 0.57 ('bar') to 2.12 ('box')" in weighted.method
    plain = balance(data, "none")
    assert plain.dataset is data and plain.class_weight is None
    assert plain.after.tolist() == list(TRAIN_COUNTS)


def test_balance_rejects_unknown_methods_and_stray_options():
    with pytest.raises(ConfigError, match="use one of nearmiss, class-weights, none"):
        balance(shapes_dataset(), "smote")
    with pytest.raises(ConfigError, match="takes no options"):
        balance(shapes_dataset(), "none", version=2)
    with pytest.raises(ConfigError, match="does not take neighbours; it takes version"):
        balance(shapes_dataset(), "nearmiss", neighbours=3)


@pytest.mark.parametrize(("options", "error", "message"), [
    ({"version": 4}, ConfigError, "version must be 1, 2 or 3"),
    ({"version": 0}, ConfigError, "version must be 1, 2 or 3"),
    ({"n_neighbors": 0}, ConfigError, "n_neighbors must be a whole number >= 1"),
    ({"n_neighbors": 2.5}, ConfigError, "n_neighbors must be a whole number >= 1"),
    ({"version": 3, "n_neighbors_ver3": 0}, ConfigError, "n_neighbors_ver3 must be"),
    ({"n_jobs": 0}, ConfigError,
     r"n_jobs must be None, -1 \(all cores\) or a number of threads >= 1"),
    ({"n_neighbors": 9}, DataError,
     r"smallest training class 'box' .* has 8 image\(s\).* <= 8"),
    ({"version": 3, "n_neighbors_ver3": 9}, DataError,
     "NearMiss-3 with these neighbour counts needs 9"),
])
def test_nearmiss_rejects_bad_arguments(options, error, message):
    with pytest.raises(error, match=message):
        nearmiss(shapes_dataset(), **options)


def test_nearmiss_needs_two_classes_in_training():
    data = shapes_dataset()
    only_bars = data.with_arrays(x_train=data.x_train[data.y_train == 0],
                                 y_train=data.y_train[data.y_train == 0])
    with pytest.raises(DataError, match=r"1 class\(es\) in its training split \(bar\)"):
        nearmiss(only_bars)


def test_balance_counts_figure_shows_before_and_after():
    result = nearmiss(shapes_dataset())
    fig = balance_counts(result)
    bars = fig.subfigs[0].axes[0]
    heights = [p.get_height() for p in bars.patches]
    assert heights == list(TRAIN_COUNTS) + [8] * 4
    assert [t.get_text() for t in bars.get_xticklabels()] == list(CLASSES)
    mosaic = kept_mosaic(result, per_class=3)
    assert mosaic.shape == (4 * 30, 3 * 28 + 16)
    first_bar = result.dataset.x_train[result.dataset.y_train == 0][0]
    assert np.array_equal(mosaic[1:29, 16:44], first_bar)  # class 0's strip starts after the label
    plt.close(fig)
    no_grid = balance_counts(result, per_class=0)
    assert len(no_grid.axes) == 1
    plt.close(no_grid)


@pytest.mark.emnist
@pytest.mark.filterwarnings("ignore:EMNIST .* only the test part")
def test_nearmiss_on_a_real_emnist_sample(emnist_dir):
    data = load_dataset("emnist-byclass", data_dir=str(emnist_dir), limit=6000)
    result = balance(data, "nearmiss")
    counts = result.after.to_numpy()
    assert counts.min() == counts.max() == result.before.min() > 3
    assert result.dataset.x_test is data.x_test
    total = len(result.dataset.x_train)
    assert result.dataset.notes[-1] == (f"NearMiss-1 (3 neighbours): {len(data.x_train):,} -> "
                                        f"{total:,} training images")
    assert result.dataset.notes[:-1] == data.notes
