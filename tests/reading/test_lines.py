"""What a generated line can say with a dataset's classes: words, numbers, random strings, or
nothing — for every source the bundle lists, as the reading notebook generates them."""

import string

import numpy as np
import pytest
from support.csv_files import write_az_csv
from support.idx_files import write_emnist_split, write_idx
from support.image_trees import make_tree

from helpers.data import SOURCES, DataError, Dataset, load_from
from helpers.reading.lexicon import Lexicon, class_of
from helpers.reading.lines import (
    generate_lines,
    generate_number_lines,
    generate_text_lines,
    writing,
)

DIGITS = string.digits
UPPER = string.ascii_uppercase
MERGED47 = DIGITS + UPPER + "abdefghnqrt"
BYCLASS62 = DIGITS + UPPER + string.ascii_lowercase


def fake(classes, per_class: int = 3, name: str = "fake") -> Dataset:
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(len(classes)), per_class)
    images = rng.integers(0, 255, (len(labels), 28, 28), dtype=np.uint8)
    images[:, :4] = 0
    return Dataset(images, labels, images, labels, tuple(classes), name)


def test_writing_says_what_the_classes_can_write():
    assert writing(BYCLASS62).texts == "words" and writing(BYCLASS62).lines
    digits = writing(DIGITS)
    assert digits.lines and digits.texts == "numbers" and "does not apply" in digits.about
    symbols = writing("#%&")
    assert symbols.lines and symbols.texts is None and "random strings" in symbols.about
    by_number = writing([str(k) for k in range(47)])
    assert not by_number.lines and by_number.texts is None
    assert "37 of the 47 class names are not single characters ('10', '11', '12' …)" \
        in by_number.about
    # An own word list decides what counts as a word.
    only = Lexicon.from_counts([("zz", 1)], "one word")
    assert writing(UPPER, only).texts == "words" and writing("ABC", only).texts is None


def test_number_lines_are_digit_groups_drawn_from_images_of_their_digits():
    dataset = fake(DIGITS)
    lines = generate_number_lines(dataset, 40, seed=3)
    groups = [group for line in lines for group in line.text.split(" ")]
    assert all(group.isdigit() for group in groups)
    assert any(len(g) == 4 and 1900 <= int(g) <= 2030 for g in groups)  # years and dates
    assert len(set(groups)) > 30
    for line in lines:
        chars = line.text.replace(" ", "")
        assert len(line.indices) == len(chars) == len(line.boxes)
        assert [DIGITS[dataset.y_test[i]] for i in line.indices] == list(chars)
    assert [line.text for line in generate_number_lines(dataset, 5, seed=3)] == \
        [line.text for line in lines[:5]]
    # Only two digits: numbers of those two.
    binary = fake("01")
    texts = "".join(line.text for line in generate_number_lines(binary, 10, seed=1))
    assert set(texts) <= set("01 ") and {"0", "1"} <= set(texts)
    with pytest.raises(DataError, match="at least two digit classes"):
        generate_number_lines(fake("7AB"), 1)


def test_lines_refuse_classes_that_are_not_characters():
    dataset = fake([str(k) for k in range(12)], name="by-number")
    with pytest.raises(DataError, match="by-number: cannot compose lines: 2 of the 12 class"):
        generate_lines(dataset, 1)
    assert generate_text_lines(dataset, 4) == []


def _emnist(split: str, classes: str, first_label: int = 0):
    def build(folder):
        write_emnist_split(folder, split, classes, 3 * len(classes), 2 * len(classes),
                           first_label=first_label)
        return folder
    return build


def _mnist(folder):
    labels = np.arange(60) % 10
    images = np.random.default_rng(1).integers(0, 256, (60, 28, 28), dtype=np.uint8)
    for stem, part in (("train", slice(None)), ("t10k", slice(0, 30))):
        write_idx(folder / f"{stem}-images-idx3-ubyte.gz", images[part])
        write_idx(folder / f"{stem}-labels-idx1-ubyte.gz", labels[part])
    return folder


def _az_csv(folder):
    path = folder / "az.csv"
    write_az_csv(path, rows=26 * 8, seed=2)
    return path


def _numbered_folder(folder):
    make_tree(folder, classes=[str(k) for k in range(12)], per_class=4)
    return folder


# Every listed source, the fixture its loader reads (None: built in) and what its lines carry
# (None: random strings only; "no lines": the class names are not single characters).
EXPECTED = {
    "glyphs": (None, "words"), "digits": (None, "numbers"), "az-csv": (_az_csv, "words"),
    "folder": (_numbered_folder, "no lines"), "mnist": (_mnist, "numbers"),
    "emnist-byclass": (_emnist("byclass", BYCLASS62), "words"),
    "emnist-bymerge": (_emnist("bymerge", MERGED47), "words"),
    "emnist-balanced": (_emnist("balanced", MERGED47), "words"),
    "emnist-letters": (_emnist("letters", UPPER, first_label=1), "words"),
    "emnist-digits": (_emnist("digits", DIGITS), "numbers"),
    "emnist-mnist": (_emnist("mnist", DIGITS), "numbers"),
}


def test_every_listed_source_has_an_expected_writing():
    assert sorted(EXPECTED) == sorted(SOURCES)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_listed_source_goes_through_the_reading_notebooks_line_generation(name, tmp_path):
    build, expected = EXPECTED[name]
    dataset = load_from(name, str(build(tmp_path)) if build else None,
                        limit=600 if build is None else None, seed=0)
    able = writing(dataset.classes)
    # What notebook 13 does: random strings where the classes are characters, then the texts.
    lines = generate_lines(dataset, 4, seed=0) if able.lines else []
    texts = generate_text_lines(dataset, 4, seed=0)
    if expected == "no lines":
        assert not able.lines and not lines and not texts
        return
    assert able.texts == expected and len(lines) == 4
    assert len(texts) == 4
    for line in lines + texts:
        chars = line.text.replace(" ", "")
        assert [dataset.classes[dataset.y_test[i]] for i in line.indices] == \
            [class_of(c, dataset.classes) for c in chars]
    if expected == "numbers":
        assert all(line.text.replace(" ", "").isdigit() for line in texts)
    else:
        assert any(any(c.isalpha() for c in line.text) for line in texts)
