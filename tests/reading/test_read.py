"""Photos and lines through a trained network: frame_photo, classify, read, and the CER
measure."""

import io
import json
import shutil

import cv2
import numpy as np
import pytest
from PIL import Image

from helpers.data import DataError, load_dataset
from helpers.data.images import TooManyPixels
from helpers.errors import ConfigError
from helpers.learn.inputs import Framing, framing_of
from helpers.learn.models import latest_model
from helpers.reading.cer import cer, edit_distance, score_reading
from helpers.reading.ink import WORK_PIXELS, BlankImage
from helpers.reading.lexicon import Lexicon
from helpers.reading.lines import character_photo, generate_lines
from helpers.reading.recognizer import Recognizer, classify, frame_ink, frame_photo, read


@pytest.fixture(scope="module")
def glyphs(reading_glyphs):
    return reading_glyphs


@pytest.fixture(scope="module")
def saved(glyph_model):
    return glyph_model


@pytest.fixture(scope="module")
def recognizer(glyph_recognizer):
    return glyph_recognizer


def test_framing_measures_the_ink_box_and_how_characters_are_centred():
    # Centred by box: boxes of 20, 24 and 10 pixels around the middle, heavier on one side.
    boxed = np.zeros((3, 28, 28), np.uint8)
    for i, (half, heavy) in enumerate([(10, "left"), (12, "right"), (5, "left")]):
        boxed[i, 14 - half:14 + half, 14 - half:14 + half] = 70
        columns = slice(14 - half, 14) if heavy == "left" else slice(14, 14 + half)
        boxed[i, 14 - half:14 + half, columns] = 255
    assert framing_of(boxed) == Framing(20.0, "box")
    # Centred by mass: a heavy bar in the middle, a faint tail to one side moves the box more.
    massed = np.zeros((4, 28, 28), np.uint8)
    massed[:, 6:22, 12:16] = 255
    for i, (start, stop) in enumerate([(16, 24), (4, 12), (16, 20), (8, 12)]):
        massed[i, 6:22, start:stop] = 70
    assert framing_of(massed).centre == "mass"
    assert framing_of(np.zeros((2, 28, 28), np.uint8)) == Framing()
    with pytest.raises(ConfigError, match="centre"):
        Framing(20, "middle")


@pytest.mark.parametrize("centre", ["box", "mass"])
def test_frame_keeps_aspect_ratio_and_centres_as_asked(centre):
    values = np.zeros((200, 100), np.float32)
    values[20:180, 40:60] = 255  # a bar 160 tall, 20 wide ...
    values[20:60, 60:90] = 60  # ... with a faint flag on its right
    image = frame_ink(values, values > 0, Framing(20, centre))
    rows, cols = np.flatnonzero(image.any(1)), np.flatnonzero(image.any(0))
    assert rows.size == 20 and 5 <= cols.size <= 7
    ys, xs = np.indices(image.shape)
    mass_x = (xs * image).sum() / image.sum()
    box_x = (cols[0] + cols[-1]) / 2
    assert abs((mass_x if centre == "mass" else box_x) - 13.5) <= 0.6
    assert abs(mass_x - box_x) > 1


@pytest.mark.parametrize("kind", ["path", "bytes", "pil", "rgb", "rgba", "gray_float"])
def test_prepare_recovers_the_character_from_a_photo_of_it(glyphs, kind, tmp_path):
    original = glyphs.x_test[7]
    photo = character_photo(original, np.random.default_rng(4))
    if kind in ("path", "bytes", "pil"):
        buffer = io.BytesIO()
        Image.fromarray(photo).save(buffer, format="JPEG", quality=90)
        source = {"bytes": buffer.getvalue(), "pil": Image.open(buffer)}.get(kind)
        if kind == "path":
            source = tmp_path / "photo.jpg"
            source.write_bytes(buffer.getvalue())
    elif kind == "rgba":
        source = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    elif kind == "gray_float":
        source = photo.mean(2) / 255
    else:
        source = photo
    prepared = frame_photo(source, framing=framing_of(glyphs.x_train))
    assert prepared.shape == (28, 28) and prepared.dtype == np.uint8
    assert prepared[0].max() < 64 and prepared[:, 0].max() < 64  # black margin
    a, b = prepared.astype(float).ravel(), original.astype(float).ravel()
    assert np.corrcoef(a, b)[0, 1] > 0.7


