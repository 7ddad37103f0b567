"""The default dataset: 0-9 and A-Z rendered offline from fonts bundled with matplotlib and OpenCV.

Each (font, character, stroke width) is drawn once as a prototype at twice the final scale; each
sample is one affine warp of a prototype straight to 28x28 (jitter plus EMNIST-style framing in
one matrix), one Gaussian blur, and noise added over the whole batch.

Two renders of one prototype differ only by their jitter, so a random split would put near-twins
of every test image in training. By default whole font faces are held out instead: the test
images are rendered only from `TEST_FONTS`, the training images only from the other faces, and
the test accuracy measures recognition of faces the network has never seen.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from helpers.data.dataset import IMAGE_SIZE, Dataset, stratified_split
from helpers.errors import DataError

CLASSES = tuple("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")

TTF_FONTS = (
    "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique",
    "DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic", "DejaVuSerif-BoldItalic",
    "DejaVuSansMono", "DejaVuSansMono-Bold", "DejaVuSansMono-Oblique",
    "DejaVuSansMono-BoldOblique", "STIXGeneral", "STIXGeneralBol", "STIXGeneralItalic",
    "STIXGeneralBolIta", "cmr10", "cmss10", "cmtt10", "cmb10", "cmti10",
)
# OpenCV's Hershey stroke fonts; the two script faces look hand-drawn. (OpenCV 5 replaced them
# with built-in sans faces, which is why the project pins OpenCV 4.)
HERSHEY_FONTS = tuple(
    face | italic
    for face in (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_PLAIN, cv2.FONT_HERSHEY_DUPLEX,
                 cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX,
                 cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX)
    for italic in (0, cv2.FONT_ITALIC)
)
HERSHEY_NAMES = {
    cv2.FONT_HERSHEY_SIMPLEX: "HersheySimplex", cv2.FONT_HERSHEY_PLAIN: "HersheyPlain",
    cv2.FONT_HERSHEY_DUPLEX: "HersheyDuplex", cv2.FONT_HERSHEY_COMPLEX: "HersheyComplex",
    cv2.FONT_HERSHEY_TRIPLEX: "HersheyTriplex",
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX: "HersheyScriptSimplex",
    cv2.FONT_HERSHEY_SCRIPT_COMPLEX: "HersheyScriptComplex",
}
# The faces held out for the test split: one of each kind, so the test covers every style of the
# training faces without sharing a face with them (about a fifth of the 31 distinct faces).
TEST_FONTS = (
    "DejaVuSans-Bold",        # sans serif
    "DejaVuSerif-Italic",     # serif
    "DejaVuSansMono",         # monospaced
    "STIXGeneralBolIta",      # STIX
    "cmr10",                  # Computer Modern
    "HersheyDuplex",          # Hershey stroke font
    "HersheyScriptComplex",   # script (its digits are Hershey Complex Italic's, a training face)
)

# Percent of characters in English text. Letters: Lewand's table. Digits: a flatter profile by
# design (0-2 lead because of years and counts), placed among the mid-frequency letters.
FREQUENCY = {
    "0": 3.0, "1": 3.4, "2": 2.9, "3": 2.5, "4": 2.3, "5": 2.4, "6": 2.1, "7": 2.0, "8": 2.1,
    "9": 2.2, "A": 8.17, "B": 1.49, "C": 2.78, "D": 4.25, "E": 12.70, "F": 2.23, "G": 2.02,
    "H": 6.09, "I": 6.97, "J": 0.15, "K": 0.77, "L": 4.03, "M": 2.41, "N": 6.75, "O": 7.51,
    "P": 1.93, "Q": 0.095, "R": 5.99, "S": 6.33, "T": 9.06, "U": 2.76, "V": 0.98, "W": 2.36,
    "X": 0.15, "Y": 1.97, "Z": 0.074,
}

BOX = 20  # MNIST/EMNIST framing: the character fits a 20x20 box, centre of mass at the centre
PROTO_BOX = 2 * BOX  # prototypes at 2x, so the final warp only halves (little aliasing)
RENDER_PX = 96  # font size of the first, high-resolution drawing
MAX_ROTATION = 8.0  # degrees
MAX_SHEAR = 0.15
SCALE_RANGE = (0.85, 1.1)
MAX_SHIFT = 1.0  # pixels at 28x28
BLUR_SIGMA = (0.2, 0.8)
NOISE_SIGMA = (0.0, 10.0)  # grey levels
INK_GAIN = (0.8, 1.0)  # pen pressure: the brightest ink is 204..255


def _font_dir() -> Path:
    # Located without importing matplotlib (slow, and only its font files are needed).
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("glyphs: matplotlib is not installed; its bundled fonts draw this dataset")
    return Path(spec.submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf"


def _draw_ttf(font: ImageFont.FreeTypeFont, char: str) -> np.ndarray:
    canvas = Image.new("L", (2 * RENDER_PX, 2 * RENDER_PX))
    ImageDraw.Draw(canvas).text((RENDER_PX, RENDER_PX), char, font=font, fill=255, anchor="mm")
    return np.asarray(canvas)


def _hershey_name(font: int) -> str:
    italic = font & cv2.FONT_ITALIC
    return HERSHEY_NAMES[font & ~cv2.FONT_ITALIC] + ("-Italic" if italic else "")


def _ttf_drawings():
    """(face, class index, glyph) for every TTF face that really draws the character."""
    font_dir = _font_dir()
    for name in TTF_FONTS:
        path = font_dir / f"{name}.ttf"
        if not path.exists():
            continue
        font = ImageFont.truetype(str(path), RENDER_PX)
        # A code point no font covers shows the .notdef box; a glyph equal to it is missing.
        notdef = _draw_ttf(font, "\U0010fffd")
        for k, char in enumerate(CLASSES):
            glyph = _draw_ttf(font, char)
            if glyph.max() > 0 and not np.array_equal(glyph, notdef):
                yield name, k, glyph


def _hershey_drawings():
    """(face, class index, glyph) for OpenCV's Hershey faces at several pen widths."""
    canvas_shape, org = (2 * RENDER_PX, 2 * RENDER_PX), (RENDER_PX // 2, 3 * RENDER_PX // 2)
    for k, char in enumerate(CLASSES):
        for font in HERSHEY_FONTS:
            for thickness in (6, 9, 13):
                canvas = np.zeros(canvas_shape, np.uint8)
                cv2.putText(canvas, char, org, font, 3.0, 255, thickness, cv2.LINE_AA)
                yield _hershey_name(font), k, canvas


def _stroke_variants(glyph: np.ndarray):
    """The glyph as drawn, bolder and thinner (a thinning that erases strokes is dropped)."""
    yield glyph
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    yield cv2.dilate(glyph, disk)
    thin = cv2.erode(glyph, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    if (thin > 127).sum() > 0.5 * (glyph > 127).sum():
        yield thin


def _prototype(glyph: np.ndarray):
    """Crop to the ink, scale the longer side to PROTO_BOX, pad: (image, centre of mass, corners
    of the ink box relative to it)."""
    rows, cols = np.nonzero(glyph)
    glyph = glyph[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = glyph.shape
    f = PROTO_BOX / max(h, w)
    size = (max(1, round(w * f)), max(1, round(h * f)))
    small = cv2.resize(glyph, size, interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    small = cv2.copyMakeBorder(small, 2, 2, 2, 2, cv2.BORDER_CONSTANT, value=0)
    ys, xs = np.indices(small.shape)
    com = np.array([(xs * small).sum(), (ys * small).sum()]) / small.sum()
    x0, x1, y0, y1 = 1.5, size[0] + 1.5, 1.5, size[1] + 1.5  # pixel edges of the ink box
    corners = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]]) - com
    return small, com, corners


@functools.lru_cache(maxsize=1)
def _prototypes():
    """All distinct prototypes: (images, class of each, centres of mass P×2, corners P×4×2,
    the faces that draw each one, as a tuple of frozensets)."""
    images, labels, coms, corners, faces, index = [], [], [], [], [], {}
    ttf = ((face, k, v) for face, k, glyph in _ttf_drawings() for v in _stroke_variants(glyph))
    for face, k, glyph in (*ttf, *_hershey_drawings()):
        image, com, box = _prototype(glyph)
        digest = hashlib.blake2b(image.tobytes() + bytes([k])).digest()
        if digest in index:  # e.g. Hershey faces that FONT_ITALIC leaves unchanged
            faces[index[digest]].add(face)
            continue
        index[digest] = len(images)
        images.append(image)
        labels.append(k)
        coms.append(com)
        corners.append(box)
        faces.append({face})
    arrays = np.array(labels), np.array(coms), np.array(corners)
    for a in (*images, *arrays):
        a.flags.writeable = False
    return tuple(images), *arrays, tuple(frozenset(f) for f in faces)


def fonts() -> tuple[str, ...]:
    """The distinct faces, in drawing order: a face all of whose prototypes an earlier face
    already draws (the Hershey faces FONT_ITALIC leaves unchanged) is not a face of its own."""
    *_, owners = _prototypes()
    names = [*TTF_FONTS, *(_hershey_name(font) for font in HERSHEY_FONTS)]
    drawn = {}
    for i, faces in enumerate(owners):
        for face in faces:
            drawn.setdefault(face, set()).add(i)
    distinct, seen = [], set()
    for name in names:
        if name in drawn and not drawn[name] <= seen:
            distinct.append(name)
        seen |= drawn.get(name, set())
    return tuple(distinct)


def _test_prototypes() -> np.ndarray:
    """Which prototypes only test faces draw (a drawing a training face shares stays in
    training; a face that is not distinct, e.g. HersheyDuplex-Italic, goes with its original)."""
    *_, owners = _prototypes()
    distinct = set(fonts())
    return np.array([faces & distinct <= set(TEST_FONTS) for faces in owners])


def class_counts(size: int, imbalance: float) -> np.ndarray:
    """Images per class: English frequency raised to the power that makes largest/smallest
    equal `imbalance`, rounded by largest remainders to sum to `size` (at least 2 each)."""
    freq = np.array([FREQUENCY[c] for c in CLASSES])
    weight = freq ** (np.log(imbalance) / np.log(freq.max() / freq.min()))
    share = size * weight / weight.sum()
    counts = np.maximum(np.floor(share).astype(int), 2)
    order = np.argsort(-(share - np.floor(share)), kind="stable")
    for i in range(size - counts.sum()):
        counts[order[i % len(order)]] += 1
    while counts.sum() > size:  # the minimum of 2 overshot: trim the largest classes
        counts[np.argmax(counts)] -= 1
    return counts


def _check(size, imbalance, test_fraction) -> None:
    minimum = 2 * len(CLASSES)
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < minimum:
        raise DataError(f"glyphs: size must be a whole number of at least {minimum} (two images "
                        f"per class for {len(CLASSES)} classes), got {size!r}")
    if not isinstance(imbalance, int | float | np.number) or not imbalance >= 1:
        raise DataError(f"glyphs: imbalance (largest/smallest class) must be a number >= 1 "
                        f"(1 = balanced), got {imbalance!r}")
    if not isinstance(test_fraction, int | float | np.number) or not 0 < test_fraction < 1:
        raise DataError(f"glyphs: test_fraction must be between 0 and 1 (exclusive), got "
                        f"{test_fraction!r}")


def _render(y: np.ndarray, rng: np.random.Generator, allowed: np.ndarray | None = None,
            ) -> tuple[np.ndarray, np.ndarray]:
    """One jittered, framed, blurred and noisy uint8 28x28 image per label in `y`, each from a
    random prototype of its class among the `allowed` ones (a boolean mask; default all), and
    the index of the prototype each image was drawn from."""
    images, labels, coms, corners, _ = _prototypes()
    n = len(y)
    pool = np.arange(len(labels)) if allowed is None else np.flatnonzero(allowed)
    order = pool[np.argsort(labels[pool], kind="stable")]
    per_class = np.bincount(labels[pool], minlength=len(CLASSES))
    missing = sorted({CLASSES[k] for k in np.unique(y) if per_class[k] == 0})
    if missing:
        raise DataError(f"glyphs: no face of this split draws {', '.join(missing)}; choose "
                        f"TEST_FONTS that leave every character in both splits")
    start = np.concatenate([[0], np.cumsum(per_class)[:-1]])
    pick = order[start[y] + (rng.random(n) * per_class[y]).astype(int)]

    angle = np.radians(rng.uniform(-MAX_ROTATION, MAX_ROTATION, n))
    shear = rng.uniform(-MAX_SHEAR, MAX_SHEAR, n)
    cos, sin, one, zero = np.cos(angle), np.sin(angle), np.ones(n), np.zeros(n)
    rotate = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)
    slant = np.stack([np.stack([one, shear], -1), np.stack([zero, one], -1)], -2)
    linear = rotate @ slant
    # Frame after distorting, as EMNIST did: the distorted ink box fits BOX, times a random scale.
    moved = corners[pick] @ linear.transpose(0, 2, 1)
    extent = np.ptp(moved, axis=1).max(axis=1)
    linear *= (rng.uniform(*SCALE_RANGE, n) * BOX / extent)[:, None, None]
    centre = (IMAGE_SIZE - 1) / 2 + rng.uniform(-MAX_SHIFT, MAX_SHIFT, (n, 2))
    offset = centre - (linear @ coms[pick][:, :, None])[:, :, 0]
    matrices = np.concatenate([linear, offset[:, :, None]], axis=2)

    sigma = rng.uniform(*BLUR_SIGMA, n)
    out = np.empty((n, IMAGE_SIZE, IMAGE_SIZE), np.float32)
    for i in range(n):
        cv2.warpAffine(images[pick[i]], matrices[i], (IMAGE_SIZE, IMAGE_SIZE), dst=out[i],
                       flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        cv2.GaussianBlur(out[i], (0, 0), sigma[i], dst=out[i])
    out *= (255 * rng.uniform(*INK_GAIN, n)).astype(np.float32)[:, None, None]
    noise = rng.standard_normal(out.shape, dtype=np.float32)
    out += noise * rng.uniform(*NOISE_SIGMA, n).astype(np.float32)[:, None, None]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8), pick


