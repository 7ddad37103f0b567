"""Generated test images: simulated photos and lines made from dataset characters, with the
ground truth.

`generate_lines` composes lines of random strings from a dataset's test characters,
`generate_word_lines` lines of real words sampled from a lexicon by frequency, and
`generate_number_lines` lines of numbers (years, dates, amounts, codes) for classes that write
digits but no word: dark ink on light paper, varying letter and word spacing, baseline jitter,
character scale, uneven light, blur and noise. `writing` says which of them a dataset's classes
can write (a line needs classes that are single characters). `character_photo` simulates a
phone's photo of one character on a sheet of paper (no camera is involved). All keep which test
images they used, so a model's reading can be compared with its accuracy on the very same
characters in isolation (`helpers.reading.cer`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import cv2
import numpy as np

from helpers.data import Dataset
from helpers.data.dataset import IMAGE_SIZE
from helpers.errors import ConfigError, DataError
from helpers.learn.inputs import INK_LEVEL, check_images
from helpers.reading.lexicon import Lexicon, class_of


@dataclass(frozen=True)
class Line:
    """A line image (uint8 gray, dark ink on light paper), its text, and for each character
    (spaces excluded) its box (x, y, w, h) and the index of its test image."""

    image: np.ndarray
    text: str
    boxes: list[tuple[int, int, int, int]]
    indices: list[int]


@dataclass(frozen=True)
class LineStyle:
    """Ranges the generator draws from; sizes are fractions of the character frame's height."""

    frame: tuple[int, int] = (32, 64)  # pixels the 28×28 frame of a character becomes
    letter_gap: tuple[float, float] = (0.08, 0.25)
    word_gap: tuple[float, float] = (0.6, 1.0)
    baseline_jitter: float = 0.05
    scale_jitter: float = 0.1
    blur: tuple[float, float] = (0.3, 1.0)  # Gaussian sigma in pixels
    noise: tuple[float, float] = (2.0, 8.0)  # standard deviation in grey levels
    shading: float = 0.15  # darkest corner of the paper, as a fraction of its brightness


DEFAULT_STYLE = LineStyle()
# Letters that touch or overlap by up to a tenth of a character: where segmentation is hard.
TIGHT_STYLE = LineStyle(letter_gap=(-0.1, 0.05))
# How often a word of a generated line is written in lower case, Capitalised or in UPPER case.
CASES = {"lower": 0.8, "capitalised": 0.1, "upper": 0.1}


def _ink_box(image: np.ndarray) -> tuple[slice, slice]:
    ink = image > INK_LEVEL // 2
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    if not rows.size:
        return slice(0, IMAGE_SIZE), slice(0, IMAGE_SIZE)
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def _paper(shape: tuple[int, int], rng: np.random.Generator, shading: float) -> np.ndarray:
    """Paper brightness with light falling off linearly towards a random side."""
    height, width = shape
    tone = rng.uniform(215, 250)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * xs / max(width, 1) + np.sin(angle) * ys / max(height, 1)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    return tone * (1 - shading * rng.uniform(0, 1) * ramp)


