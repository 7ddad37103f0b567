"""Images of degenerate shapes and contents through every way of reading them.

Thin, tiny and very long images, blank or black ones, stripes, a single dot and long bars go
through `python -m helpers predict` and `read` and the web page's `POST /predict` and
`POST /read`: each answers with a prediction or refuses with one message that names the file
and the problem (the web with a 4xx), never a traceback or a 5xx. The network is tiny and
untrained (what is tested is the handling of the image, not what the network sees), the PNG
files compress to a few kilobytes, and large ones are decoded at reduced size as always.
"""

import io
import re
import string

import keras
import numpy as np
import pytest
from PIL import Image

import helpers.cli
from helpers.cli import main as cli
from helpers.learn.models import save_model
from helpers.reading import ink as ink_module
from helpers.reading import segment
from helpers.reading.ink import WORK_PIXELS, NoiseOnly, find_ink
from helpers.reading.lexicon import Lexicon
from helpers.reading.recognizer import Recognizer, frame_ink
from helpers.web import create_app

CLASSES = list(string.digits + string.ascii_uppercase)
# What a refusal may say: each reason names what is wrong with the image.
REASONS = re.compile(r"too small to hold a character|too thin for its size|is blank|"
                     r"no separable characters|looks like noise|more than .* one line")
MEGA = 1_000_000


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A small untrained network, saved as trained ones are."""
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(2, 3, strides=2),
                              keras.layers.Conv2D(2, 3, strides=2), keras.layers.Flatten(),
                              keras.layers.Dense(len(CLASSES), activation="softmax")])
    return save_model(model, tmp_path_factory.mktemp("model") / "tiny", CLASSES)


@pytest.fixture(scope="module")
def small_lexicon():
    """A few words instead of wordfreq's 50,000, which take seconds to load."""
    words = Lexicon.from_counts([("THE", 5.0), ("1", 2.0), ("ONE", 1.0), ("I", 3.0)], "test")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Lexicon, "default", classmethod(lambda cls, size=0: words))
        yield words


@pytest.fixture(scope="module")
def recognizer(tiny_model, small_lexicon):
    return Recognizer.load(tiny_model)


@pytest.fixture(scope="module")
def client(recognizer):
    return create_app(recognizer).test_client()


@pytest.fixture
def cli_with(recognizer, monkeypatch):
    """The command line, with the model loaded once for the module instead of per call."""
    monkeypatch.setattr(helpers.cli, "load_recognizer", lambda model: recognizer)
    return cli


