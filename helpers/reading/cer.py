"""How well a model reads: character error rate on generated lines against its error on the
same characters in isolation, with and without the lexicon, and its accuracy on photos.

Two kinds of line are read: random strings of the dataset's classes (`generate_lines`), where a
lexicon cannot help and must not hurt, and what the classes can write (`generate_text_lines`):
real words sampled from the lexicon by frequency, where it should help, or numbers where the
classes are digits, read without it. Without the lexicon, the gap between the CER and
the isolated error is what reading adds on top of classifying: segmentation (split or merged
characters), framing (crop, scale, centring), and word spaces. Texts are compared as the
model's classes see them (`canonical`), so a model that folds o into O is not marked wrong for
a case it cannot tell.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import asdict, dataclass

import numpy as np

from helpers.data import Dataset
from helpers.reading.lexicon import Lexicon, class_of
from helpers.reading.lines import (
    DEFAULT_STYLE,
    Line,
    LineStyle,
    character_photo,
    generate_lines,
    generate_text_lines,
    writing,
)
from helpers.reading.recognizer import Reading, Recognizer, classify, lexicon_of, read

# The allowance: reading counts as working when segmentation, framing and word spaces add at
# most 3 points of character error rate to the error on the same characters one by one.
TARGET_GAP = 0.03
ALLOWANCE = (f"the {100 * TARGET_GAP:.0f}-point allowance (the most that segmentation, framing "
             "and word spaces may add to the error of the characters one by one for reading "
             "to count as working)")


def canonical(text: str, classes: Collection[str]) -> str:
    """`text` as a model with these classes sees it: each character replaced by the class that
    stands for it (with EMNIST's 47 classes "Cold" becomes "COLd": o and O are one class there,
    d and D are not); characters no class stands for, such as spaces, stay."""
    return "".join(class_of(c, classes) or c for c in text)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions turning a into b."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def cer(predicted: list[str], truth: list[str], classes: Collection[str] | None = None) -> float:
    """Character error rate: total edit distance over the total length of the truth; with
    `classes`, both texts are compared in their `canonical` form for those classes."""
    if classes is not None:
        predicted = [canonical(p, classes) for p in predicted]
        truth = [canonical(t, classes) for t in truth]
    total = sum(len(t) for t in truth)
    return sum(edit_distance(p, t) for p, t in zip(predicted, truth, strict=True)) / max(total, 1)


def gap_interval(cer_value: float, isolated: float, characters: int,
                 level: float = 0.95) -> tuple[float, float]:
    """An approximate interval on `cer_value - isolated` over `characters` characters: each
    rate's binomial variance, added as if the two were independent (they are measured on the
    same characters and move together, so the interval is wider than the paired one)."""
    from scipy.stats import norm

    def variance(rate: float) -> float:
        rate = min(max(rate, 0.0), 1.0)
        return rate * (1 - rate) / max(characters, 1)

    half = norm.ppf(0.5 + level / 2) * (variance(cer_value) + variance(isolated)) ** 0.5
    gap = cer_value - isolated
    return gap - half, gap + half


def gap_text(cer_value: float, isolated: float, characters: int) -> str:
    """What reading added to classifying, as a clause: the difference with its interval, the
    ratio, and where it stands against the allowance (`TARGET_GAP`), which it defines; a
    difference within the noise is said to be one, never "little"."""
    gap = cer_value - isolated
    low, high = gap_interval(cer_value, isolated, characters)
    text = (f"the CER is {abs(100 * gap):.1f} points {'above' if gap >= 0 else 'below'} "
            f"that (95% interval of the difference {100 * low:+.1f} to {100 * high:+.1f} "
            f"points, over {characters:,} characters)")
    if isolated > 0:
        text += f", {cer_value / isolated:.1f} times the error one by one"
    if low <= 0 <= high:
        text += ", a difference that cannot be told apart from none"
    if high <= TARGET_GAP:
        text += f"; within {ALLOWANCE}"
    elif low > TARGET_GAP:
        text += f"; over {ALLOWANCE}"
    else:
        side = "within" if gap <= TARGET_GAP else "over"
        text += (f"; {side} {ALLOWANCE}, but its interval spans the allowance, so this run "
                 "cannot tell on which side reading falls")
    return text


@dataclass(frozen=True)
class ReadingScore:
    """Random-string lines (`lines`, `cer`, …), lines of what the classes can write (`text_…`:
    real words, or numbers for digits; `texts` says which) and photos. `cer` and `text_cer` are
    the network's own first choices (no lexicon); `…_lexicon` the text `read` gives with the
    lexicon named in `lexicon` (None where no lexicon was used: then they are None too). Where
    the classes are not single characters no line is read and the line rates are None;
    `writing` says why, or what the text lines carry."""

    lines: int
    characters: int  # characters in the lines, spaces excluded
    cer: float | None  # of `read` on the line images, spaces included, without the lexicon
    cer_without_spaces: float | None
    isolated_error: float | None  # the same model on the same test characters, as stored
    count_errors: int  # lines where segmentation found a different number of characters
    photos: int
    photo_error: float  # `predict` on simulated photos of test characters (same model)
    photo_isolated_error: float  # the same characters, as the dataset has them
    seconds_per_line: float | None  # `read` (with the lexicon, if any), random-string lines
    cer_lexicon: float | None  # random-string lines read with the lexicon
    texts: str | None  # "words", "numbers", or None when the classes write neither
    writing: str  # what the lines can carry with these classes, in a sentence
    text_lines: int
    text_characters: int
    text_cer: float | None  # without the lexicon
    text_cer_lexicon: float | None  # with the lexicon
    text_isolated_error: float | None
    text_count_errors: int
    lexicon: str | None  # where the lexicon's words came from, and how many

    @property
    def gap(self) -> float | None:
        return None if self.cer is None else self.cer - self.isolated_error

    def as_dict(self) -> dict:
        return {**asdict(self), "gap": self.gap}

    def table(self) -> list[tuple[str, str]]:
        """(measure, value) rows for a notebook or report table: only the measures this
        dataset's classes allow."""
        rows = []
        if self.lines:
            rows += [("lines of random strings read", f"{self.lines}"),
                     ("characters in them", f"{self.characters}"),
                     ("CER of read without the lexicon (spaces included)", f"{self.cer:.1%}"),
                     ("CER without spaces", f"{self.cer_without_spaces:.1%}"),
                     ("error on the same characters in isolation", f"{self.isolated_error:.1%}"),
                     ("CER minus isolated error", f"{100 * self.gap:+.1f} points"),
                     ("lines with a wrong character count", f"{self.count_errors}")]
            if self.lexicon:
                rows += [("lexicon", self.lexicon),
                         ("CER of read with the lexicon", f"{self.cer_lexicon:.1%}")]
        if self.text_lines:
            kind = "real words" if self.texts == "words" else "numbers"
            short = "word" if self.texts == "words" else "number"
            rows += [(f"lines of {kind} read", f"{self.text_lines}"),
                     (f"characters in the {short} lines", f"{self.text_characters}"),
                     (f"{short} lines: CER without the lexicon", f"{self.text_cer:.1%}")]
            if self.lexicon:
                rows.append((f"{short} lines: CER with the lexicon",
                             f"{self.text_cer_lexicon:.1%}"))
            rows += [(f"{short} lines: error on their characters in isolation",
                      f"{self.text_isolated_error:.1%}"),
                     (f"{short} lines with a wrong character count",
                      f"{self.text_count_errors}")]
        if self.photos:
            rows += [("simulated photos of characters", f"{self.photos}"),
                     ("error on the simulated photos", f"{self.photo_error:.1%}"),
                     ("error on the photos' characters in isolation",
                      f"{self.photo_isolated_error:.1%}")]
        if self.lines:
            rows.append(("time to read one line", f"{1000 * self.seconds_per_line:.0f} ms"))
        return rows

    def summary(self) -> str:
        """A few sentences on what reading costs over classifying, and what the lexicon gives,
        from the numbers."""
        if not self.lines:
            text = self.writing
        else:
            text = (f"Reading {self.lines} generated lines of random strings ({self.characters} "
                    f"characters) gave a character error rate of {self.cer:.1%}, against "
                    f"{self.isolated_error:.1%} for the same characters classified one by one: "
                    f"{gap_text(self.cer, self.isolated_error, self.characters)}.")
            if self.count_errors:
                text += (f" In {self.count_errors} of the lines the segmentation found a "
                         "different number of characters than were drawn (broken or touching "
                         "strokes).")
        if self.texts == "numbers" and self.text_lines:
            text += (f" {self.text_lines} lines of numbers (years, dates, amounts, codes; "
                     f"{self.text_characters} digits) were read with a CER of "
                     f"{self.text_cer:.1%}, against {self.text_isolated_error:.1%} for their "
                     "digits one by one; the lexicon of words does not apply to digits, so "
                     "they were read without it.")
        elif self.lines and not self.text_lines:
            text += " The model's classes cannot write any word of the lexicon or any number."
        elif self.text_lines and self.lexicon:
            text += (f" With the lexicon ({self.lexicon}), {self.text_lines} lines of real "
                     f"words were read with a CER of {self.text_cer_lexicon:.1%}, against "
                     f"{self.text_cer:.1%} without it; on the random strings, which it cannot "
                     f"help, the CER went from {self.cer:.1%} to {self.cer_lexicon:.1%}"
                     + (" (unchanged)." if f"{self.cer:.1%}" == f"{self.cer_lexicon:.1%}"
                        else "."))
        elif self.text_lines:
            text += (f" {self.text_lines} lines of real words, read without a lexicon, gave "
                     f"a CER of {self.text_cer:.1%}.")
        if self.photos:
            text += (f" On {self.photos} simulated photos of single test characters the error was "
                     f"{self.photo_error:.1%} ({self.photo_isolated_error:.1%} for the same "
                     "characters as the dataset stores them).")
        return text