def _finish(ink: np.ndarray, rng: np.random.Generator, style: LineStyle) -> np.ndarray:
    """Ink coverage 0..1 -> a gray photo: shaded paper, dark ink, blur, sensor noise."""
    paper = _paper(ink.shape, rng, style.shading)
    ink_tone = rng.uniform(10, 70)
    image = paper - ink * (paper - ink_tone)
    image = cv2.GaussianBlur(image, (0, 0), rng.uniform(*style.blur))
    image = image + rng.normal(0, rng.uniform(*style.noise), image.shape)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def compose_line(characters: np.ndarray, words: list[int], rng: np.random.Generator,
                 style: LineStyle = DEFAULT_STYLE) -> tuple[np.ndarray, list[tuple]]:
    """Lay out uint8 28×28 characters (white on black) in words of the given lengths; returns
    the gray image and each character's ink box."""
    characters = check_images(characters, "line characters")
    if sum(words) != len(characters) or min(words, default=1) < 1:
        raise DataError(f"word lengths {words} do not add up to {len(characters)} characters")
    frame = rng.uniform(*style.frame)
    margin = int(0.5 * frame)
    placed, x = [], margin
    ends = set(np.cumsum(words)[:-1].tolist())
    for i, image in enumerate(characters):
        if i in ends:
            x += int(rng.uniform(*style.word_gap) * frame)
        elif i:
            # At least 2 px apart unless the style asks for touching or overlapping letters.
            least = min(2, int(style.letter_gap[0] * frame))
            x += max(least, int(rng.uniform(*style.letter_gap) * frame))
        rows, cols = _ink_box(image)
        f = frame / IMAGE_SIZE * (1 + rng.uniform(-1, 1) * style.scale_jitter)
        glyph = image[rows, cols].astype(np.float32) / 255
        size = (max(1, round(glyph.shape[1] * f)), max(1, round(glyph.shape[0] * f)))
        glyph = cv2.resize(glyph, size, interpolation=cv2.INTER_LINEAR)
        y = margin + rows.start * f + rng.normal(0, style.baseline_jitter) * frame
        placed.append((glyph, x, int(round(y))))
        x += size[0]
    height = int(2 * margin + frame * 1.3)
    ink = np.zeros((height, x + margin), np.float32)
    boxes = []
    for glyph, gx, gy in placed:
        gy = int(np.clip(gy, 0, height - glyph.shape[0]))
        region = ink[gy:gy + glyph.shape[0], gx:gx + glyph.shape[1]]
        np.maximum(region, glyph, out=region)
        boxes.append((gx, gy, glyph.shape[1], glyph.shape[0]))
    return _finish(np.clip(ink, 0, 1), rng, style), boxes


@dataclass(frozen=True)
class Writing:
    """What a generated line can say with a dataset's classes: `lines` whether lines can be
    composed at all (every class is one character), `texts` the real texts they can carry
    ("words" of the lexicon, "numbers" of digits, or None), and `about` a sentence saying so."""

    lines: bool
    texts: str | None
    about: str


def not_characters(classes: Collection[str]) -> str | None:
    """Why lines cannot be written with these classes (some class name is not one character),
    or None when they can."""
    long = [str(c) for c in classes if len(str(c)) != 1]
    if not long:
        return None
    shown = ", ".join(repr(c) for c in long[:3]) + (" …" if len(long) > 3 else "")
    return (f"{len(long)} of the {len(classes)} class names are not single characters "
            f"({shown}), so the text of a line could not be told from the classes it is "
            "written with")


def writing(classes: Collection[str], lexicon: Lexicon | None = None) -> Writing:
    """Which lines these classes can write: words when some word of `lexicon` (default: the
    English `Lexicon.default()`) can be spelled with them, else numbers when at least two of
    them are digits, else only random strings; nothing when a class name is not one character
    (a folder of classes named "0" … "46" by label number: the text "10" could be one class or
    two)."""
    classes = [str(c) for c in classes]
    if problem := not_characters(classes):
        return Writing(False, None, (
            f"No lines are read: {problem}. The simulated photos of single characters above "
            "are all that can be read with these classes."))
    if writable_words(lexicon if lexicon is not None else Lexicon.default(), classes):
        return Writing(True, "words", (
            "Lines of real English words, as the lexicon expects them."))
    digits = sorted(c for c in classes if c.isdigit())
    if len(digits) >= 2:
        which = ("The classes are digits, which spell no word" if len(digits) == len(classes)
                 else "The classes spell no word of the lexicon, but some are digits")
        return Writing(True, "numbers", (
            f"{which}: instead of words, these lines carry numbers as forms and documents "
            "have them: years, dates (day, month, year), amounts and codes. They are read "
            "without the word list: a lexicon of words has nothing to say about numbers, so "
            "its part of this section does not apply to this dataset."))
    return Writing(True, None, (
        "The classes spell no word of the lexicon and no number, so only lines of random "
        "strings are read."))


def generate_lines(dataset: Dataset, count: int, *, seed: int = 0,
                   words: tuple[int, int] = (1, 4), letters: tuple[int, int] = (1, 6),
                   style: LineStyle = DEFAULT_STYLE) -> list[Line]:
    """`count` lines of random words drawn from the dataset's test characters."""
    _check_count(count)
    if not len(dataset.y_test):
        raise DataError(f"{dataset.name} has no test images to compose lines from")
    _check_characters(dataset)
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(count):
        lengths = rng.integers(letters[0], letters[1] + 1, size=rng.integers(words[0],
                                                                             words[1] + 1))
        indices = rng.integers(0, len(dataset.y_test), size=int(lengths.sum()))
        image, boxes = compose_line(dataset.x_test[indices], lengths.tolist(), rng, style)
        chars = [dataset.classes[k] for k in dataset.y_test[indices]]
        starts = np.cumsum([0, *lengths.tolist()])
        text = " ".join("".join(chars[a:b]) for a, b in zip(starts, starts[1:], strict=False))
        lines.append(Line(image, text, boxes, indices.tolist()))
    return lines