def image(height: int, width: int, content: str) -> np.ndarray:
    """White paper of the shape with black ink: none, all, one column, a column every
    1,000 pixels (every 3 on small images), one pixel, or the top half."""
    paper = np.full((height, width), 255, np.uint8)
    if content == "black":
        paper[:] = 0
    elif content == "stripe":
        paper[:, width // 2] = 0
    elif content == "stripes":
        paper[:, ::1000 if width > 3000 else 3] = 0
    elif content == "dot":
        paper[height // 2, width // 2] = 0
    elif content == "band":
        paper[:max(1, height // 2)] = 0
    return paper


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


CONTENTS = ("white", "black", "stripe", "stripes", "dot", "band")
SHAPES = [(1, 1), (3, 3), (4, 4), (1, MEGA), (MEGA, 1), (2, MEGA), (MEGA, 2),
          (4, 10), (4, 1000), (30, 4), (9, 2000)]
# A million pixels long (a quarter of that tall, where every step costs more per pixel): each
# costs a few tenths of a second, so fewer contents. Thin and
# large: decoded at reduced size, it is under 4 pixels tall (6 megapixels), or a dot in it
# fades into the paper (16 megapixels). A bar of ink 8 pixels tall and 100,000 long.
LARGE = [(4, MEGA, "stripes"), (4, MEGA, "dot"), (4, MEGA, "band"), (MEGA // 4, 4, "stripe"),
         (4, 6 * MEGA, "stripes"), (8, 2 * MEGA, "dot"), (16, 100_000, "band")]
CASES = [(h, w, c) for h, w in SHAPES for c in CONTENTS] + LARGE


def cli_answer(run, command: str, path, capsys) -> tuple[bool, str]:
    """(True, the output line) for an answer, (False, the error) for a refusal; anything else,
    a traceback or several lines, fails."""
    status = run([command, str(path), "--model", "unused.keras"])
    captured = capsys.readouterr()
    if status == 0:
        assert captured.out.count("\n") == 1 and captured.out.startswith(str(path)), captured
        return True, captured.out.strip()
    assert status == 1 and not captured.out, captured
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    return False, lines[0].removeprefix("error: ")


def web_answer(client, command: str, name: str, data: bytes) -> tuple[bool, dict]:
    response = client.post(f"/{command}", data={"image": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    assert response.status_code in (200, 413, 422), (response.status_code, response.json)
    return response.status_code == 200, response.json | {"status": response.status_code}


@pytest.mark.parametrize(("height", "width", "content"), CASES,
                         ids=[f"{h}x{w}-{c}" for h, w, c in CASES])
def test_every_entry_point_predicts_or_says_what_is_wrong(height, width, content, cli_with,
                                                          client, tmp_path, capsys):
    name = f"{content}-{width}x{height}.png"
    data = png(image(height, width, content))
    path = tmp_path / name
    path.write_bytes(data)
    for command in ("predict", "read"):
        answered, said = cli_answer(cli_with, command, path, capsys)
        web_answered, body = web_answer(client, command, name, data)
        if not answered:
            assert str(path) in said and REASONS.search(said), said
        if body["status"] == 413:  # over the web page's pixel limit, under the CLI's
            assert "pixel limit" in body["error"] and width * height > 25 * MEGA
            continue
        assert web_answered == answered, (said, body)
        if answered:
            assert ("top" if command == "predict" else "text") in body
        else:
            assert body["error"] == said.replace(str(path), name)


def test_the_stripes_of_the_report_through_the_command_line_as_typed(tiny_model, small_lexicon,
                                                                      tmp_path, capsys):
    """4 rows of 1,000,000 pixels, a black column every 1,000: read refuses (its marks are
    4 pixels tall), predict names a class; the model is loaded as the command loads it."""
    path = tmp_path / "stripes.png"
    path.write_bytes(png(image(4, MEGA, "stripes")))
    assert cli(["read", "--model", str(tiny_model), str(path)]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"error: {path} has no separable characters") and "\n" not in error
    assert cli(["predict", "--model", str(tiny_model), str(path)]) == 0
    assert re.fullmatch(rf"{re.escape(str(path))}  [0-9A-Z] \d+\.\d%.*", capsys.readouterr().out
                        .strip())


@pytest.mark.parametrize(("height", "width"), [(1, 5), (4, 1000), (5, 3), (7, 7), (8, 8),
                                               (100, 1000), (1000, 3)])
def test_the_noise_grid_covers_every_pixel_of_short_images(height, width):
    """One cell per pixel along an axis shorter than the grid: no cell is empty, and each
    cell's share of ink is the share of its pixels that are ink."""
    mask = np.random.default_rng(height * width).random((height, width)) < 0.3
    cells = ink_module._cell_ink(mask)
    assert cells.shape == (min(height, ink_module.NOISE_GRID), min(width, ink_module.NOISE_GRID))
    rows = np.array_split(np.arange(height), cells.shape[0])
    cols = np.array_split(np.arange(width), cells.shape[1])
    expected = [[mask[np.ix_(r, c)].mean() for c in cols] for r in rows]
    assert np.allclose(cells, expected)


def test_noise_is_told_from_stripes_on_an_image_4_pixels_tall():
    rng = np.random.default_rng(0)
    static = rng.integers(0, 256, (4, 4000)).astype(np.float32)
    with pytest.raises(NoiseOnly, match="static.png looks like noise"):
        find_ink(static, what="static.png")
    mask = find_ink(image(4, 4000, "stripes").astype(np.float32)).mask  # 4 black columns
    assert mask[:, ::1000].all() and mask.mean() < 0.02


def test_a_thin_image_too_large_to_read_whole_is_refused_as_too_thin():
    with pytest.raises(ink_module.TooSmall, match=r"thin.png is too thin.*crop it"):
        find_ink(np.zeros((4, 2 * WORK_PIXELS // 4), np.float32), what="thin.png")
    with pytest.raises(ink_module.TooSmall, match=r"tiny.png is too small .* 3×2 pixels"):
        find_ink(np.zeros((2, 3), np.float32), what="tiny.png")


def test_ink_that_fades_at_reduced_size_says_so():
    gray = np.full((8, WORK_PIXELS // 2), 255, np.float32)  # read at half the size each way
    gray[4, 1000] = 0
    with pytest.raises(ink_module.BlankImage, match="dot.png is blank.*2 times smaller.*fade"):
        find_ink(gray, what="dot.png")
    gray[4, 1000] = 255  # nothing there: nothing faded
    with pytest.raises(ink_module.BlankImage) as blank:
        find_ink(gray, what="white.png")
    assert "white.png is blank" in str(blank.value) and "fade" not in str(blank.value)


def bar(length: int, neck_every: int) -> segment.Piece:
    """A bar of ink 8 pixels tall with a one-pixel neck every few columns."""
    mask = np.ones((8, length), bool)
    mask[1:, ::neck_every] = False
    return segment.Piece((0, 0, length, 8), mask)


def test_a_long_bar_is_cut_without_recursion_and_stops_at_the_limit():
    parts = segment._split(bar(20_000, 5), width=4.0, stroke=1.0, limit=10**6)
    assert len(parts) > 3_000 and all(p.box[2] < 1.6 * 4.0 for p in parts)
    assert [p.left for p in parts] == sorted(p.left for p in parts)
    assert len(segment._split(bar(20_000, 5), 4.0, 1.0, limit=50)) in range(51, 54)


def test_cutting_stops_when_a_character_is_narrower_than_four_pixels():
    """0.3 of a width under 3.4 pixels is no column: every part still keeps one."""
    parts = segment._split(bar(40, 2), width=2.0, stroke=1.0, limit=10**6)
    assert sum(p.box[2] for p in parts) == 40 and all(p.box[2] >= 1 for p in parts)


def test_a_line_of_more_characters_than_a_line_holds_is_refused():
    long = np.full((40, 8 * (segment.MAX_CHARACTERS + 10)), 255, np.float32)
    long[10:30, ::8] = 0  # more 20-pixel strokes than MAX_CHARACTERS
    with pytest.raises(segment.TooManyCharacters, match="bars.png has more than 500"):
        segment.characters(find_ink(long), what="bars.png")
    long[10:30, 8 * (segment.MAX_CHARACTERS - 10):] = 255
    assert len(segment.characters(find_ink(long))) == segment.MAX_CHARACTERS - 10


def test_an_empty_mask_frames_to_an_empty_image():
    framed = frame_ink(np.zeros((4, 10), np.float32), np.zeros((4, 10), bool))
    assert framed.shape == (28, 28) and not framed.any()


def test_no_images_have_no_probabilities(recognizer):
    """An empty batch is an empty answer, not a call into the network (whose convolutions
    refuse it)."""
    empty = recognizer.probabilities(np.zeros((0, 28, 28), np.uint8))
    assert empty.shape == (0, len(CLASSES)) and empty.dtype == np.float32
    assert recognizer.probabilities(np.zeros((28, 28), np.uint8)).shape == (1, len(CLASSES))
