"""How well a model reads: character error rate on generated lines against its error on the
same characters in isolation, and its accuracy on photos of them.

The gap between the two numbers is what reading adds on top of classifying: segmentation
(split or merged characters), framing (crop, scale, centring), and word spaces.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from helpers.data import Dataset
from helpers.lines import DEFAULT_STYLE, LineStyle, character_photo, generate_lines
from helpers.read import Recognizer, predict, read

TARGET_GAP = 0.03  # reading may cost at most 3 points of CER over isolated classification


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


def cer(predicted: list[str], truth: list[str]) -> float:
    """Character error rate: total edit distance over the total length of the truth."""
    total = sum(len(t) for t in truth)
    return sum(edit_distance(p, t) for p, t in zip(predicted, truth, strict=True)) / max(total, 1)


@dataclass(frozen=True)
class ReadingScore:
    lines: int
    characters: int  # characters in the lines, spaces excluded
    cer: float  # of `read` on the line images, spaces included
    cer_without_spaces: float
    isolated_error: float  # the same model on the same test characters, as the dataset has them
    count_errors: int  # lines where segmentation found a different number of characters
    photos: int
    photo_error: float  # `predict` on photos of characters (same model)
    photo_isolated_error: float  # the same characters, as the dataset has them
    seconds_per_line: float

    @property
    def gap(self) -> float:
        return self.cer - self.isolated_error

    def as_dict(self) -> dict:
        return {**asdict(self), "gap": self.gap}

    def table(self) -> list[tuple[str, str]]:
        """(measure, value) rows for a notebook or report table."""
        return [("lines read", f"{self.lines}"), ("characters in them", f"{self.characters}"),
                ("CER of read (spaces included)", f"{self.cer:.1%}"),
                ("CER without spaces", f"{self.cer_without_spaces:.1%}"),
                ("error on the same characters in isolation", f"{self.isolated_error:.1%}"),
                ("CER minus isolated error", f"{100 * self.gap:+.1f} points"),
                ("lines with a wrong character count", f"{self.count_errors}"),
                ("photos of characters", f"{self.photos}"),
                ("error on the photos", f"{self.photo_error:.1%}"),
                ("error on the photos' characters in isolation",
                 f"{self.photo_isolated_error:.1%}"),
                ("time to read one line", f"{1000 * self.seconds_per_line:.0f} ms")]

    def summary(self) -> str:
        """Two or three sentences on what reading costs over classifying, from the numbers."""
        verdict = ("within" if self.gap <= TARGET_GAP else "over")
        text = (f"Reading {self.lines} generated lines ({self.characters} characters) gave a "
                f"character error rate of {self.cer:.1%}, against {self.isolated_error:.1%} for "
                f"the same characters classified one by one: {100 * self.gap:+.1f} points, "
                f"{verdict} the {100 * TARGET_GAP:.0f}-point allowance for segmentation, "
                f"framing and word spaces.")
        if self.count_errors:
            text += (f" In {self.count_errors} of the lines the segmentation found a different "
                     "number of characters than were drawn (broken or touching strokes).")
        if self.photos:
            text += (f" On {self.photos} photos of single characters the error was "
                     f"{self.photo_error:.1%} ({self.photo_isolated_error:.1%} for the same "
                     "characters as the dataset stores them).")
        return text


def _isolated_error(rec: Recognizer, dataset: Dataset, indices: list[int]) -> float:
    predicted = rec.probabilities(dataset.x_test[indices]).argmax(1)
    truth = [rec.classes.index(dataset.classes[k]) for k in dataset.y_test[indices]]
    return float(np.mean(predicted != np.array(truth)))


def score_reading(rec: Recognizer, dataset: Dataset, *, lines: int = 100, photos: int = 100,
                  seed: int = 0, style: LineStyle = DEFAULT_STYLE) -> ReadingScore:
    """Read `lines` generated lines and predict `photos` character photos, all made from the
    dataset's test characters, and compare with the isolated error on those characters."""
    made = generate_lines(dataset, lines, seed=seed, style=style)
    started = time.perf_counter()
    readings = [read(rec, line.image) for line in made]
    seconds = (time.perf_counter() - started) / len(made)
    texts = [r.text for r in readings]
    truth = [line.text for line in made]
    used = [i for line in made for i in line.indices]
    rng = np.random.default_rng(seed + 1)
    photo_indices = rng.integers(0, len(dataset.y_test), size=photos).tolist()
    photo_chars = [predict(rec, character_photo(dataset.x_test[i], rng)).char
                   for i in photo_indices]
    photo_truth = [dataset.classes[dataset.y_test[i]] for i in photo_indices]
    return ReadingScore(
        lines=len(made), characters=len(used), cer=cer(texts, truth),
        cer_without_spaces=cer([t.replace(" ", "") for t in texts],
                               [t.replace(" ", "") for t in truth]),
        isolated_error=_isolated_error(rec, dataset, used),
        count_errors=sum(len(r.characters) != len(line.indices)
                         for r, line in zip(readings, made, strict=True)),
        photos=photos,
        photo_error=float(np.mean([p != t for p, t in zip(photo_chars, photo_truth,
                                                          strict=True)])) if photos else 0.0,
        photo_isolated_error=_isolated_error(rec, dataset, photo_indices) if photos else 0.0,
        seconds_per_line=seconds)