def test_prepare_rejects_what_is_not_a_character_photo(tmp_path):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match="empty.png is empty"):
        frame_photo(empty)
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    with pytest.raises(DataError, match="notes.txt is not an image"):
        frame_photo(text)
    blank = tmp_path / "blank.png"
    Image.new("RGB", (300, 200), (240, 238, 230)).save(blank)
    with pytest.raises(BlankImage, match="blank.png is blank"):
        frame_photo(blank)
    with pytest.raises(TooManyPixels):
        frame_photo(np.zeros((5000, 9000), np.uint8))
    with pytest.raises(DataError, match="shape"):
        frame_photo(np.zeros((5, 5, 7)))


@pytest.mark.parametrize("sigma", [20, 40])
def test_a_noisy_photo_of_a_character_is_still_read(recognizer, glyphs, sigma):
    """The noise check refuses specks all over the image, not a character under grain."""
    rng = np.random.default_rng(sigma)
    same = 0
    for i in range(10):
        photo = character_photo(glyphs.x_test[i], rng)
        grain = rng.normal(0, sigma, photo.shape)
        grainy = np.clip(photo + grain, 0, 255).astype(np.uint8)
        same += classify(recognizer, grainy).char == classify(recognizer, photo).char
    assert same >= 8


def test_predict_gives_sorted_top_k_of_the_models_classes(recognizer, glyphs):
    photo = character_photo(glyphs.x_test[0], np.random.default_rng(1))
    prediction = classify(recognizer, photo, top_k=5)
    probs = [p for _, p in prediction.top]
    assert len(prediction.top) == 5 and probs == sorted(probs, reverse=True)
    assert all(c in glyphs.classes for c, _ in prediction.top) and 0 < sum(probs) <= 1.0001
    assert prediction.image.shape == (28, 28)
    assert json.loads(json.dumps(prediction.as_dict()))["top"][0]["char"] == prediction.char


def test_photos_are_recognised_about_as_well_as_the_dataset_images(recognizer, glyphs):
    rng = np.random.default_rng(3)
    indices = rng.integers(0, len(glyphs.y_test), 60)
    truth = [glyphs.classes[k] for k in glyphs.y_test[indices]]
    photos = [classify(recognizer, character_photo(glyphs.x_test[i], rng)).char for i in indices]
    isolated = recognizer.probabilities(glyphs.x_test[indices]).argmax(1)
    photo_accuracy = np.mean([p == t for p, t in zip(photos, truth, strict=True)])
    isolated_accuracy = np.mean([glyphs.classes[k] == t for k, t in zip(isolated, truth,
                                                                        strict=True)])
    assert isolated_accuracy > 0.5  # the network did learn
    assert photo_accuracy >= isolated_accuracy - 0.1


def test_read_returns_text_boxes_and_probabilities(recognizer, glyphs):
    line = generate_lines(glyphs, 1, seed=11, words=(2, 2), letters=(3, 3))[0]
    reading = read(recognizer, line.image)
    assert len(reading.characters) == 6 and reading.text.count(" ") == 1
    assert reading.text.replace(" ", "") == "".join(c.char for c in reading.characters)
    xs = [c.box[0] for c in reading.characters]
    assert xs == sorted(xs)
    for found, (x, y, w, h) in zip(reading.characters, line.boxes, strict=True):
        fx, fy, fw, fh = found.box
        assert abs(fx - x) <= 3 and abs(fx + fw - x - w) <= 3 and 0 < found.prob <= 1
        assert abs(fy - y) <= 3 and abs(fy + fh - y - h) <= 3
    as_json = json.loads(json.dumps(reading.as_dict()))
    assert as_json["text"] == reading.text and len(as_json["characters"][0]["box"]) == 4


