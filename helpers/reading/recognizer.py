"""Read characters from real-world images: a photo of one character, or a line of them.

`frame_photo` turns any photo or scan of one character into the 28×28 input the networks were
trained on: find the ink (`ink`), crop to it, scale its longer side to the size the training
characters had, centre it as they were centred (both stored with the model; `frame_ink` does
the last three). `classify` names the likeliest characters of one such photo; `read` segments a
line (`segment`), classifies each character and spells each word with the help of a lexicon and
case rules (`decode`; by default the 50,000 most frequent English words of wordfreq, `lexicon`;
`lexicon=False` for the network's first choice of every character).
A `Recognizer` is a saved model loaded once, with its classes; the CLI and notebooks share it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import keras
import numpy as np
from PIL import Image

from helpers.data.dataset import IMAGE_SIZE
from helpers.data.images import MAX_PIXELS, TooManyPixels, open_image, to_gray
from helpers.errors import ConfigError, DataError
from helpers.learn import UNSURE_BELOW
from helpers.learn.inputs import Framing
from helpers.learn.models import default_model, info_path, load_model
from helpers.learn.predict import Predictor
from helpers.reading import segment
from helpers.reading.decode import decode
from helpers.reading.ink import WORK_PIXELS, Ink, find_ink
from helpers.reading.lexicon import Lexicon

DEFAULT_FRAMING = Framing()
ImageInput = str | Path | bytes | Image.Image | np.ndarray


@dataclass
class Recognizer:
    """A trained network with its classes and how its training characters were framed.

    Safe to share between threads (a web server's requests): calls into the network take turns.
    """

    model: keras.Model
    classes: list[str]
    framing: Framing = DEFAULT_FRAMING
    info: dict = field(default_factory=dict)
    path: Path | None = None

    def __post_init__(self):
        if self.model.output_shape[-1] != len(self.classes):
            raise DataError(f"the model predicts {self.model.output_shape[-1]} classes but "
                            f"{len(self.classes)} class names were given")
        self._predictor = Predictor(self.model)
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: str | Path | None = None) -> Recognizer:
        """A model saved by `make model`, `make report` or `python -m helpers train`; by
        default `make model`'s reader, else the best model of the latest report run."""
        path = default_model() if path is None else Path(path)
        model, info = load_model(path)
        preprocessing = info.get("preprocessing", {})
        try:
            if not isinstance(preprocessing, dict):
                raise TypeError(f"'preprocessing' is a {type(preprocessing).__name__}, not an "
                                "object")
            framing = Framing.from_dict(preprocessing.get("framing"))
        except (TypeError, ValueError, AttributeError) as e:
            raise DataError(f"{info_path(path)}: the model's framing cannot be read ({e}); "
                            "save the model again with helpers.learn.models.save_model") from None
        return cls(model, [str(c) for c in info["classes"]], framing, info, path)

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities (N×K) of uint8 28×28 images."""
        with self._lock:
            return self._predictor(images)


def recognizer(model) -> Recognizer:
    """A Recognizer from a Recognizer, a path to a saved model, or None (the latest model)."""
    if isinstance(model, Recognizer):
        return model
    if model is None or isinstance(model, str | Path):
        return Recognizer.load(model)
    raise DataError(f"expected a Recognizer or a path to a saved .keras model, got "
                    f"{type(model).__name__}; wrap a Keras model as Recognizer(model, classes)")


def as_gray(image: ImageInput, *, max_pixels: int = MAX_PIXELS) -> tuple[np.ndarray, float]:
    """Float32 gray 0..255 from a path, bytes, PIL image or array (gray, RGB or RGBA), and its
    scale to the input: a file over `WORK_PIXELS` is decoded at about that size (see
    `open_image`), as is a PIL image that `open_image` was asked to reduce."""
    if not isinstance(image, np.ndarray):
        opened = open_image(image, max_pixels=max_pixels, work_pixels=WORK_PIXELS)
        return to_gray(opened), float(opened.info.get("scale", 1.0))
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise DataError(f"an image array must be H×W, H×W×3 or H×W×4, got shape {array.shape}")
    if array.shape[0] * array.shape[1] > max_pixels:
        raise TooManyPixels(f"image array is {array.shape[1]}×{array.shape[0]} pixels, over the "
                            f"{max_pixels:,}-pixel limit (max_pixels=)")
    if array.dtype.kind == "f" and array.size and np.nanmax(array) <= 1.0:
        array = array * 255
    array = np.clip(np.nan_to_num(array.astype(np.float32)), 0, 255)
    if array.ndim == 2:
        return array, 1.0
    return to_gray(Image.fromarray(array.astype(np.uint8))), 1.0


def frame_ink(values: np.ndarray, mask: np.ndarray,
          framing: Framing = DEFAULT_FRAMING) -> np.ndarray:
    """One character's ink (values 0..255 and mask, any size) as a 28×28 uint8 image: cropped
    to the mask, longer side scaled to `framing.ink_size`, centred by its box or its mass."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if not rows.size:
        return np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    crop = values[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].astype(np.float32)
    height, width = crop.shape
    factor = float(np.clip(framing.ink_size, 4, IMAGE_SIZE)) / max(height, width)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    small = cv2.resize(crop, size, interpolation=interpolation)
    total = small.sum()
    if total <= 0:
        return np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    if framing.centre == "box":
        centre = (np.array(size, dtype=float) - 1) / 2
    else:
        ys, xs = np.indices(small.shape)
        centre = np.array([(xs * small).sum(), (ys * small).sum()]) / total
    # Put the centre at the frame's centre, but never push ink over the edge.
    left, top = np.rint((IMAGE_SIZE - 1) / 2 - centre).astype(int)
    left = int(np.clip(left, 0, IMAGE_SIZE - size[0]))
    top = int(np.clip(top, 0, IMAGE_SIZE - size[1]))
    out = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    out[top:top + size[1], left:left + size[0]] = small
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _ink(image: ImageInput, threshold: str, what: str | None) -> Ink:
    if what is None:
        what = str(image) if isinstance(image, str | Path) else "image"
    gray, scale = as_gray(image)
    return find_ink(gray, threshold=threshold, what=what, scale=scale)


def frame_photo(image: ImageInput, *, framing: Framing = DEFAULT_FRAMING, threshold: str = "otsu",
            what: str | None = None) -> np.ndarray:
    """Any photo or scan of one character -> 28×28 uint8, white ink on black, as in EMNIST."""
    ink = _ink(image, threshold, what)
    return frame_ink(ink.values, ink.mask, framing)


@dataclass(frozen=True)
class Prediction:
    """The top classes of one character image, best first, and the 28×28 image classified."""

    top: list[tuple[str, float]]
    image: np.ndarray

    @property
    def char(self) -> str:
        return self.top[0][0]

    @property
    def prob(self) -> float:
        return self.top[0][1]

    @property
    def unsure(self) -> bool:
        """The first choice has less than `UNSURE_BELOW` of the probability."""
        return self.prob < UNSURE_BELOW

    def as_dict(self) -> dict:
        return {"top": [{"char": c, "prob": round(p, 6)} for c, p in self.top],
                "unsure": self.unsure}


def _top(rec: Recognizer, probabilities: np.ndarray, top_k: int) -> list[tuple[str, float]]:
    order = np.argsort(probabilities)[::-1][:max(1, int(top_k))]
    return [(rec.classes[i], float(probabilities[i])) for i in order]


def classify(model, image: ImageInput, top_k: int = 5, *, threshold: str = "otsu",
            what: str | None = None) -> Prediction:
    """The `top_k` most likely characters in a photo or scan of one character."""
    rec = recognizer(model)
    prepared = frame_photo(image, framing=rec.framing, threshold=threshold, what=what)
    return Prediction(_top(rec, rec.probabilities(prepared)[0], top_k), prepared)


@dataclass(frozen=True)
class ReadCharacter:
    char: str  # as spelled in the text read
    prob: float  # the network's probability of the class spelled
    box: tuple[int, int, int, int]  # x, y, w, h in the input image's pixels
    top: list[tuple[str, float]]
    image: np.ndarray  # the 28×28 input the model saw

    @property
    def unsure(self) -> bool:
        """The character spelled has less than `UNSURE_BELOW` of the probability."""
        return self.prob < UNSURE_BELOW


@dataclass(frozen=True)
class Reading:
    """The text of a line image and, for each character read, its box and probabilities.

    `text` is spelled with the lexicon and case rules when `read` used them; `raw_text` is the
    network's first choice for every character (the same when no lexicon was used)."""

    text: str
    characters: list[ReadCharacter]
    raw_text: str | None = None

    def __post_init__(self):
        if self.raw_text is None:
            object.__setattr__(self, "raw_text", self.text)

    @property
    def unsure(self) -> int:
        """How many of the characters read are unsure (see `ReadCharacter.unsure`)."""
        return sum(c.unsure for c in self.characters)

    def as_dict(self) -> dict:
        return {"text": self.text, "raw_text": self.raw_text, "unsure": self.unsure,
                "characters": [{"char": c.char, "prob": round(c.prob, 6), "box": list(c.box),
                                "unsure": c.unsure} for c in self.characters]}


def _box_in_input(box: segment.Box, scale: float) -> tuple[int, int, int, int]:
    return tuple(int(round(v / scale)) for v in box)


def lexicon_of(lexicon: bool | Lexicon | None) -> Lexicon | None:
    """The lexicon `read` spells with: True for English (`Lexicon.default()`), False or None
    for none, or a `Lexicon` as it is."""
    if lexicon is True:
        return Lexicon.default()
    if lexicon is False or lexicon is None:
        return None
    if isinstance(lexicon, Lexicon):
        return lexicon
    raise ConfigError(f"lexicon must be True, False or a helpers.reading.lexicon.Lexicon, got "
                      f"{type(lexicon).__name__}; for a word list file use "
                      "Lexicon.from_file(path)")


def _input(rec: Recognizer, ink: Ink, piece: segment.Piece) -> np.ndarray:
    """The 28×28 image of one piece of a line, framed as the model's training characters."""
    x, y, w, h = piece.box
    # The mask grown by a pixel keeps the soft edge of the strokes, not the neighbours.
    near = cv2.dilate(piece.mask.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    values = np.where(near, ink.values[y:y + h, x:x + w], 0)
    return frame_ink(values, piece.mask, rec.framing)


# A wide piece is read as the sequence of parts between its cuts that the network is surest
# of. Each extra part costs SPLIT_COST (in log-probability of the parts' first choices), so
# a split must buy that much confidence: 0.3 keeps single wide characters (M, W, m) whole on
# normal lines while separating most touching ones (measured on EMNIST lines, bench-read).
SPLIT_COST = 0.3
PART_WIDTH = (0.12, 1.3)  # a part of a wide piece, in character heights
WIDTH_MEAN, WIDTH_SD, WIDTH_WEIGHT = 0.85, 0.25, 1.0


def _options(piece: segment.Piece, height: float, stroke: float) -> list[tuple[int, int]]:
    """The column spans of `piece` that may be one character: the whole piece, and for a
    piece that may hold touching characters, every span between two of its cuts of a
    plausible width."""
    width = piece.box[2]
    edges = [0, *segment.cuts(piece, height, stroke), width]
    low, high = PART_WIDTH[0] * height, PART_WIDTH[1] * height
    return [(a, b) for i, a in enumerate(edges) for b in edges[i + 1:]
            if (a, b) == (0, width) or low <= b - a <= high]


def _best_split(spans: list[tuple[int, int]], sure: np.ndarray, width: int,
                height: float) -> list[int]:
    """Indices of the spans that tile 0..width with the highest total of `sure` (log-
    probability of each span's first choice) less SPLIT_COST per extra part."""
    widths = np.array([b - a for a, b in spans]) / height
    shape = -WIDTH_WEIGHT * 0.5 * ((widths - WIDTH_MEAN) / WIDTH_SD) ** 2
    best = {0: (0.0, [])}
    for end in sorted({b for _, b in spans}):
        found = [(best[a][0] + sure[k] + shape[k] - SPLIT_COST, best[a][1] + [k])
                 for k, (a, b) in enumerate(spans) if b == end and a in best]
        if found:
            best[end] = max(found, key=lambda f: f[0])
    return best[width][1]


def _classified(rec: Recognizer, ink: Ink, pieces: list[segment.Piece]):
    """Classify the pieces, letting the network decide where a wide piece is several touching
    characters (`segment.cuts` proposes where they may meet; the parts the network reads most
    surely are kept). Returns the final pieces, their 28×28 images and probabilities."""
    height = float(np.median([p.box[3] for p in pieces]))
    candidates, owner = [], []
    for i, piece in enumerate(pieces):
        for a, b in _options(piece, height, ink.stroke):
            part = piece if (a, b) == (0, piece.box[2]) else segment.crop(piece, a, b)
            if part is not None:
                candidates.append(((a, b), part))
                owner.append(i)
    images = [_input(rec, ink, part) for _, part in candidates]
    probabilities = rec.probabilities(np.stack(images))
    sure = np.log(probabilities.max(1) + 1e-9)
    owner = np.array(owner)
    chosen: list[int] = []
    for i, piece in enumerate(pieces):
        mine = np.flatnonzero(owner == i)
        if len(mine) == 1:
            chosen.append(int(mine[0]))
            continue
        picks = _best_split([candidates[k][0] for k in mine], sure[mine], piece.box[2],
                            height)
        chosen += [int(mine[k]) for k in picks]
    return ([candidates[k][1] for k in chosen], [images[k] for k in chosen],
            probabilities[chosen])


def read(model, image: ImageInput, *, top_k: int = 5, threshold: str = "otsu",
         what: str | None = None, lexicon: bool | Lexicon | None = True) -> Reading:
    """The text of a photo or scan of one line of characters.

    With `lexicon` (True: the default English word list, or a `Lexicon`) each word is spelled
    by a beam search over the likeliest classes of its characters that favours words of the
    lexicon and one case per word (`helpers.reading.decode`); with False every character is the
    network's first choice. `Reading.raw_text` is always the latter."""
    rec = recognizer(model)
    words = lexicon_of(lexicon)
    ink = _ink(image, threshold, what)
    pieces = segment.characters(ink, what=what or "image")
    pieces, inputs, probabilities = _classified(rec, ink, pieces)
    spaces = segment.space_after(pieces)
    tops = [_top(rec, p, top_k) for p in probabilities]
    raw = [top[0] for top in tops]
    spelled = raw
    if words is not None:
        decoded = decode(probabilities, rec.classes, spaces, words)
        spelled = [(char, float(p[k])) for char, k, p in zip(decoded.chars, decoded.chosen,
                                                            probabilities, strict=True)]
    found = [ReadCharacter(char, prob, _box_in_input(piece.box, ink.scale), top, image28)
             for (char, prob), piece, top, image28 in zip(spelled, pieces, tops, inputs,
                                                          strict=True)]

    def joined(chars: list[str]) -> str:
        return "".join(c + (" " if i < len(spaces) and spaces[i] else "")
                       for i, c in enumerate(chars))

    return Reading(joined([c.char for c in found]), found, joined([c for c, _ in raw]))
