"""Finding ink in photos, splitting lines into characters and words, and the line generator."""

import cv2
import numpy as np
import pytest

from helpers.data import DataError, load_dataset
from helpers.reading.ink import BlankImage, NoCharacters, find_ink, stroke_width
from helpers.reading.lines import LineStyle, character_photo, compose_line, generate_lines
from helpers.reading.segment import characters, space_after


@pytest.fixture(scope="module")
def glyphs():
    # Split at random: the test characters drawn from every face, script ones as rare as in all.
    return load_dataset("glyphs", limit=3000, seed=1, hold_out_fonts=False)


def paper(height=120, width=300, tone=230.0):
    return np.full((height, width), tone, np.float32)


def iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0, min(ay + ah, by + bh) - max(ay, by))
    return w * h / (aw * ah + bw * bh - w * h)


@pytest.mark.parametrize("page", ["flat", "noisy", "shaded"])
def test_a_page_without_ink_is_blank(page):
    rng = np.random.default_rng(0)
    gray = paper()
    if page == "noisy":
        gray = gray + rng.normal(0, 8, gray.shape)
    if page == "shaded":
        gray = gray * np.linspace(0.75, 1.0, gray.shape[1])[None]
    with pytest.raises(BlankImage, match="blank"):
        find_ink(gray, what="page.png")


def test_ink_is_found_in_either_polarity_and_under_uneven_light():
    gray = paper() * np.linspace(0.7, 1.0, 300)[None]  # light falling off to the left
    cv2.putText(gray, "A", (100, 100), cv2.FONT_HERSHEY_SIMPLEX, 3, 40.0, 6)
    dark_on_light = find_ink(gray).mask
    light_on_dark = find_ink(255 - gray).mask
    drawn = gray < 100
    assert (dark_on_light & drawn).sum() / drawn.sum() > 0.9
    assert not dark_on_light[:, :60].any()  # the shaded margin is not ink
    assert (dark_on_light ^ light_on_dark).sum() < 0.05 * drawn.sum()


def test_one_pixel_strokes_survive_and_faint_parts_stay_attached():
    gray = paper()
    gray[20:100, 50] = 60  # a hairline
    gray[20:100, 150:156] = 40  # a firm stroke ...
    gray[58:62, 156:200] = 170  # ... with a faint bar attached to it
    mask = find_ink(gray).mask
    assert mask[30:90, 49:52].any(1).all()
    assert mask[60, 160:195].all()


def test_stroke_width_of_a_bar():
    mask = np.zeros((60, 60), bool)
    mask[10:50, 20:28] = True
    assert 6 <= stroke_width(mask) <= 10


def test_very_large_images_are_worked_on_shrunk():
    gray = paper(3000, 3000)
    gray[1000:2000, 1400:1600] = 30
    ink = find_ink(gray)
    assert ink.scale < 1 and ink.mask.size <= 4_000_001
    assert ink.mask.any()


def test_an_image_too_small_for_a_character_is_refused():
    with pytest.raises(DataError, match="too small"):
        find_ink(np.zeros((2, 50)))


def test_generated_lines_are_dark_ink_on_paper_with_matching_truth(glyphs):
    lines = generate_lines(glyphs, 5, seed=3)
    again = generate_lines(glyphs, 5, seed=3)
    for line, same in zip(lines, again, strict=True):
        assert np.array_equal(line.image, same.image) and line.text == same.text
        assert line.image.dtype == np.uint8 and np.median(line.image) > 150
        assert len(line.text.replace(" ", "")) == len(line.boxes) == len(line.indices)
        assert "".join(glyphs.classes[glyphs.y_test[i]] for i in line.indices) == \
            line.text.replace(" ", "")
        height, width = line.image.shape
        assert all(x >= 0 and y >= 0 and x + w <= width and y + h <= height
                   for x, y, w, h in line.boxes)
    assert len({line.text for line in lines}) == 5


def test_compose_line_checks_word_lengths(glyphs):
    with pytest.raises(DataError, match="do not add up"):
        compose_line(glyphs.x_test[:3], [1, 1], np.random.default_rng(0))


def spaces_of(text: str) -> list[bool]:
    """For each character but the last, whether a space follows it."""
    words = [len(w) for w in text.split(" ")]
    return [i + 1 in np.cumsum(words).tolist() for i in range(sum(words) - 1)]


