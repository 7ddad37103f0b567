import string

import numpy as np
import pytest

from helpers.data import Dataset, leakage, merge_lookalikes, transforms
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


def character(kind: str, dx: int = 0, dy: int = 0) -> np.ndarray:
    """A white 'L', 'T' or 'O' drawn on black, its drawing shifted by (dx, dy) pixels."""
    image = np.zeros((28, 28), np.uint8)
    if kind == "L":
        image[6 + dy:22 + dy, 9 + dx:12 + dx] = 255
        image[19 + dy:22 + dy, 9 + dx:20 + dx] = 255
    elif kind == "T":
        image[6 + dy:9 + dy, 7 + dx:21 + dx] = 255
        image[6 + dy:22 + dy, 12 + dx:15 + dx] = 255
    else:
        yy, xx = np.indices((28, 28))
        ring = np.hypot(yy - 14 - dy, xx - 14 - dx)
        image[(ring > 5) & (ring < 8)] = 255
    return image


def noisy(image: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0, sigma, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def near_fixture():
    """Train: L, T, O (classes 0, 1, 2). Test: a copy of the L, an L moved (2, -1) pixels and
    noised, an O moved one pixel, and a copy of the T labelled L."""
    x_train = np.stack([character("L"), character("T"), character("O")])
    x_test = np.stack([character("L"), noisy(character("L", dx=2, dy=-1), 8),
                       character("O", dx=1), character("T")])
    return dataset_with("LTO", [0, 1, 2], [0, 0, 2, 0], x_train, x_test)


def test_near_duplicates_count_copies_and_shifted_noisy_copies_of_the_same_class():
    d = near_fixture()
    best = transforms.nearest_train_similarity(d)
    assert best[0] == pytest.approx(1.0, abs=1e-5)
    assert best[1] >= transforms.NEAR_THRESHOLD and best[2] >= transforms.NEAR_THRESHOLD
    assert best[3] < 0.5  # a T is no near-duplicate of the only L, its class in training
    report = leakage(d)
    assert report.test_in_train == 2 and report.test_near_train == 3  # the T copy: other class
    assert report.test_near_train_fraction == 0.75
    facts = report.as_dict()
    assert facts["test_near_train"] == 3 and facts["near_threshold"] == transforms.NEAR_THRESHOLD
    assert "14x14" in facts["near_method"]


def test_a_near_duplicate_of_another_class_is_not_counted():
    d = near_fixture()
    other = d.with_arrays(y_test=np.array([1, 1, 1, 1]))  # each test image now claims to be T
    best = transforms.nearest_train_similarity(other)
    assert best[3] == pytest.approx(1.0, abs=1e-5)  # the T: a copy of the training T
    assert (best[:3] < transforms.NEAR_THRESHOLD).all()
    assert leakage(other).test_near_train == 1


def test_the_near_threshold_is_inclusive():
    d = near_fixture()
    shifted = float(transforms.nearest_train_similarity(d)[1])
    assert shifted < 1 - 1e-4
    assert leakage(d, near_threshold=shifted).test_near_train == 3
    assert leakage(d, near_threshold=np.nextafter(shifted, 2)).test_near_train == 2


def test_thumbnails_are_unit_rows_and_blank_images_zero():
    rows = transforms.thumbnails(np.stack([character("L"), np.zeros((28, 28), np.uint8)]))
    assert rows.shape == (2, 196)
    assert np.linalg.norm(rows[0]) == pytest.approx(1.0) and abs(rows[0].mean()) < 1e-6
    assert not rows[1].any()
    # Centring on the ink makes a moved drawing the same thumbnail.
    moved = transforms.thumbnails(character("L", dx=3, dy=2)[None])
    assert float(rows[0] @ moved[0]) > 0.999


def test_a_class_missing_from_training_has_no_near_duplicate():
    d = dataset_with("LT", [0, 0], [1, 1], np.stack([character("L")] * 2),
                     np.stack([character("L")] * 2))
    assert (transforms.nearest_train_similarity(d) == -1).all()
    assert leakage(d).test_near_train == 0 and leakage(d).test_in_train == 2


def grouped_facts(**leak):
    return {"train_images": 19_200, "test_images": 4_800,
            "split": {"grouped_by": "font", "train_groups": ["DejaVuSans", "cmb10"],
                      "test_groups": ["cmr10"]},
            "leakage": {"test_in_train": 0, "test_in_train_fraction": 0.0,
                        "test_near_train": 233, "test_near_train_fraction": 0.0485,
                        "near_threshold": 0.99, "near_method": "correlation", **leak}}


def test_split_summary_of_a_font_held_out_split():
    text = transforms.split_summary(grouped_facts())
    assert "holds out whole faces" in text and "1 faces never used for training," in text
    assert "the other 2." in text and "4,800 images" in text
    assert "variant of a family" not in text  # cmr10 is no cut of DejaVuSans or cmb10
    sibling = grouped_facts()
    sibling["split"] = {**sibling["split"], "test_groups": ["DejaVuSans-Bold", "cmr10"]}
    text_sibling = transforms.split_summary(sibling)
    assert ("1 of the 2 are another weight, slant or variant of a family seen in training "
            "(DejaVuSans-Bold), so they are new faces, not new designs.") in text_sibling
    assert "0 test images (0.0%) are exact copies" in text
    assert "233 (4.9%) have a near-duplicate" in text and "at least 0.99" in text
    assert "faces the networks have not seen" in text and "memory" not in text


def test_split_summary_of_a_random_split_with_near_copies():
    facts = {**grouped_facts(test_near_train=782, test_near_train_fraction=0.163),
             "split": {"grouped_by": None, "train_groups": [], "test_groups": []}}
    text = transforms.split_summary(facts)
    assert text.startswith("The split holds out no font or writer")
    assert "782 (16.3%)" in text and "near-copies of training images" in text
    assert "not seen" not in text


def test_split_summary_at_the_edge_of_a_notable_share():
    facts = {**grouped_facts(test_near_train=48, test_near_train_fraction=0.01),
             "split": {}}
    assert "near-copies" not in transforms.split_summary(facts)  # 1% is not more than 1%
    facts["leakage"]["test_near_train_fraction"] = 0.0101
    assert "near-copies" in transforms.split_summary(facts)
    copies = grouped_facts(test_in_train=96, test_in_train_fraction=0.02)
    assert "partly measures memory" in transforms.split_summary(copies)
    assert "not seen" not in transforms.split_summary(copies)


def test_split_summary_of_an_old_audit_without_near_duplicates():
    facts = grouped_facts()
    facts["leakage"] = {"test_in_train": 0, "test_in_train_fraction": 0.0}
    text = transforms.split_summary(facts)
    assert "near-duplicate" not in text and "exact copies of a training image; no test" in text
    assert transforms.split_summary({"split": {}}).startswith("The split holds out no font")