def _isolated_error(rec: Recognizer, dataset: Dataset, indices: list[int]) -> float:
    predicted = rec.probabilities(dataset.x_test[indices]).argmax(1)
    truth = [rec.classes.index(dataset.classes[k]) for k in dataset.y_test[indices]]
    return float(np.mean(predicted != np.array(truth)))


@dataclass(frozen=True)
class LinesScore:
    """Lines of one kind read once with the lexicon: the CER of the text and of the raw text."""

    lines: int
    characters: int
    cer: float  # the network's first choices (`Reading.raw_text`)
    cer_without_spaces: float
    cer_lexicon: float  # `Reading.text`
    isolated_error: float
    count_errors: int
    seconds_per_line: float


def score_lines(rec: Recognizer, dataset: Dataset, made: list[Line],
                lexicon: Lexicon | None) -> LinesScore:
    """Read each line once (with `lexicon`, or without one when None) and compare both its
    text and its raw text with the truth, canonically for the model's classes."""
    started = time.perf_counter()
    readings: list[Reading] = [read(rec, line.image, lexicon=lexicon or False) for line in made]
    seconds = (time.perf_counter() - started) / len(made)
    truth = [line.text for line in made]
    raw = [r.raw_text for r in readings]
    used = [i for line in made for i in line.indices]
    return LinesScore(
        lines=len(made), characters=len(used), cer=cer(raw, truth, rec.classes),
        cer_without_spaces=cer([t.replace(" ", "") for t in raw],
                               [t.replace(" ", "") for t in truth], rec.classes),
        cer_lexicon=cer([r.text for r in readings], truth, rec.classes),
        isolated_error=_isolated_error(rec, dataset, used),
        count_errors=sum(len(r.characters) != len(line.indices)
                         for r, line in zip(readings, made, strict=True)),
        seconds_per_line=seconds)