def test_segmentation_finds_each_generated_character_and_the_spaces(glyphs):
    lines = generate_lines(glyphs, 40, seed=0)
    right_count, right_spaces, matched, total = 0, 0, 0, 0
    for line in lines:
        pieces = characters(find_ink(line.image.astype(np.float32)))
        total += len(line.boxes)
        matched += sum(any(iou(p.box, b) > 0.5 for p in pieces) for b in line.boxes)
        if len(pieces) == len(line.boxes):
            right_count += 1
            right_spaces += space_after(pieces) == spaces_of(line.text)
    assert right_count >= 0.85 * len(lines)
    assert right_spaces >= 0.9 * right_count
    assert matched >= 0.93 * total


def test_the_dot_of_an_i_joins_its_stem_and_separate_letters_stay_apart():
    gray = paper(120, 260)
    gray[50:100, 40:48] = 30  # stem
    gray[30:38, 40:48] = 30  # dot
    gray[50:100, 90:98] = 30  # a second i without a dot: its own character
    cv2.circle(gray, (180, 75), 22, 30.0, 7)
    pieces = characters(find_ink(gray))
    assert len(pieces) == 3
    assert pieces[0].box[1] <= 31 and pieces[0].box[3] >= 68


def test_characters_joined_by_a_thin_stroke_are_cut_there():
    gray = paper(120, 320)
    cv2.circle(gray, (80, 60), 28, 30.0, 8)
    cv2.circle(gray, (160, 60), 28, 30.0, 8)
    gray[58:61, 106:136] = 30  # a thin joining stroke, as handwriting runs letters together
    cv2.circle(gray, (260, 60), 28, 30.0, 8)
    pieces = characters(find_ink(gray))
    assert len(pieces) == 3
    assert 108 <= pieces[0].right <= 134 and pieces[1].left == pieces[0].right


def test_spaces_come_from_wide_gaps_only():
    style = LineStyle(letter_gap=(0.1, 0.2), word_gap=(0.8, 0.9), blur=(0.3, 0.4),
                      noise=(1, 2))
    digits = load_dataset("digits", limit=300)
    image, _ = compose_line(digits.x_test[:6], [2, 3, 1], np.random.default_rng(5), style)
    pieces = characters(find_ink(image.astype(np.float32)))
    assert len(pieces) == 6
    assert space_after(pieces) == [False, True, False, False, True]
    image, _ = compose_line(digits.x_test[:5], [5], np.random.default_rng(6), style)
    assert space_after(characters(find_ink(image.astype(np.float32)))) == [False] * 4


def test_specks_alone_are_no_characters():
    gray = paper()
    rng = np.random.default_rng(2)
    for y, x in rng.integers(10, 110, (30, 2)):
        gray[y:y + 2, 2 * x:2 * x + 2] = 0  # specks of dust
    with pytest.raises(NoCharacters, match="no separable characters"):
        characters(find_ink(gray), what="specks.png")


def test_character_photos_are_colour_and_keep_the_character_legible(glyphs):
    rng = np.random.default_rng(0)
    photo = character_photo(glyphs.x_test[0], rng, size=(200, 260))
    assert photo.shape == (200, 260, 3) and photo.dtype == np.uint8
    assert np.median(photo) > 150  # light paper
    assert find_ink(photo.mean(2)).mask.sum() > 200


def touching_pair() -> np.ndarray:
    """A mask of two 40-px-tall rings (5-px strokes) joined by a 3-px bridge at x 40..48."""
    mask = np.zeros((50, 90), np.uint8)
    cv2.ellipse(mask, (22, 25), (16, 20), 0, 0, 360, 1, 5)
    cv2.ellipse(mask, (66, 25), (16, 20), 0, 0, 360, 1, 5)
    mask[24:27, 38:51] = 1
    return mask.astype(bool)


def test_cuts_of_touching_characters_fall_between_them():
    from helpers.reading.segment import Piece, cuts

    mask = touching_pair()
    piece = Piece((0, 0, mask.shape[1], mask.shape[0]), mask)
    found = cuts(piece, height=40, stroke=5)
    assert found == sorted(found) and any(40 <= c <= 48 for c in found), found
    ring = mask[:, :45]  # one character: too narrow to hold two, no cut proposed
    assert cuts(Piece((0, 0, 45, 50), ring), height=40, stroke=5) == []


def test_tight_lines_have_touching_letters(glyphs):
    from helpers.reading.lines import TIGHT_STYLE

    line = generate_lines(glyphs, 1, seed=4, words=(1, 1), letters=(6, 6), style=TIGHT_STYLE)[0]
    boxes = sorted(line.boxes)
    overlaps = [a[0] + a[2] - b[0] for a, b in zip(boxes, boxes[1:], strict=False)]
    assert max(overlaps) > 0  # at least one pair of ink boxes overlaps
