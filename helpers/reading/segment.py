"""Split the ink of a line image into characters, left to right, and find the word spaces.

Connected components are the pieces. Pieces stacked over each other (the dot of i and j, a
broken bar) or small pieces inside another's columns join into one character; a character far
wider than the others is cut where its ink is thinnest, if that neck is no thicker than about a
stroke. A gap is a word space when it is wide for this line: above the split Otsu's method
finds between narrow and wide gaps, kept within 0.3-0.6 of the character height.
An image of more marks or characters than a line holds (`MAX_CHARACTERS`) is refused
(`TooManyCharacters`) before the network is asked about each of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from helpers.errors import DataError
from helpers.reading.ink import Ink, NoCharacters

MIN_SIZE = 8  # pixels: smaller marks are dust, not characters
TOUCHING_WIDTH = 1.15  # a piece wider than this times the character height may be several
CUT_INK = 2.5  # strokes: where two characters touch, the column ink is about two strokes
MAX_CHARACTERS = 500  # a line of print across a wide page holds about 150
MAX_PIECES = 4 * MAX_CHARACTERS  # separate marks before dots and broken strokes are joined
Box = tuple[int, int, int, int]  # x, y, w, h in pixels of the image the ink came from


class TooManyCharacters(DataError):
    """More separate marks than one line of writing holds (a page, a pattern, a texture)."""


@dataclass(frozen=True)
class Piece:
    """One character's ink: its box and the mask of its pixels inside the box."""

    box: Box
    mask: np.ndarray

    @property
    def left(self) -> int:
        return self.box[0]

    @property
    def right(self) -> int:
        return self.box[0] + self.box[2]


def _union(a: Piece, b: Piece) -> Piece:
    x0, y0 = min(a.box[0], b.box[0]), min(a.box[1], b.box[1])
    x1 = max(a.box[0] + a.box[2], b.box[0] + b.box[2])
    y1 = max(a.box[1] + a.box[3], b.box[1] + b.box[3])
    mask = np.zeros((y1 - y0, x1 - x0), bool)
    for p in (a, b):
        x, y, w, h = p.box
        mask[y - y0:y - y0 + h, x - x0:x - x0 + w] |= p.mask
    return Piece((x0, y0, x1 - x0, y1 - y0), mask)


def _components(ink: Ink) -> list[Piece]:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.mask.astype(np.uint8), 8)
    min_area = max(2.0, 0.25 * ink.stroke ** 2)  # a quarter of a dot: specks of noise go
    pieces = []
    for k in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[k])
        if area >= min_area:
            pieces.append(Piece((x, y, w, h), labels[y:y + h, x:x + w] == k))
    return pieces


def _belong_together(a: Piece, b: Piece, height: float) -> bool:
    overlap = min(a.right, b.right) - max(a.left, b.left)
    narrower = min(a.box[2], b.box[2])
    if overlap < 0.5 * narrower:
        return False
    ay0, ay1 = a.box[1], a.box[1] + a.box[3]
    by0, by1 = b.box[1], b.box[1] + b.box[3]
    vertical_gap = max(ay0, by0) - min(ay1, by1)
    stacked = 0 <= vertical_gap <= 0.5 * height  # the dot of an i: close above, not far
    small = min(a.box[3], b.box[3]) < 0.4 * height and vertical_gap <= 0.5 * height
    return stacked or small


def _merged(pieces: list[Piece], height: float) -> list[Piece]:
    pieces = sorted(pieces, key=lambda p: p.left)
    changed = True
    while changed:
        changed = False
        for i in range(len(pieces)):
            for j in range(i + 1, len(pieces)):
                if pieces[j].left >= pieces[i].right:
                    break
                if _belong_together(pieces[i], pieces[j], height):
                    pieces[i] = _union(pieces[i], pieces[j])
                    del pieces[j]
                    changed = True
                    break
            if changed:
                break
    return pieces


def _crop(piece: Piece, x0: int, x1: int) -> Piece | None:
    mask = piece.mask[:, x0:x1]
    rows = np.flatnonzero(mask.any(1))
    if not rows.size:
        return None
    mask = mask[rows[0]:rows[-1] + 1]
    x, y, _, _ = piece.box
    return Piece((x + x0, y + int(rows[0]), x1 - x0, mask.shape[0]), mask)


def _neck(column_ink: np.ndarray, width: float, stroke: float) -> int | None:
    """Where to cut a piece of this column ink that is much wider than a character: its
    thinnest column, when that is a neck; None when it is not to be cut."""
    w = len(column_ink)
    if w < 1.6 * width:
        return None
    lo, hi = max(1, int(0.3 * width)), w - int(0.3 * width)  # both parts at least a column
    if hi <= lo:
        return None
    cut = lo + int(np.argmin(column_ink[lo:hi]))
    return None if column_ink[cut] > 1.5 * stroke else cut