@pytest.mark.parametrize("given", ["array", "png", "jpg"])
def test_reading_boxes_are_in_the_input_images_pixels_even_when_shrunk(recognizer, glyphs,
                                                                       given):
    """An array is shrunk by the ink finder, a file as it is decoded: boxes are the input's."""
    line = generate_lines(glyphs, 1, seed=12, words=(1, 1), letters=(4, 4))[0]
    big = cv2.resize(line.image, None, fx=20, fy=20, interpolation=cv2.INTER_LINEAR)
    assert big.size > WORK_PIXELS
    if given != "array":
        buffer = io.BytesIO()
        Image.fromarray(big).save(buffer, format="PNG" if given == "png" else "JPEG")
        big = buffer.getvalue()
    reading = read(recognizer, big)
    assert len(reading.characters) == 4
    for found, (x, _, w, _) in zip(reading.characters, line.boxes, strict=True):
        assert abs(found.box[0] - 20 * x) <= 40 and abs(found.box[2] - 20 * w) <= 60


def test_reading_lines_costs_at_most_three_points_over_isolated_characters(recognizer, glyphs):
    score = score_reading(recognizer, glyphs, lines=40, photos=20, seed=5)
    assert score.characters > 100 and score.count_errors <= 8
    assert score.cer <= score.isolated_error + 0.03
    assert score.as_dict()["gap"] == pytest.approx(score.cer - score.isolated_error)
    # Lines of real words: the lexicon helps. (This small network is unsure of many characters,
    # so it also pulls random strings towards words: test_decode checks sure ones stay.)
    assert score.texts == "words" and "words" in score.writing
    assert score.text_lines == 40 and score.text_characters > 100 and "wordfreq" in score.lexicon
    assert score.text_cer_lexicon < score.text_cer - 0.05, score
    rows = dict(score.table())
    assert len(rows) == len(score.table()) and "word lines: CER with the lexicon" in rows
    assert "With the lexicon" in score.summary()


def digits_only(glyphs):
    """The glyphs' digits as a dataset of their own (the glyphs' labels 0-9 are the digits)."""
    from helpers.data import Dataset

    train, test = glyphs.y_train < 10, glyphs.y_test < 10
    return Dataset(glyphs.x_train[train], glyphs.y_train[train], glyphs.x_test[test],
                   glyphs.y_test[test], glyphs.classes[:10], "glyph-digits")


def test_digits_are_read_as_numbers_without_the_lexicon(recognizer, glyphs):
    dataset = digits_only(glyphs)
    assert "".join(dataset.classes) == "0123456789"
    score = score_reading(recognizer, dataset, lines=20, photos=10, seed=2)
    assert score.texts == "numbers" and score.text_lines == 20 and score.text_characters > 60
    assert score.lexicon is None and score.cer_lexicon is None and score.text_cer_lexicon is None
    assert 0 <= score.text_cer <= 1.5 and score.lines == 20
    rows = dict(score.table())
    assert "lines of numbers read" in rows and "number lines: CER without the lexicon" in rows
    assert not any("lexicon" in measure and "without" not in measure for measure in rows)
    assert "n/a" not in rows.values()
    assert "does not apply" in score.summary() and "lines of numbers" in score.summary()
    json.dumps(score.as_dict())  # what the notebook saves as reading.json


def test_classes_that_are_not_characters_read_photos_and_no_lines(recognizer, glyphs):
    from helpers.data import Dataset

    numbered = [str(k) for k in range(len(glyphs.classes))]
    renamed = Recognizer(recognizer.model, numbered, recognizer.framing, recognizer.info)
    dataset = Dataset(glyphs.x_train, glyphs.y_train, glyphs.x_test, glyphs.y_test,
                      tuple(numbered), "by-number")
    score = score_reading(renamed, dataset, lines=20, photos=10, seed=2)
    assert score.lines == score.text_lines == 0 and score.cer is None and score.gap is None
    assert [measure for measure, _ in score.table()] == [
        "simulated photos of characters", "error on the simulated photos",
        "error on the photos' characters in isolation"]
    assert score.summary().startswith("No lines are read: 26 of the 36 class names")
    assert "simulated photos of single test characters the error was" in score.summary()


