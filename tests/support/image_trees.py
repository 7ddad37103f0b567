"""Tiny image-folder trees for tests: one simple shape per class, drawn with PIL.

Files come in mixed formats, sizes, colour modes and polarities, so one small tree exercises
every path of `helpers.data.images`. All functions take the folder to write into (a `tmp_path`).
"""

from __future__ import annotations

import hashlib
import io
import itertools
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

# (extension, (width, height), mode, dark ink on light paper?)
VARIANTS = (
    ("png", (64, 64), "L", True),
    ("jpg", (20, 30), "RGB", False),
    ("bmp", (300, 200), "RGB", True),
    ("gif", (64, 64), "P", False),
    ("png", (30, 20), "RGBA", True),
    ("png", (64, 64), "I;16", False),
    ("png", (48, 48), "PA", True),  # palette with a transparent background index
    ("png", (40, 40), "RGBA", False),
    ("tif", (32, 48), "L", False),
    ("webp", (50, 50), "RGB", True),
)


def draw_shape(label: str, size: tuple[int, int] = (64, 64), *, ink: int = 0,
               paper: int = 255) -> Image.Image:
    """Mode L, the class's shape in a centred square: I bar, L corner, O ring, X cross."""
    img = Image.new("L", size, paper)
    draw = ImageDraw.Draw(img)
    side = int(min(size) * 0.8)
    x0, y0 = (size[0] - side) // 2, (size[1] - side) // 2
    x1, y1, w = x0 + side - 1, y0 + side - 1, max(2, side // 6)
    mid = x0 + side // 2
    if label == "I":
        draw.rectangle([mid - w // 2, y0, mid + w // 2, y1], fill=ink)
    elif label == "L":
        draw.rectangle([x0, y0, x0 + w, y1], fill=ink)
        draw.rectangle([x0, y1 - w, x1, y1], fill=ink)
    elif label == "O":
        draw.ellipse([x0, y0, x1, y1], outline=ink, width=w)
    elif label == "X":
        draw.line([x0, y0, x1, y1], fill=ink, width=w)
        draw.line([x0, y1, x1, y0], fill=ink, width=w)
    else:
        draw.text((x0, y0), label, fill=ink, font_size=side)
    return img


def as_mode(gray: Image.Image, mode: str, dark_ink: bool) -> Image.Image:
    """The mode-L drawing as `mode`; RGBA/PA get a transparent background (paper -> alpha 0)."""
    if mode in ("L", "RGB", "1"):
        return gray.convert(mode)
    if mode == "P":
        return gray.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    if mode == "I;16":
        return Image.fromarray(np.asarray(gray).astype(np.uint16) * 257)
    ink_mask = np.asarray(gray) < 128 if dark_ink else np.asarray(gray) >= 128
    if mode == "RGBA":
        # Transparent pixels hold the ink's colour, so ignoring alpha would lose the character.
        rgba = np.zeros((*ink_mask.shape, 4), np.uint8)
        rgba[..., :3] = 0 if dark_ink else 255
        rgba[..., 3] = np.where(ink_mask, 255, 0)
        return Image.fromarray(rgba)
    if mode == "PA":
        img = Image.fromarray(np.where(ink_mask, 1, 0).astype(np.uint8), mode="P")
        img.putpalette([255, 255, 255, 0, 0, 0] if dark_ink else [0, 0, 0, 255, 255, 255])
        img.info["transparency"] = 0
        return img
    raise ValueError(f"unknown test mode {mode!r}")


def character_image(label: str, size=(64, 64), mode: str = "L", dark_ink: bool = True):
    ink, paper = (0, 255) if dark_ink else (255, 0)
    return as_mode(draw_shape(label, size, ink=ink, paper=paper), mode, dark_ink)


def image_bytes(img: Image.Image, ext: str) -> bytes:
    buffer = io.BytesIO()
    options = {"transparency": img.info["transparency"]} if "transparency" in img.info else {}
    img.save(buffer, format=Image.registered_extensions()[f".{ext}"], **options)
    return buffer.getvalue()


def write_character(path: Path, label: str, size=(64, 64), mode: str = "L",
                    dark_ink: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ext = path.suffix.lstrip(".")
    path.write_bytes(image_bytes(character_image(label, size, mode, dark_ink), ext))
    return path


def make_tree(root: Path, classes=("I", "L", "O"), per_class: int = 5,
              split: tuple[str, str] | None = None, test_per_class: int = 2) -> dict[str, int]:
    """Write class folders under `root` (or under root/Train, root/Test with split=(...)).

    Files cycle through VARIANTS across the whole tree. Returns images per part.
    """
    variants = itertools.cycle(VARIANTS)
    parts = {"all": (root, per_class)} if split is None else {
        "train": (root / split[0], per_class), "test": (root / split[1], test_per_class)}
    counts = {}
    for part, (folder, n) in parts.items():
        for label in classes:
            for i in range(n):
                ext, size, mode, dark = next(variants)
                write_character(folder / label / f"{label}_{i}.{ext}", label, size, mode, dark)
        counts[part] = n * len(classes)
    return counts


def add_junk(folder: Path) -> list[Path]:
    """Files that must be skipped with a warning: zero bytes, text named .png, truncated PNG."""
    folder.mkdir(parents=True, exist_ok=True)
    empty, text, cut = folder / "empty.png", folder / "notes.png", folder / "cut.png"
    empty.write_bytes(b"")
    text.write_text("not an image\n")
    whole = image_bytes(character_image("O", (64, 64)), "png")
    cut.write_bytes(whole[: len(whole) // 2])
    return [empty, text, cut]


def add_os_junk(folder: Path) -> list[Path]:
    """Files that must be ignored silently: OS droppings and hidden files and folders."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / ".DS_Store", folder / "Thumbs.db", folder / "desktop.ini",
             folder / "._shadow.png", folder / ".hidden" / "secret.png"]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\0junk")
    return paths


def tree_digest(root: Path) -> str:
    """A hash of every path, file content and mtime under root: any change shows up."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        h.update(str(path.relative_to(root)).encode())
        if path.is_file():
            h.update(path.read_bytes())
            h.update(str(path.stat().st_mtime_ns).encode())
    return h.hexdigest()
