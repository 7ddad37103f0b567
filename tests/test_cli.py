"""`python -m helpers`: predict, read, train and evaluate, run in-process on a tiny model."""

import contextlib
import io
import json
import re
import shutil

import numpy as np
import pytest
from PIL import Image

from helpers.cli import main
from helpers.data import load_dataset
from helpers.reading.lines import character_photo, generate_lines


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", limit=400)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A digits model trained for one epoch by `train`: exit status, --out, what it printed."""
    out = tmp_path_factory.mktemp("model") / "m.keras"
    printed = io.StringIO()
    # The autouse project dir is set per test, after this fixture; this one is the module's.
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(printed):
        patch.setenv("OCR_PROJECT_DIR", str(tmp_path_factory.mktemp("project")))
        status = main(["train", "--dataset", "digits", "--limit", "400", "--model",
                       "digits_small", "--epochs", "1", "--out", str(out)])
    return status, out, printed.getvalue()


@pytest.fixture(scope="module")
def model(trained):
    status, out, printed = trained
    assert status == 0, printed
    return out


@pytest.fixture(scope="module")
def photos(tmp_path_factory, digits):
    """Three photos of single test digits as PNG files."""
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    files = []
    for i in range(3):
        path = folder / f"digit{i}.png"
        Image.fromarray(character_photo(digits.x_test[i], rng)).save(path)
        files.append(str(path))
    return files


@pytest.fixture(scope="module")
def line(tmp_path_factory, digits):
    path = tmp_path_factory.mktemp("line") / "line.png"
    Image.fromarray(generate_lines(digits, 1, seed=0)[0].image).save(path)
    return str(path)


def json_lines(text: str) -> list[dict]:
    return [json.loads(row) for row in text.splitlines()]


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def test_train_saves_the_model_and_its_classes(model):
    assert model.exists() and model.with_suffix(".json").exists()
    meta = json.loads(model.with_suffix(".json").read_text())
    assert meta["classes"] == list("0123456789") and meta["dataset"] == "digits"
    assert 0 <= meta["accuracy"] <= 1 and meta["preprocessing"]["framing"]["ink_size"] > 0


def test_predict_json_gives_sorted_top_k_per_image(model, photos, capsys):
    assert main(["predict", *photos, "--model", str(model), "--top-k", "3", "--json"]) == 0
    found = json_lines(capsys.readouterr().out)
    assert [f["file"] for f in found] == photos
    for item in found:
        probs = [t["prob"] for t in item["top"]]
        assert len(probs) == 3 and probs == sorted(probs, reverse=True)
        assert sum(probs) <= 1 + 1e-5 and all(t["char"] in "0123456789" for t in item["top"])


