import string

import numpy as np

from helpers.data import Dataset, leakage, merge_lookalikes
from helpers.data.transforms import drop_empty_classes

BYCLASS = string.digits + string.ascii_uppercase + string.ascii_lowercase


def dataset_with(classes, y_train, y_test, x_train=None, x_test=None):
    def images(y, start):
        return np.stack([np.full((28, 28), (start + i) % 256, np.uint8) for i in range(len(y))])
    return Dataset(images(y_train, 0) if x_train is None else x_train, np.asarray(y_train),
                   images(y_test, 100) if x_test is None else x_test, np.asarray(y_test),
                   classes=tuple(classes), name="toy")


def test_merge_lookalikes_gives_nists_47_classes():
    y = np.arange(62)
    merged = merge_lookalikes(dataset_with(BYCLASS, y, y))
    assert merged.num_classes == 47
    assert "".join(merged.classes) == string.digits + string.ascii_uppercase + "abdefghnqrt"
    names = [merged.classes[i] for i in merged.y_train]
    assert names[BYCLASS.index("o")] == "O" and names[BYCLASS.index("c")] == "C"
    assert names[BYCLASS.index("a")] == "a" and names[BYCLASS.index("Z")] == "Z"
    assert "62 -> 47" in merged.notes[-1]


def test_merge_lookalikes_leaves_datasets_without_pairs_alone():
    d = dataset_with("ABC", [0, 1, 2], [2, 1, 0])
    assert merge_lookalikes(d) is d


def test_leakage_counts_repeats_and_overlap():
    a, b, c, z = (np.full((28, 28), v, np.uint8) for v in (1, 2, 3, 9))
    x_train = np.stack([a, a, b, c])
    x_test = np.stack([a, z, z, b])
    d = dataset_with("XY", [0, 0, 1, 1], [1, 0, 0, 1], x_train, x_test)
    report = leakage(d)
    assert report.train_repeats == 1 and report.test_repeats == 1
    assert report.test_in_train == 2 and report.test_in_train_fraction == 0.5
    assert report.conflicting_labels == 1  # image a is labelled 0 in train and 1 in test
    assert report.as_dict()["test_in_train"] == 2


def test_leakage_of_a_test_set_that_is_the_training_set():
    y = np.arange(20) % 2
    d = dataset_with("XY", y, y)
    d = d.with_arrays(x_test=d.x_train.copy())
    assert leakage(d).test_in_train_fraction == 1.0


def test_drop_empty_classes_relabels_and_names_them():
    d = dataset_with("ABCD", [0, 3, 3], [3, 0])
    kept, empty = drop_empty_classes(d)
    assert empty == ["B", "C"] and kept.classes == ("A", "D")
    assert kept.y_train.tolist() == [0, 1, 1] and kept.y_test.tolist() == [1, 0]
    assert drop_empty_classes(kept) == (kept, [])