def test_the_report_says_why_no_line_was_read_and_what_numbers_gave():
    from helpers.report import writeup

    reading = {"model": "deep", "cer": None, "photo_error": 0.2, "photos": 100, "lines": 0,
               "writing": "No lines are read: 37 of the 47 class names are not single "
                          "characters."}
    text = writeup.discussion({"metrics": [], "dataset": {}, "balance": {}, "reading": reading})
    assert "No lines are read: 37 of the 47" in text and "misread 20.0%" in text
    reading.update(cer=0.05, isolated_error=0.04, gap=0.01, texts="numbers", text_lines=100,
                   text_cer=0.06, text_isolated_error=0.05, lexicon=None, cer_lexicon=None)
    text = writeup.discussion({"metrics": [], "dataset": {}, "balance": {}, "reading": reading})
    assert "lines of text were numbers" in text and "CER of 6.0% against 5.0%" in text
    assert "does not apply to this dataset" in text and "wordfreq" not in text


def crafted(texts: str, classes: list[str], doubts: dict[int, str]) -> np.ndarray:
    """Probabilities whose first choices spell `texts` (spaces skipped), with doubts[i] the
    runner-up of character i at 35%."""
    chars = texts.replace(" ", "")
    rows = np.full((len(chars), len(classes)), 0.05 / len(classes))
    for i, char in enumerate(chars):
        rows[i, classes.index(char)] = 0.6
        if i in doubts:
            rows[i, classes.index(doubts[i])] = 0.35
    return rows / rows.sum(1, keepdims=True)


def test_read_spells_words_with_the_lexicon_unless_switched_off(recognizer, glyphs,
                                                                 monkeypatch):
    line = generate_lines(glyphs, 1, seed=11, words=(2, 2), letters=(3, 3))[0]
    rows = crafted("H0T 0IL", recognizer.classes, {1: "O", 3: "O"})
    monkeypatch.setattr(recognizer, "probabilities", lambda images: rows[:len(images)])
    plain = read(recognizer, line.image, lexicon=False)
    assert plain.text == plain.raw_text == "H0T 0IL"
    assert [c.char for c in plain.characters] == list("H0T0IL")
    words = read(recognizer, line.image)
    assert words.text == "HOT OIL" and words.raw_text == "H0T 0IL"
    assert [c.char for c in words.characters] == list("HOTOIL")
    assert words.characters[1].prob == pytest.approx(rows[1, recognizer.classes.index("O")])
    assert words.characters[1].top[0][0] == "0"  # the network's own ranking is kept
    # The lexicon's O was the network's runner-up, at 35%: those two are marked unsure.
    assert plain.unsure == 0 and words.unsure == 2
    assert [c.unsure for c in words.characters] == [False, True, False, True, False, False]
    assert list(words.as_dict()) == ["text", "raw_text", "unsure", "characters"]
    assert words.as_dict()["characters"][1]["unsure"] is True
    other = Lexicon.from_counts([("hit", 3), ("oil", 1)], "test")
    assert read(recognizer, line.image, lexicon=other).text == "H0T OIL"
    with pytest.raises(ConfigError, match="Lexicon.from_file"):
        read(recognizer, line.image, lexicon="words.txt")


def test_edit_distance_and_cer():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3 and edit_distance("abc", "abc") == 0
    assert cer(["AB C", "XY"], ["AB D", "XYZ"]) == pytest.approx(2 / 7)


def test_default_model_is_the_most_accurate_of_the_latest_run(saved, tmp_path, monkeypatch):
    monkeypatch.setenv("OCR_PROJECT_DIR", str(tmp_path))
    with pytest.raises(DataError, match="make report"):
        latest_model()
    models = tmp_path / "outputs" / "latest" / "models"
    models.mkdir(parents=True)
    for name, accuracy in [("good", 0.9), ("poor", 0.4)]:
        shutil.copy(saved, models / f"{name}.keras")
        info = json.loads(saved.with_suffix(".json").read_text())
        (models / f"{name}.json").write_text(json.dumps({**info, "accuracy": accuracy}))
    assert latest_model() == models / "good.keras"
    recognizer = Recognizer.load()
    assert recognizer.path == models / "good.keras"
    assert recognizer.framing == framing_of(load_dataset("glyphs", limit=6000, seed=2,
                                                         hold_out_fonts=False).x_train)


