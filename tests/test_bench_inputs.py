"""The benchmarks' real-size inputs (built from EMNIST images) and their memory measure."""

from __future__ import annotations

import numpy as np
import pytest
from support import memory, real_sized

from helpers.data import load_dataset


def letters(per_class: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(26), per_class)
    x = np.zeros((len(y), 28, 28), np.uint8)
    x[:, 4:24, 4:24] = rng.integers(1, 256, size=(len(y), 20, 20))  # ink inside a margin
    return x, y


def test_shift_moves_the_ink_and_fills_with_paper():
    x = np.zeros((1, 28, 28), np.uint8)
    x[0, 10, 10] = 200
    moved = real_sized.shift(x, -2, 1)
    assert moved[0, 8, 11] == 200 and moved.sum() == 200
    edge = np.full((1, 28, 28), 9, np.uint8)
    assert (real_sized.shift(edge, 0, 2)[0, :, :2] == 0).all()  # nothing wraps round


def test_az_rows_follow_kaggles_letter_counts_and_are_shifted_copies_of_that_letter():
    x, y = letters()
    rows = 2_600
    ax, ay = real_sized.az_from_letters(x, y, rows=rows)
    counts = np.bincount(ay, minlength=26)
    assert counts.sum() == rows and ax.shape == (rows, 28, 28)
    expected = np.array(real_sized.KAGGLE_COUNTS) * rows / sum(real_sized.KAGGLE_COUNTS)
    assert np.abs(counts - expected).max() < 1 and counts.argmax() == 14  # O, as in Kaggle's
    assert (np.diff(ay) >= 0).all()  # sorted by letter, as Kaggle's file is
    moves = real_sized.offsets()
    for row in (0, 5, 1_700, rows - 1):
        sources = x[y == ay[row]]
        assert any((real_sized.shift(sources, *m) == ax[row]).all(axis=(1, 2)).any()
                   for m in moves)
    first_o = int(np.flatnonzero(ay == 14)[0])
    assert len(np.unique(ax[first_o:first_o + 3 * len(moves)].reshape(-1, 784), axis=0)) \
        == 3 * len(moves)  # no repeat of a letter until every shift is used
    assert real_sized.kaggle_counts().tolist() == list(real_sized.KAGGLE_COUNTS)


def test_mnist_files_at_the_real_size_load_through_the_mnist_loader(tmp_path):
    rng = np.random.default_rng(1)
    y = np.arange(100) % 10
    x = rng.integers(0, 256, size=(100, 28, 28), dtype=np.uint8)
    real_sized.write_mnist(tmp_path, x, y, train=600, test=100)
    data = load_dataset("mnist", data_dir=str(tmp_path))
    assert len(data.x_train) == 600 and len(data.x_test) == 100
    assert np.array_equal(data.x_test, x) and np.array_equal(data.y_train[:100], y)
    assert not any((data.x_train[:100] == x).all(axis=(1, 2)))  # train images are moved


def test_image_folder_holds_a_subfolder_per_class_and_loads_back(tmp_path):
    x, y = letters(per_class=2)
    classes = tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert real_sized.write_image_folder(tmp_path, x, y, classes) == len(x)
    assert sorted(p.name for p in tmp_path.iterdir()) == list(classes)
    data = load_dataset("folder", path=str(tmp_path))
    assert data.classes == classes and len(data.x_train) + len(data.x_test) == len(x)


@pytest.mark.skipif(not memory.reset_peak(), reason="this system cannot reset the peak RSS")
def test_a_step_is_charged_the_memory_it_touched_and_not_an_earlier_peak():
    earlier = np.ones(64 * memory.MB, np.uint8)  # a peak before the step
    del earlier
    quiet = memory.step(lambda: None)
    assert quiet.rise < 16 * memory.MB and quiet.base > 0
    busy = memory.step(lambda: np.ones(96 * memory.MB, np.uint8).sum())
    assert 90 * memory.MB <= busy.rise < 160 * memory.MB and busy.result == 96 * memory.MB


def test_capitals_are_the_upper_case_classes_relabelled_a_to_z():
    from helpers.data import Dataset

    classes = tuple("0123456789") + tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + ("a", "b")
    y = np.arange(len(classes)).repeat(2)
    x = y.astype(np.uint8)[:, None, None].repeat(28, 1).repeat(28, 2)
    data = Dataset(x[::2], y[::2], x[1::2], y[1::2], classes=classes, name="byclass-like")
    cx, cy = real_sized.capitals(data)
    assert len(cy) == 52 and sorted(set(cy.tolist())) == list(range(26))
    assert (cx[:, 0, 0] == cy + 10).all()  # A is class 10 in byclass, 0 in Kaggle's file
    with pytest.raises(ValueError, match="no images of Z"):
        real_sized.capitals(data.with_arrays(x_train=x[:70:2], y_train=y[:70:2],
                                             x_test=x[1:70:2], y_test=y[1:70:2]))
