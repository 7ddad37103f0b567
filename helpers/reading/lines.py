"""Real-looking test images made from dataset characters, with the ground truth.

`generate_lines` composes lines of random strings from a dataset's test characters, and
`generate_word_lines` lines of real words sampled from a lexicon by frequency: dark ink on light
paper, varying letter and word spacing, baseline jitter, character scale, uneven light, blur and
noise. `character_photo` puts one character on a sheet of paper as a phone would see it. All
keep which test images they used, so a model's reading can be compared with its accuracy on
the very same characters in isolation (`helpers.reading.cer`).
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


def generate_lines(dataset: Dataset, count: int, *, seed: int = 0,
                   words: tuple[int, int] = (1, 4), letters: tuple[int, int] = (1, 6),
                   style: LineStyle = DEFAULT_STYLE) -> list[Line]:
    """`count` lines of random words drawn from the dataset's test characters."""
    if count < 1:
        raise ConfigError(f"count must be at least 1, got {count}")
    if not len(dataset.y_test):
        raise DataError(f"{dataset.name} has no test images to compose lines from")
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
    if count < 1:
        raise ConfigError(f"count must be at least 1, got {count}")
    lexicon = lexicon if lexicon is not None else Lexicon.default()
    by_class = {name: np.flatnonzero(dataset.y_test == k)
                for k, name in enumerate(dataset.classes)}
    by_class = {name: found for name, found in by_class.items() if len(found)}
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
        chars = [c for word in written for c in word]
        indices = np.array([rng.choice(by_class[class_of(c, by_class)]) for c in chars])
        image, boxes = compose_line(dataset.x_test[indices], [len(w) for w in written], rng,
                                    style)
        lines.append(Line(image, " ".join(written), boxes, indices.tolist()))
    return lines


def character_photo(character: np.ndarray, rng: np.random.Generator,
                    size: tuple[int, int] = (240, 320)) -> np.ndarray:
    """One 28×28 character (white on black) as an RGB photo (H×W×3 uint8) of ink on paper:
    off-centre, slightly turned, unevenly lit, blurred and noisy."""
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