def test_models_that_cannot_be_used_are_clear_errors(saved, tmp_path):
    with pytest.raises(DataError, match="no such model file"):
        Recognizer.load(tmp_path / "missing.keras")
    lonely = tmp_path / "lonely.keras"
    shutil.copy(saved, lonely)
    with pytest.raises(DataError, match="classes file"):
        Recognizer.load(lonely)
    fake = tmp_path / "fake.keras"
    fake.write_text("not a model")
    shutil.copy(saved.with_suffix(".json"), fake.with_suffix(".json"))
    with pytest.raises(DataError, match="not a Keras model"):
        Recognizer.load(fake)


@pytest.mark.parametrize("classes_file", ["[1]", '{"classes": 5}', "{"])
def test_a_broken_classes_file_is_named(saved, tmp_path, classes_file):
    model = tmp_path / "m.keras"
    shutil.copy(saved, model)
    model.with_suffix(".json").write_text(classes_file)
    with pytest.raises(DataError, match="m.json: not a classes file"):
        Recognizer.load(model)


def test_a_zip_that_is_not_a_keras_model_is_named(saved, tmp_path):
    import zipfile

    model = tmp_path / "m.keras"
    with zipfile.ZipFile(model, "w") as archive:
        archive.writestr("hello.txt", "hi")
    shutil.copy(saved.with_suffix(".json"), model.with_suffix(".json"))
    with pytest.raises(DataError, match="not a Keras model"):
        Recognizer.load(model)


def test_the_report_says_what_the_lexicon_gave():
    from helpers.report import writeup

    reading = {"model": "az_bn", "cer": 0.1, "isolated_error": 0.09, "gap": 0.01,
               "photo_error": 0.12}
    found = {"metrics": [], "dataset": {}, "balance": {}, "reading": reading}
    assert "lexicon" not in writeup.discussion(found)  # a run from before the lexicon
    reading.update(lexicon="wordfreq 3.1.1, English, 50,000 words", texts="words",
                   text_lines=100, text_cer=0.18, text_cer_lexicon=0.04, cer_lexicon=0.105)
    text = writeup.discussion(found)
    assert "character error rate of 10.0%" in text and "(wordfreq 3.1.1" in text
    assert "its CER was 4.0%, against 18.0%" in text and "10.5% against 10.0%" in text


def test_a_wide_piece_is_split_where_the_parts_read_surely():
    from helpers.reading.recognizer import _best_split

    spans = [(0, 80), (0, 40), (40, 80), (0, 20), (20, 80)]
    # The whole reads at 30%, the halves at 95%: two characters.
    sure = np.log([0.3, 0.95, 0.95, 0.2, 0.2])
    assert _best_split(spans, sure, 80, height=48) == [1, 2]
    # A piece 1.1 heights wide (a wide M or W) read at 99%, halves at 90%: one character.
    sure = np.log([0.99, 0.9, 0.9, 0.2, 0.2])
    assert _best_split(spans, sure, 80, height=73) == [0]


def test_reading_tight_lines_splits_touching_characters(recognizer, glyphs, monkeypatch):
    import helpers.reading.recognizer as reading
    from helpers.reading.lines import TIGHT_STYLE

    lines = generate_lines(glyphs, 20, seed=8, style=TIGHT_STYLE)

    def wrong_counts() -> int:
        return sum(len(read(recognizer, line.image, lexicon=False).characters)
                   != len(line.indices) for line in lines)

    with_splits = wrong_counts()
    monkeypatch.setattr(reading, "SPLIT_COST", float("inf"))  # whole pieces only
    assert with_splits < wrong_counts()