def _check_count(count: int) -> None:
    if count < 1:
        raise ConfigError(f"count must be at least 1, got {count}")


def _check_characters(dataset: Dataset) -> None:
    if problem := not_characters(dataset.classes):
        raise DataError(f"{dataset.name}: cannot compose lines: {problem}")


def _test_images_by_class(dataset: Dataset) -> dict[str, np.ndarray]:
    """Each class that has test images: the indices of its test images."""
    by_class = {name: np.flatnonzero(dataset.y_test == k)
                for k, name in enumerate(dataset.classes)}
    return {name: found for name, found in by_class.items() if len(found)}


def _line_of(dataset: Dataset, written: list[str], by_class: dict[str, np.ndarray],
             rng: np.random.Generator, style: LineStyle) -> Line:
    """A line of these words, each character a random test image of the class standing for it."""
    chars = [c for word in written for c in word]
    indices = np.array([rng.choice(by_class[class_of(c, by_class)]) for c in chars])
    image, boxes = compose_line(dataset.x_test[indices], [len(w) for w in written], rng, style)
    return Line(image, " ".join(written), boxes, indices.tolist())


def _cased_word(word: str, case: str) -> str:
    if case == "upper":
        return word.upper()
    if case == "capitalised":
        return word[:1].upper() + word[1:]
    return word


def writable_words(lexicon: Lexicon, classes: Collection[str],
                   letters: tuple[int, int] = (2, 8)) -> list[int]:
    """The indices of the lexicon's words of `letters` letters that these classes can write."""
    return [i for i, w in enumerate(lexicon.words) if letters[0] <= len(w) <= letters[1]
            and all(class_of(c, classes) is not None for c in w)]


def generate_word_lines(dataset: Dataset, count: int, *, lexicon: Lexicon | None = None,
                        seed: int = 0, words: tuple[int, int] = (1, 4),
                        letters: tuple[int, int] = (2, 8), cases: dict[str, float] = CASES,
                        style: LineStyle = DEFAULT_STYLE) -> list[Line]:
    """`count` lines of real words drawn from the dataset's test characters.

    Words are sampled from `lexicon` (default: `Lexicon.default()`, English) in proportion to
    their frequency, among those of `letters` letters whose every letter has a class with test
    images in the dataset; each is written in a case drawn from `cases`. Each letter is a random
    test image of the class that stands for it: its own case when the dataset has that class,
    else the merged one (o is drawn from O in EMNIST's 47 classes). `Line.text` is the words as
    written ("Cold", even when its images are of the classes C, O, L, d)."""
    _check_count(count)
    lexicon = lexicon if lexicon is not None else Lexicon.default()
    by_class = _test_images_by_class(dataset)
    eligible = writable_words(lexicon, by_class, letters)
    if not eligible:
        raise DataError(f"no word of {lexicon!r} with {letters[0]}-{letters[1]} letters can be "
                        f"written with the classes of {dataset.name} that have test images")
    weights = np.exp(lexicon.log_prior[eligible].astype(np.float64))
    rng = np.random.default_rng(seed)
    names, shares = list(cases), np.array(list(cases.values()), float)
    lines = []
    for _ in range(count):
        picked = rng.choice(eligible, size=rng.integers(words[0], words[1] + 1),
                            p=weights / weights.sum())
        written = [_cased_word(lexicon.words[i], names[rng.choice(len(names), p=shares /
                                                                shares.sum())])
                   for i in picked]
        lines.append(_line_of(dataset, written, by_class, rng, style))
    return lines


# The kinds of number a generated line carries, and how often: forms, cheques, documents.
NUMBER_KINDS = {"year": 0.25, "date": 0.2, "amount": 0.35, "code": 0.2}