def load(*, seed: int = 0, size: int = 24_000, imbalance: float = 10.0,
         test_fraction: float = 0.2, hold_out_fonts: bool = True) -> Dataset:
    """`size` rendered characters, class sizes following English text, split stratified by class:
    the test images from the `TEST_FONTS` faces and the training images from the others, or
    (`hold_out_fonts=False`) all from every face and split at random."""
    _check(size, imbalance, test_fraction)
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.repeat(np.arange(len(CLASSES)), class_counts(size, imbalance)))
    frequency = (f"{size:,} characters rendered offline from the TrueType faces bundled with "
                 f"matplotlib (DejaVu, STIX, Computer Modern) and OpenCV's Hershey fonts, with "
                 f"random rotation, shear, scale, stroke width, blur and noise, class sizes "
                 f"following text frequency (largest/smallest {imbalance:g})")
    share = f"{1 - test_fraction:.0%} train / {test_fraction:.0%} test"
    if not hold_out_fonts:
        x_train, y_train, x_test, y_test = stratified_split(_render(y, rng)[0], y,
                                                            test_fraction, seed)
        return Dataset(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
                       classes=CLASSES, name="glyphs",
                       source=f"{frequency}, split {share} at random with seed {seed} (every face "
                              f"in both splits).")
    _, y_train, _, y_test = stratified_split(np.arange(size), y, test_fraction, seed)
    test_only = _test_prototypes()
    (x_train, _), (x_test, _) = _render(y_train, rng, ~test_only), _render(y_test, rng, test_only)
    test_fonts = tuple(f for f in fonts() if f in TEST_FONTS)
    train_fonts = tuple(f for f in fonts() if f not in TEST_FONTS)
    source = (f"{frequency}, split {share} by font face with seed {seed}: the test images are "
              f"rendered only from {len(test_fonts)} faces held out from training "
              f"({', '.join(test_fonts)}), the training images from the other "
              f"{len(train_fonts)}.")
    return Dataset(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
                   classes=CLASSES, name="glyphs", source=source,
                   groups={"grouped_by": "font", "train_groups": train_fonts,
                           "test_groups": test_fonts})
