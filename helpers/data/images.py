"""Any one image file -> the model's input: 28×28 uint8, white ink on black.

`to_character_image` chains the steps; each step is its own function so that the photo reader
can reuse them: `open_image` -> `to_gray` -> `white_on_black` -> `fit_square`.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import stat
import threading
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

from helpers.data.dataset import IMAGE_SIZE
from helpers.errors import DataError

MAX_PIXELS = 40_000_000
# The largest image file read: a 40-megapixel photo as a high-quality JPEG or a PNG of text is
# far smaller; /dev/zero, or a symlink to it, would otherwise be read until memory runs out.
MAX_FILE_BYTES = 64 << 20

ImageSource = str | os.PathLike | bytes | Image.Image


class TooManyPixels(DataError):
    """An image over the pixel limit: a decompression bomb, never a file to skip quietly."""


def read_file(path: str | Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """A regular file's bytes, at most `limit` of them: devices, FIFOs (which would block),
    folders and links to them are refused before anything is read, and so is a bigger file."""
    path = Path(path)
    try:
        info = path.stat()  # follows a symlink, so a link to /dev/zero is seen as a device
    except OSError as e:
        raise DataError(f"{path} cannot be read: {e.strerror or e}") from None
    if not stat.S_ISREG(info.st_mode):
        kind = ("a folder" if stat.S_ISDIR(info.st_mode) else "a pipe (FIFO)"
                if stat.S_ISFIFO(info.st_mode) else "a device or other special file")
        raise DataError(f"{path} is {kind}, not a regular file; only files are read as images")
    if info.st_size > limit:
        raise DataError(f"{path} is {info.st_size:,} bytes, over the {limit:,}-byte limit for "
                        "an image file")
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise DataError(f"{path} cannot be read: {e.strerror or e}") from None
    if len(data) > limit:  # it grew while being read
        raise DataError(f"{path} is over the {limit:,}-byte limit for an image file")
    return data


class NotAnImage(DataError):
    """Bytes that no image format PIL knows can decode."""


def _too_big(name: str, size: str, limit: str) -> TooManyPixels:
    return TooManyPixels(f"{name} is {size} pixels, over the {limit}; shrink it, or raise the "
                         f"limit if you trust the file")


def _reduced(img: Image.Image, work_pixels: int) -> Image.Image:
    """`img` shrunk by the smallest whole factor that brings it to `work_pixels` or fewer,
    each new pixel the mean of a block (Pillow's `reduce`, which needs one of its modes)."""
    factor = math.ceil(math.sqrt(img.width * img.height / work_pixels))
    if factor <= 1:
        return img
    if img.mode == "1":
        img = img.convert("L")
    elif img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    elif img.mode.startswith("I;16"):
        img = img.convert("I")
    return img.reduce(factor)


def open_image(source: ImageSource, *, max_pixels: int = MAX_PIXELS, name: str | None = None,
               work_pixels: int | None = None,
               decode_slots: threading.Semaphore | None = None) -> Image.Image:
    """Open and decode a path, bytes or PIL image (an animation's first frame), size-checked.

    `name` is what error messages call bytes or a PIL image (an upload's file name, say).
    An image of more than `work_pixels` is brought down to about that many as it is decoded
    (a JPEG by its decoder's own 1/2-1/8 scaling, any image by averaging blocks right after),
    so that a 24-megapixel page costs its decoded size once, not in every later step; the
    image's `info["scale"]` then says how much smaller it is than the file (1.0 when it is
    not). `decode_slots`, if given, is held while such a large image is decoded: a server
    decodes only as many of them at once as the semaphore allows."""
    if isinstance(source, Image.Image):
        name, data = name or "image", None
    elif isinstance(source, bytes | bytearray):
        name, data = name or "image bytes", bytes(source)
    else:
        name = str(source)
        data = read_file(source)
    if data is not None and not data:
        raise DataError(f"{name} is empty (0 bytes)")
    try:
        # Image.open reads only the header, so the size check below runs before any decoding.
        img = source if data is None else Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        pixels = re.search(r"\((\d+) pixels\)", str(e))
        limit = f"decompression-bomb limit of PIL.Image.MAX_IMAGE_PIXELS={Image.MAX_IMAGE_PIXELS:,}"
        raise _too_big(name, f"{int(pixels[1]):,}" if pixels else "too many", limit) from e
    except Image.UnidentifiedImageError as e:
        raise NotAnImage(f"{name} is not an image (PIL does not recognise its format)") from e
    except Exception as e:  # PIL raises many types for headers it cannot parse
        raise NotAnImage(f"{name} is not an image PIL can read ({e})") from e
    width, height = img.size
    if width * height > max_pixels:
        raise _too_big(name, f"{width}×{height}", f"{max_pixels:,}-pixel limit (max_pixels=)")
    if data is None:
        return img
    large = work_pixels is not None and width * height > work_pixels
    with decode_slots if large and decode_slots is not None else contextlib.nullcontext():
        try:
            img.seek(0)
            if large:  # a JPEG decodes straight to a smaller size; other formats ignore this
                shrink = math.sqrt(work_pixels / (width * height))
                img.draft(None, (math.ceil(width * shrink), math.ceil(height * shrink)))
            img.load()
            if large:
                img = _reduced(img, work_pixels)
        except Exception as e:  # truncated or corrupt data: OSError, SyntaxError, ...
            raise DataError(f"{name} is truncated or corrupt ({e})") from e
    img.info["scale"] = img.width / width
    # Phone photos store their rotation in EXIF, not in the pixels; broken EXIF must not cost
    # an otherwise good image.
    with contextlib.suppress(Exception):
        ImageOps.exif_transpose(img, in_place=True)
    return img


def _composite(gray: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Flatten over white when the opaque ink is dark, over black when it is light."""
    weight = alpha.sum()
    ink = (gray * alpha).sum() / weight if weight else 255.0
    background = 255.0 if ink < 128 else 0.0
    return gray * alpha + background * (1 - alpha)


def to_gray(img: Image.Image) -> np.ndarray:
    """Float32 gray in 0..255 from any PIL mode; transparency flattened onto a contrasting tone."""
    mode = img.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # 16-bit data (PNG/TIFF) spans 0..65535; Pillow opens some of it as 32-bit "I".
        values = np.asarray(img).astype(np.float32)
        return np.clip(values, 0, 65535) * np.float32(255 / 65535)
    if mode == "F":
        values = np.asarray(img, dtype=np.float32)
        # Float images come as 0..1 or 0..255; nothing above 1 means the former.
        scale = 255.0 if values.size and np.nanmax(values) <= 1.0 else 1.0
        return np.clip(np.nan_to_num(values * scale), 0, 255).astype(np.float32)
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info
    if has_alpha:
        rgba = img.convert("RGBA")
        gray = np.asarray(rgba.convert("L"), dtype=np.float32)
        alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255
        return _composite(gray, alpha).astype(np.float32)
    if mode not in ("1", "L", "P", "RGB"):
        img = img.convert("RGB")  # CMYK, YCbCr, LAB, ... have no direct route to L
    return np.asarray(img.convert("L"), dtype=np.float32)


def _border(gray: np.ndarray) -> np.ndarray:
    return np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])


def white_on_black(gray: np.ndarray) -> np.ndarray:
    """Invert when the background (median of the outer frame) is light: ink white, as in EMNIST."""
    gray = np.asarray(gray, dtype=np.float32)
    if gray.size and np.median(_border(gray)) > 127.5:
        return 255 - gray
    return gray


def fit_square(gray: np.ndarray, size: int = IMAGE_SIZE) -> np.ndarray:
    """Resize so the longer side is `size`, then pad to a centred size×size square with the
    background value (uint8). Shrinking first keeps the work to the image's own pixels: a
    1×20,000 strip is never padded to a 20,000² square."""
    gray = np.asarray(gray, dtype=np.float32)
    if gray.ndim != 2 or not gray.size:
        raise DataError(f"fit_square needs a non-empty 2-D image, got shape {gray.shape}")
    height, width = gray.shape
    background = float(np.median(_border(gray))) if height != width else 0.0
    factor = size / max(height, width)
    shape = (max(1, round(width * factor)), max(1, round(height * factor)))
    if shape != (width, height):
        # INTER_AREA averages when shrinking (no aliasing); it degrades to nearest when enlarging.
        interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
        gray = cv2.resize(gray, shape, interpolation=interpolation)
    if gray.shape != (size, size):
        square = np.full((size, size), background, dtype=np.float32)
        top, left = (size - gray.shape[0]) // 2, (size - gray.shape[1]) // 2
        square[top:top + gray.shape[0], left:left + gray.shape[1]] = gray
        gray = square
    return np.clip(np.rint(gray), 0, 255).astype(np.uint8)


MIN_SIDE = 4  # pixels: a smaller image cannot show a character


def to_character_image(source: ImageSource, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """A path, bytes or PIL image as a 28×28 uint8 character, white ink on black."""
    image = open_image(source, max_pixels=max_pixels)
    if min(image.size) < MIN_SIDE:
        name = source if isinstance(source, str | Path) else "image"
        raise DataError(f"{name} is {image.size[0]}×{image.size[1]} pixels, too small to show a "
                        f"character (at least {MIN_SIDE}×{MIN_SIDE})")
    return fit_square(white_on_black(to_gray(image)))