def test_predict_prints_one_line_per_image(model, photos, capsys):
    assert main(["predict", *photos[:2], "--model", str(model), "--top-k", "2"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert len(rows) == 2
    for photo, row in zip(photos, rows, strict=False):
        shown = re.fullmatch(re.escape(photo) + r"  \S (\d+\.\d)%  \(\S \d+\.\d%\)(  unsure: "
                             r"under 50%)?", row)
        assert shown, row
        assert (float(shown[1]) < 50) == bool(shown[2]), "unsure marks exactly the answers < 50%"


def test_read_json_has_text_and_a_box_per_character(model, line, capsys):
    assert main(["read", line, "--model", str(model), "--json", "--threshold", "adaptive"]) == 0
    (found,) = json_lines(capsys.readouterr().out)
    assert found["file"] == line and found["text"].strip()
    assert len(found["characters"]) == len(found["text"].replace(" ", ""))
    for character in found["characters"]:
        box = character["box"]
        assert len(box) == 4 and all(isinstance(v, int) for v in box)


def test_read_prints_file_and_text(model, line, capsys):
    assert main(["read", line, "--model", str(model)]) == 0
    assert capsys.readouterr().out.startswith(f"{line}: ")


def test_read_lexicon_options(model, line, tmp_path, capsys):
    assert main(["read", line, "--model", str(model), "--json", "--no-lexicon"]) == 0
    (plain,) = json_lines(capsys.readouterr().out)
    assert plain["text"] == plain["raw_text"]
    assert plain["text"].replace(" ", "") == "".join(c["char"] for c in plain["characters"])
    # A word list of its own: the digits model can spell "words" of digits only.
    numbers = tmp_path / "numbers.txt"
    numbers.write_text("2024 10\n17\n")
    assert main(["read", line, "--model", str(model), "--json", "--lexicon", str(numbers)]) == 0
    (found,) = json_lines(capsys.readouterr().out)
    assert found["raw_text"] == plain["raw_text"]
    bad = tmp_path / "bad.txt"
    bad.write_text("2024 many\n")
    assert main(["read", line, "--model", str(model), "--lexicon", str(bad)]) == 1
    error = one_error_line(capsys.readouterr().err)
    assert str(bad) in error and "line 1" in error
    with pytest.raises(SystemExit) as stop:
        main(["read", line, "--no-lexicon", "--lexicon", str(numbers)])
    assert stop.value.code == 2 and "not allowed with" in capsys.readouterr().err


def test_read_help_explains_the_lexicon(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["read", "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    for text in ("--no-lexicon", "--lexicon FILE", "wordfreq", "raw_text", "examples:"):
        assert text in out


def test_evaluate_json_prints_the_metrics(model, capsys):
    assert main(["evaluate", "--model", str(model), "--dataset", "digits", "--limit", "400",
                 "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert 0 <= metrics["accuracy"] <= 1 and metrics["test_images"] == 80


def test_evaluate_prints_accuracy_and_confusions(model, capsys):
    assert main(["evaluate", "--model", str(model), "--dataset", "digits", "--limit",
                 "400"]) == 0
    out = capsys.readouterr().out
    assert "accuracy" in out and "macro F1" in out and ("→" in out or "no test image" in out)


def test_evaluate_refuses_a_dataset_with_other_classes(model, capsys):
    assert main(["evaluate", "--model", str(model), "--dataset", "glyphs", "--limit",
                 "400"]) == 1
    error = one_error_line(capsys.readouterr().err)
    assert "10 classes" in error and "36" in error and "only the dataset has" in error


def test_without_a_model_or_report_run_the_error_says_how_to_make_one(photos, capsys):
    assert main(["predict", photos[0]]) == 1
    assert "make report" in one_error_line(capsys.readouterr().err)


def test_the_latest_report_model_is_the_default(model, photos, private_project_dir, capsys):
    models = private_project_dir / "outputs" / "latest" / "models"
    models.mkdir(parents=True)
    shutil.copy(model, models)
    shutil.copy(model.with_suffix(".json"), models)
    assert main(["predict", photos[0], "--json"]) == 0
    assert json_lines(capsys.readouterr().out)[0]["file"] == photos[0]


def bad_image(kind: str, folder):
    path = folder / f"{kind}.png"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("not pixels")
    elif kind == "blank":
        Image.new("L", (120, 90), 235).save(path)
    return path


@pytest.mark.parametrize(("kind", "message"), [
    ("missing", "cannot be read"), ("empty", "is empty"), ("text", "not an image"),
    ("blank", "is blank")])
def test_a_bad_image_is_one_error_line(kind, message, model, tmp_path, capsys):
    path = bad_image(kind, tmp_path)
    assert main(["predict", str(path), "--model", str(model)]) == 1
    captured = capsys.readouterr()
    error = one_error_line(captured.err)
    assert str(path) in error and message in error and not captured.out


def test_a_bad_line_image_is_one_error_line(model, tmp_path, capsys):
    path = bad_image("blank", tmp_path)
    assert main(["read", str(path), "--model", str(model)]) == 1
    assert "is blank" in one_error_line(capsys.readouterr().err)


def test_good_images_are_read_after_a_bad_one(model, photos, tmp_path, capsys):
    bad = bad_image("empty", tmp_path)
    assert main(["predict", str(bad), photos[0], "--model", str(model), "--json"]) == 1
    captured = capsys.readouterr()
    assert "is empty" in one_error_line(captured.err)
    assert [f["file"] for f in json_lines(captured.out)] == [photos[0]]


def broken_model(kind: str, model, folder):
    path = folder / "broken.keras"
    if kind == "no classes file":
        shutil.copy(model, path)
    elif kind == "not a model":
        path.write_bytes(b"not a model")
        shutil.copy(model.with_suffix(".json"), path.with_suffix(".json"))
    return path


@pytest.mark.parametrize(("kind", "message"), [
    ("missing", "no such model file"), ("no classes file", "classes file"),
    ("not a model", "not a Keras model file")])
@pytest.mark.parametrize("command", ["predict", "read"])
def test_a_bad_model_is_one_error_line(command, kind, message, model, photos, tmp_path,
                                       capsys):
    path = broken_model(kind, model, tmp_path)
    assert main([command, photos[0], "--model", str(path)]) == 1
    captured = capsys.readouterr()
    assert message in one_error_line(captured.err) and not captured.out


def test_evaluate_with_a_missing_model_is_one_error_line(tmp_path, capsys):
    assert main(["evaluate", "--model", str(tmp_path / "none.keras"), "--dataset",
                 "digits"]) == 1
    assert "no such model file" in one_error_line(capsys.readouterr().err)


def test_train_summary_says_how_well_and_where(trained):
    status, out, printed = trained
    assert printed.startswith("training digits_small on digits: ")
    summary = printed[printed.index("test accuracy"):]
    assert status == 0 and "test accuracy" in summary and "macro F1" in summary
    assert str(out) in summary and str(out.with_suffix(".json")) in summary
    assert f"python -m helpers predict IMAGE --model {out}" in summary


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert all(command in out for command in ("predict", "read", "train", "evaluate"))


def test_train_help_names_the_options_and_choices(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    for text in ("--dataset", "--data-dir", "--path", "--limit", "--epochs", "--out",
                 "--balance", "nearmiss", "digits_small", "resnet", "glyphs", "examples:"):
        assert text in out


def test_usage_errors_are_argparse_errors(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", "--dataset", "digits", "--model", "vgg"])
    assert stop.value.code == 2
    assert "invalid choice: 'vgg'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--dataset", "folder", "--data-dir", "a", "--path", "b",
              "--model", "deep"])
    with pytest.raises(SystemExit):
        main(["predict", "x.png", "--top-k", "0"])