def _number(kind: str, rng: np.random.Generator) -> list[str]:
    """One number of a kind as the groups of digits it is written in."""
    if kind == "year":
        return [str(rng.integers(1900, 2031))]
    if kind == "date":  # day month year, spaces between (the classes have no / or .)
        return [f"{rng.integers(1, 29):02d}", f"{rng.integers(1, 13):02d}",
                str(rng.integers(1950, 2031))]
    if kind == "amount":  # spread evenly over orders of magnitude, 1 to 99,999
        return [str(int(10 ** rng.uniform(0, 5)))]
    return ["".join(str(d) for d in rng.integers(0, 10, size=rng.integers(3, 7)))]


def generate_number_lines(dataset: Dataset, count: int, *, seed: int = 0,
                          numbers: tuple[int, int] = (1, 3),
                          kinds: dict[str, float] = NUMBER_KINDS,
                          style: LineStyle = DEFAULT_STYLE) -> list[Line]:
    """`count` lines of numbers drawn from the dataset's test digits: each line holds
    `numbers` numbers, each a year, a date (three groups), an amount or a code of 3-6 digits,
    drawn with the shares in `kinds`. A digit without a class with test images is replaced by
    one that has them, so a dataset of some digits still writes its own."""
    _check_count(count)
    by_class = {c: found for c, found in _test_images_by_class(dataset).items() if c.isdigit()}
    if len(by_class) < 2:
        raise DataError(f"{dataset.name}: numbers need at least two digit classes with test "
                        f"images; it has {sorted(by_class) or 'none'}")
    digits = sorted(by_class)
    rng = np.random.default_rng(seed)
    names, shares = list(kinds), np.array(list(kinds.values()), float)
    lines = []
    for _ in range(count):
        written = []
        for _ in range(rng.integers(numbers[0], numbers[1] + 1)):
            kind = names[rng.choice(len(names), p=shares / shares.sum())]
            written += ["".join(d if d in by_class else digits[rng.integers(len(digits))]
                                for d in group) for group in _number(kind, rng)]
        lines.append(_line_of(dataset, written, by_class, rng, style))
    return lines


def generate_text_lines(dataset: Dataset, count: int, *, lexicon: Lexicon | None = None,
                        seed: int = 0, style: LineStyle = DEFAULT_STYLE) -> list[Line]:
    """`count` lines of what the dataset's classes can write (`writing`): real words, or
    numbers; none (an empty list) when they write neither."""
    texts = writing(dataset.classes, lexicon).texts
    if texts == "words":
        return generate_word_lines(dataset, count, lexicon=lexicon, seed=seed, style=style)
    if texts == "numbers":
        return generate_number_lines(dataset, count, seed=seed, style=style)
    return []


def character_photo(character: np.ndarray, rng: np.random.Generator,
                    size: tuple[int, int] = (240, 320)) -> np.ndarray:
    """One 28×28 character (white on black) as a simulated RGB photo (H×W×3 uint8) of ink on
    paper: placed off-centre, slightly turned, unevenly lit, blurred and noised by code."""
    character = check_images(character[None], "photo character")[0]
    height, width = size
    side = int(min(size) * rng.uniform(0.35, 0.7))
    glyph = cv2.resize(character.astype(np.float32) / 255, (side, side),
                       interpolation=cv2.INTER_LINEAR)
    turn = cv2.getRotationMatrix2D((side / 2, side / 2), rng.uniform(-8, 8), 1.0)
    glyph = cv2.warpAffine(glyph, turn, (side, side))
    ink = np.zeros(size, np.float32)
    top = int(rng.integers(0, height - side + 1))
    left = int(rng.integers(0, width - side + 1))
    ink[top:top + side, left:left + side] = glyph
    paper_rgb = np.array([rng.uniform(0.95, 1.0), rng.uniform(0.93, 1.0), rng.uniform(0.85, 1.0)])
    ink_rgb = np.array([rng.uniform(0, 0.3), rng.uniform(0, 0.3), rng.uniform(0.1, 0.5)])
    paper = _paper(size, rng, 0.25)[..., None] * paper_rgb
    photo = paper - ink[..., None] * (paper - 255 * ink_rgb)
    photo = cv2.GaussianBlur(photo, (0, 0), rng.uniform(0.5, 1.5))
    photo = photo + rng.normal(0, rng.uniform(2, 6), photo.shape)
    return np.clip(np.rint(photo), 0, 255).astype(np.uint8)