def score_reading(rec: Recognizer, dataset: Dataset, *, lines: int = 100, photos: int = 100,
                  seed: int = 0, style: LineStyle = DEFAULT_STYLE,
                  lexicon: bool | Lexicon | None = True) -> ReadingScore:
    """Read `lines` generated lines of random strings and as many of what the classes can
    write (`writing`: real words sampled from the lexicon, or the default English one when
    there is none, with and without the lexicon; or numbers, without it), and predict `photos`
    character photos, all made from the dataset's test characters; compare with the isolated
    error on those characters. Classes that are not single characters read no lines."""
    words = lexicon_of(lexicon)
    able = writing(dataset.classes, words)
    if able.texts != "words":
        words = None  # a lexicon of words has nothing to say about digits or symbols
    random = made = None
    if able.lines:
        random = score_lines(rec, dataset, generate_lines(dataset, lines, seed=seed,
                                                          style=style), words)
        made = generate_text_lines(dataset, lines, lexicon=lexicon_of(lexicon), seed=seed,
                                   style=style)
    text = score_lines(rec, dataset, made, words) if made else None
    rng = np.random.default_rng(seed + 1)
    photo_indices = rng.integers(0, len(dataset.y_test), size=photos).tolist()
    photo_chars = [classify(rec, character_photo(dataset.x_test[i], rng)).char
                   for i in photo_indices]
    photo_truth = [dataset.classes[dataset.y_test[i]] for i in photo_indices]
    return ReadingScore(
        lines=random.lines if random else 0, characters=random.characters if random else 0,
        cer=random.cer if random else None,
        cer_without_spaces=random.cer_without_spaces if random else None,
        isolated_error=random.isolated_error if random else None,
        count_errors=random.count_errors if random else 0, photos=photos,
        photo_error=float(np.mean([p != t for p, t in zip(photo_chars, photo_truth,
                                                          strict=True)])) if photos else 0.0,
        photo_isolated_error=_isolated_error(rec, dataset, photo_indices) if photos else 0.0,
        seconds_per_line=random.seconds_per_line if random else None,
        cer_lexicon=random.cer_lexicon if random and words is not None else None,
        texts=able.texts if text else None, writing=able.about,
        text_lines=text.lines if text else 0, text_characters=text.characters if text else 0,
        text_cer=text.cer if text else None,
        text_cer_lexicon=text.cer_lexicon if text and words is not None else None,
        text_isolated_error=text.isolated_error if text else None,
        text_count_errors=text.count_errors if text else 0,
        lexicon=str(words) if words is not None else None)
