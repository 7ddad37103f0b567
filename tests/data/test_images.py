"""One image of any format, mode, size and polarity -> 28×28 uint8, white ink on black."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from support.image_trees import VARIANTS, add_junk, character_image, image_bytes, write_character

from helpers.data.images import (
    fit_square,
    open_image,
    to_character_image,
    to_gray,
    white_on_black,
)
from helpers.errors import DataError


def left_bar(size=(40, 40), dark_ink=True) -> np.ndarray:
    """A gray image with a bar down its left side (from a tenth to a quarter of its width)."""
    ink, paper = (0, 255) if dark_ink else (255, 0)
    a = np.full(size[::-1], paper, np.uint8)
    a[4:-4, size[0] // 10:size[0] // 4] = ink
    return a


def assert_bar_on_left(out: np.ndarray) -> None:
    assert out.shape == (28, 28) and out.dtype == np.uint8
    assert out[4:-4, 3:7].mean() > 150, "the ink should be bright, on the left"
    assert out[:, 12:].max() < 40, "the rest should be dark background"


def pil_modes(dark_ink: bool) -> dict[str, Image.Image]:
    a = left_bar(dark_ink=dark_ink)
    l_img = Image.fromarray(a)
    rgb = Image.fromarray(np.stack([a, a // 2 + 100 * (a > 0), a], axis=-1).astype(np.uint8))
    return {
        "1": l_img.convert("1"),
        "L": l_img,
        "P": rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=8),
        "RGB": rgb,
        "CMYK": rgb.convert("CMYK"),
        "LA": Image.merge("LA", [l_img, Image.new("L", l_img.size, 255)]),
        "I;16": Image.fromarray(a.astype(np.uint16) * 257),
        "I;16B": Image.frombytes("I;16B", l_img.size, (a.astype(">u2") * 257).tobytes()),
        "I": Image.fromarray(a.astype(np.int32) * 257),
        "F": Image.fromarray(a.astype(np.float32)),
        "F 0..1": Image.fromarray(a.astype(np.float32) / 255),
    }


@pytest.mark.parametrize("dark_ink", [True, False], ids=["dark-on-light", "light-on-dark"])
@pytest.mark.parametrize("mode", list(pil_modes(True)))
def test_every_mode_and_polarity_gives_white_ink_where_it_was_drawn(mode, dark_ink):
    img = pil_modes(dark_ink)[mode]
    assert_bar_on_left(to_character_image(img))


@pytest.mark.parametrize("ext", ["png", "jpg", "bmp", "gif", "tif", "webp"])
def test_every_format_from_bytes_and_path(ext, tmp_path):
    img = Image.fromarray(left_bar((60, 60)))
    assert_bar_on_left(to_character_image(image_bytes(img, ext)))
    path = tmp_path / f"bar.{ext}"
    path.write_bytes(image_bytes(img, ext))
    assert_bar_on_left(to_character_image(path))


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: f"{v[0]}-{v[2]}-{v[1][0]}x{v[1][1]}")
def test_fixture_variants_all_come_out_alike(variant):
    ext, size, mode, dark = variant
    out = to_character_image(image_bytes(character_image("I", size, mode, dark), ext))
    assert out.shape == (28, 28) and out.dtype == np.uint8
    assert out[8:20, 13:15].mean() > 150, "the I bar should be bright in the middle"
    assert out[:, :8].max() < 60 and out[:, 20:].max() < 60, "the sides should be dark"


@pytest.mark.parametrize("dark_ink", [True, False], ids=["dark-ink", "light-ink"])
@pytest.mark.parametrize("mode", ["RGBA", "PA"])
def test_transparency_is_flattened_onto_a_contrasting_background(mode, dark_ink):
    # The fixture stores transparent pixels in the ink's colour: ignoring alpha gives a blank.
    img = character_image("I", (48, 48), mode, dark_ink)
    gray = to_gray(img)
    assert np.median(gray[:, :5]) == (255 if dark_ink else 0)
    out = to_character_image(img)
    assert out[8:20, 13:15].mean() > 150 and out[:, :8].max() < 60


def test_16_bit_values_are_scaled_not_clipped():
    a = np.full((10, 10), 60000, np.uint16)
    a[:, :3] = 1000
    gray = to_gray(Image.fromarray(a))
    assert gray.dtype == np.float32
    assert gray[0, 0] == pytest.approx(1000 * 255 / 65535, abs=0.01)
    assert gray[0, 9] == pytest.approx(60000 * 255 / 65535, abs=0.01)


def test_white_on_black_inverts_only_light_backgrounds():
    dark_on_light = left_bar().astype(np.float32)
    np.testing.assert_array_equal(white_on_black(dark_on_light), 255 - dark_on_light)
    light_on_dark = left_bar(dark_ink=False).astype(np.float32)
    np.testing.assert_array_equal(white_on_black(light_on_dark), light_on_dark)


def test_fit_square_keeps_aspect_ratio():
    tall = np.zeros((90, 30), np.float32)
    tall[5:85, 10:20] = 255  # a bar 8× taller than wide
    out = fit_square(tall)
    rows, cols = np.nonzero(out > 128)
    height, width = np.ptp(rows) + 1, np.ptp(cols) + 1
    assert height >= 3 * width, (height, width)
    assert abs(cols.mean() - 13.5) < 1.5, "padding should keep it centred"


def test_fit_square_pads_with_the_background_value():
    wide = np.full((10, 40), 30, np.float32)
    wide[:, 18:22] = 255
    out = fit_square(wide)
    assert out[0, 0] == 30 and out[-1, -1] == 30


def test_fit_square_passes_28x28_through_and_enlarges_small_images():
    a = np.random.default_rng(0).integers(0, 256, (28, 28)).astype(np.uint8)
    np.testing.assert_array_equal(fit_square(a.astype(np.float32)), a)
    small = np.zeros((7, 7), np.float32)
    small[:, :2] = 255
    out = fit_square(small)
    assert out.shape == (28, 28) and out[:, :6].mean() > 150 and out[:, 12:].max() == 0


def test_animated_gif_uses_the_first_frame(tmp_path):
    first = Image.fromarray(left_bar())
    second = Image.fromarray(np.fliplr(left_bar()).copy())
    path = tmp_path / "anim.gif"
    first.save(path, save_all=True, append_images=[second], duration=100)
    assert Image.open(path).n_frames == 2
    assert_bar_on_left(to_character_image(path))


def test_exif_orientation_is_applied():
    img = Image.fromarray(left_bar())
    exif = Image.Exif()
    exif[0x0112] = 3  # rotated 180°: the bar is on the right as stored, on the left as seen
    rotated = img.rotate(180)
    buffer = io.BytesIO()
    rotated.save(buffer, format="JPEG", exif=exif, quality=95)
    assert_bar_on_left(to_character_image(buffer.getvalue()))


def test_unreadable_files_raise_data_error_naming_them(tmp_path):
    problems = {"empty.png": "empty", "notes.png": "not an image", "cut.png": "truncated"}
    for path in add_junk(tmp_path):
        with pytest.raises(DataError, match=problems[path.name]) as info:
            open_image(path)
        assert str(path) in str(info.value)
    missing = tmp_path / "missing.png"
    with pytest.raises(DataError, match="cannot be read") as info:
        open_image(missing)
    assert str(missing) in str(info.value)


def test_pixel_limit_is_checked_before_decoding(tmp_path, monkeypatch):
    path = write_character(tmp_path / "big.png", "O", size=(30, 20))
    with pytest.raises(DataError, match="30×20 pixels, over the 500-pixel limit") as info:
        open_image(path, max_pixels=500)
    assert str(path) in str(info.value)

    def no_decoding(self, *args, **kwargs):
        raise AssertionError("pixels were decoded before the size check")

    monkeypatch.setattr(Image.Image, "load", no_decoding)
    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", no_decoding)
    with pytest.raises(DataError, match="over the 500-pixel limit"):
        open_image(path, max_pixels=500)


def test_pil_decompression_bomb_error_becomes_data_error(tmp_path, monkeypatch):
    path = write_character(tmp_path / "bomb.png", "O", size=(30, 20))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # PIL refuses over 2× this
    with pytest.raises(DataError, match="600 pixels, over the decompression-bomb limit") as info:
        open_image(path)
    assert str(path) in str(info.value)


class CountingSlots:
    """A stand-in semaphore that counts how often it was held."""

    def __init__(self):
        self.held = 0

    def __enter__(self):
        self.held += 1

    def __exit__(self, *_):
        return False


@pytest.mark.parametrize(("mode", "ext"), [(m, "png") for m in ("1", "L", "P", "RGB", "I;16")]
                         + [("L", "jpg"), ("RGB", "jpg")])  # JPEG: gray and colour only
def test_a_large_image_is_decoded_at_about_the_working_size(mode, ext):
    image = pil_modes(True)[mode].resize((400, 300), Image.Resampling.NEAREST)
    slots = CountingSlots()
    opened = open_image(image_bytes(image, ext), work_pixels=10_000, decode_slots=slots)
    assert 10_000 / 4 < opened.width * opened.height <= 10_000 and slots.held == 1
    assert opened.info["scale"] == pytest.approx(opened.width / 400) and opened.height < 100
    assert_bar_on_left(fit_square(white_on_black(to_gray(opened))))


def test_an_image_under_the_working_size_is_decoded_whole_without_a_slot():
    slots = CountingSlots()
    opened = open_image(image_bytes(Image.fromarray(left_bar((100, 100))), "png"),
                        work_pixels=10_000, decode_slots=slots)
    assert opened.size == (100, 100) and opened.info["scale"] == 1.0 and slots.held == 0