def _split(piece: Piece, width: float, stroke: float, limit: int) -> list[Piece]:
    """A piece cut at its necks until no part is much wider than a character, left to right.
    A loop over column spans, not recursion: a long bar of ink may be cut at every few
    columns. Stops cutting once there are more than `limit` parts."""
    column_ink = piece.mask.sum(0)
    spans, todo = [], [(0, piece.box[2])]
    while todo and len(spans) + len(todo) <= limit:
        a, b = todo.pop()
        if not column_ink[a:b].any():
            continue
        cut = _neck(column_ink[a:b], width, stroke)
        if cut is None:
            spans.append((a, b))
        else:
            todo += [(a + cut, b), (a, a + cut)]
    spans += [span for span in todo if column_ink[span[0]:span[1]].any()]
    if spans == [(0, piece.box[2])]:
        return [piece]
    return [part for a, b in sorted(spans) if (part := _crop(piece, a, b)) is not None]


def crop(piece: Piece, x0: int, x1: int) -> Piece | None:
    """The part of `piece` between columns x0 and x1 (its own coordinates), tight in height."""
    return _crop(piece, x0, x1)


def cuts(piece: Piece, height: float, stroke: float) -> list[int]:
    """Columns (in the piece's own coordinates, left to right) where touching characters may
    meet, in a piece that may hold several.

    A piece wider than TOUCHING_WIDTH times the line's character height is a candidate (on
    EMNIST lines 19 in 20 single characters are narrower, two touching ones wider); its cuts
    are the valleys of its column ink no thicker than CUT_INK strokes, at least 0.12 of the
    height from either side (the narrowest characters, 1 and I, are about that wide) and a
    stroke apart. Which cuts are taken is for the classifier to say (`helpers.reading.recognizer`).
    """
    w = piece.box[2]
    margin = max(2, int(0.12 * height))
    if w <= TOUCHING_WIDTH * height or w - margin <= margin:
        return []
    ink = piece.mask.sum(0).astype(float)
    smooth = np.convolve(ink, np.ones(3) / 3, mode="same")
    found = [x for x in range(margin, w - margin)
             if smooth[x] <= smooth[x - 1] and smooth[x] <= smooth[x + 1]
             and ink[x] <= CUT_INK * stroke]
    chosen: list[int] = []
    for x in sorted(found, key=lambda x: ink[x]):  # thinnest first; one per valley
        if all(abs(x - c) > stroke for c in chosen):
            chosen.append(x)
    return sorted(chosen)


def _legible(pieces: list[Piece]) -> list[Piece]:
    """Drop pieces too small to be a character: under MIN_SIZE pixels tall, or under a quarter
    of the height of the tallest piece (dust beside the writing)."""
    tallest = max((p.box[3] for p in pieces), default=0)
    return [p for p in pieces if p.box[3] >= max(MIN_SIZE, tallest / 4)]


def _check_count(count: int, limit: int, things: str, what: str) -> None:
    """`TooManyCharacters` when a line would have more than `limit` marks or characters."""
    if count > limit:
        raise TooManyCharacters(
            f"{what} has more than {limit:,} {things}, more than one line of writing holds: "
            "crop one line to read it, or one character to predict it")


def characters(ink: Ink, *, what: str = "image") -> list[Piece]:
    """The characters of a line, left to right; `NoCharacters` when none can be separated,
    `TooManyCharacters` when there are more marks than a line could hold."""
    pieces = _components(ink)
    _check_count(len(pieces), MAX_PIECES, "separate marks", what)
    if pieces:
        height = float(np.median([p.box[3] for p in pieces]))
        pieces = _legible(_merged(pieces, height))
    if not pieces:
        raise NoCharacters(f"{what} has no separable characters: the ink found is only specks "
                           f"less than {MIN_SIZE} pixels tall")
    _check_count(len(pieces), MAX_CHARACTERS, "characters", what)
    height = float(np.median([p.box[3] for p in pieces]))
    tall = [p for p in pieces if p.box[3] >= 0.4 * height] or pieces
    width = float(np.median([p.box[2] for p in tall]))
    width = min(width, 1.2 * height)  # a line of touching characters has no narrow median
    parts: list[Piece] = []
    for piece in pieces:
        parts += _split(piece, width, ink.stroke, MAX_CHARACTERS - len(parts))
        _check_count(len(parts), MAX_CHARACTERS, "characters", what)
    return sorted(parts, key=lambda p: p.left)


def _otsu_1d(values: np.ndarray) -> float:
    """The cut between two groups of numbers that maximises the between-group variance."""
    values = np.sort(values)
    best, cut = -1.0, float(values[-1])
    for i in range(1, len(values)):
        low, high = values[:i], values[i:]
        score = len(low) * len(high) * (high.mean() - low.mean()) ** 2
        if score > best:
            best, cut = score, float((values[i - 1] + values[i]) / 2)
    return cut


def space_after(pieces: list[Piece]) -> list[bool]:
    """For each character but the last, whether a word space follows it."""
    if len(pieces) < 2:
        return []
    gaps = np.array([b.left - a.right for a, b in zip(pieces, pieces[1:], strict=False)],
                    dtype=float)
    height = float(np.median([p.box[3] for p in pieces]))
    threshold = _otsu_1d(gaps) if len(gaps) >= 3 else 0.45 * height
    threshold = float(np.clip(threshold, 0.3 * height, 0.6 * height))
    return [bool(g > threshold) for g in gaps]
