"""Hostile but fair input: each case ends in one clear `error:` line (or a DataError naming the
file), exit status 1 or 2, and nothing written."""

from __future__ import annotations

import gzip
import io
import zipfile

import numpy as np
import pytest
from support.idx_files import write_emnist_split

from helpers.cli import main
from helpers.data import load_dataset
from helpers.errors import DataError


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err, err
    return err


def usage_error(capsys) -> str:
    """argparse's refusal: the usage, then one `prog: error: …` line."""
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and ": error: " in err.splitlines()[-1], err
    return err.splitlines()[-1]


@pytest.mark.parametrize(("argv", "said"), [
    (["serve", "--port", "70000"], "a TCP port is 1 to 65535, got 70000"),
    (["serve", "--port", "0"], "must be at least 1"),
    (["train", "--dataset", "digits", "--model", "baseline", "--out", "/proc/x.keras"],
     "cannot write /proc/x.keras"),
])
def test_bad_arguments_are_refused_before_any_work(argv, said, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2 and said in usage_error(capsys)


def test_an_out_path_that_is_a_folder_is_refused_before_training(tmp_path, capsys):
    folder = tmp_path / "model.keras"
    folder.mkdir()
    with pytest.raises(SystemExit):
        main(["train", "--dataset", "digits", "--model", "baseline", "--out", str(folder)])
    assert "is a folder" in usage_error(capsys) and list(folder.iterdir()) == []


def test_serving_on_a_host_that_is_no_address_is_one_error(tmp_path, capsys, glyph_model):
    assert main(["serve", "--host", "999.1.1.1", "--model", str(glyph_model)]) == 1
    err = one_error_line(capsys)
    assert err.startswith("error: cannot serve on 999.1.1.1:8000")


def test_a_mapping_that_names_a_label_twice_is_refused(tmp_path):
    write_emnist_split(tmp_path, "digits", "0123456789", 60, 20)
    mapping = tmp_path / "emnist-digits-mapping.txt"
    mapping.write_text("0 65\n" + mapping.read_text())
    with pytest.raises(DataError, match=r"mapping.txt, line 2: label 0 is mapped a second time"):
        load_dataset("emnist-digits", data_dir=str(tmp_path))


@pytest.mark.parametrize(("pixels", "said"), [
    (np.full((4, 28, 28), 0.5, np.float32), "float32 pixels"),
    (np.full((4, 28, 28), 300, np.int32), "outside 0..255"),
    (np.full((4, 28, 28), -1, np.int16), "outside 0..255"),
])
def test_npz_pixels_that_are_not_bytes_are_refused(tmp_path, pixels, said):
    good = np.zeros((4, 28, 28), np.uint8)
    labels = np.arange(4) % 10
    np.savez(tmp_path / "mnist.npz", x_train=pixels, y_train=labels, x_test=good, y_test=labels)
    with pytest.raises(DataError, match=f"mnist.npz: x_train .*{said}|mnist.npz: x_train has"):
        load_dataset("mnist", data_dir=str(tmp_path))


def write_idx_header(path, dims, data: bytes = b"", gz: bool = True):
    import gzip

    header = bytes([0, 0, 8, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)
    opener = gzip.open if gz else open
    with opener(path, "wb") as f:
        f.write(header + data)
    return path


@pytest.mark.parametrize(("dims", "data", "said"), [
    ((0, 28, 28), b"", "holds no images"),
    ((3, 1, 1), b"abc", "images of 1×1 pixels"),
    ((2, 28, 28), b"\0" * 100, r"file holds 100 \(truncated"),
    ((1, 28, 28), b"\0" * 800, "file holds more than 784"),
    ((70000, 70000, 28), b"", "over the 1,073,741,824 this reader accepts"),
])
def test_idx_files_whose_contents_do_not_fit_their_header_are_named(tmp_path, dims, data, said):
    from helpers.data.idx import read_images

    path = write_idx_header(tmp_path / "x-images-idx3-ubyte.gz", dims, data)
    with pytest.raises(DataError, match=rf"x-images-idx3-ubyte.gz: .*{said}"):
        read_images(path)


BOMB = """
import gzip, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # 1 GiB of address space
from helpers.data.idx import read_images
from helpers.errors import DataError
try:
    read_images(sys.argv[1])
except DataError as e:
    print("refused:", e)
"""


def test_a_small_gzip_that_inflates_to_gigabytes_costs_only_its_header(tmp_path):
    """1 MB of .gz inflating to 1 GB: read under a 1 GiB address-space limit, it is one clear
    error (the header promises 1,000 images; the reader stops after those bytes)."""
    import gzip
    import subprocess
    import sys

    path = tmp_path / "bomb-images-idx3-ubyte.gz"
    header = bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in (1000, 28, 28))
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(header)
        chunk = b"\0" * (1 << 20)
        for _ in range(1024):
            f.write(chunk)
    assert path.stat().st_size < 2 << 20
    done = subprocess.run([sys.executable, "-c", BOMB, str(path)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-1500:]
    assert "refused:" in done.stdout and "file holds more than 784,000" in done.stdout


@pytest.mark.parametrize("special", ["device", "link to a device", "fifo", "folder"])
def test_only_regular_files_are_read_as_images(tmp_path, special):
    import os

    from helpers.data.images import read_file

    path = tmp_path / "x.png"
    if special == "device":
        path = __import__("pathlib").Path("/dev/zero")
    elif special == "link to a device":
        path.symlink_to("/dev/zero")
    elif special == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    with pytest.raises(DataError, match="not a regular file"):
        read_file(path)


def test_an_image_file_over_the_size_bound_is_refused_before_it_is_read(tmp_path):
    from helpers.data.images import read_file

    path = tmp_path / "big.png"
    path.write_bytes(b"\0" * 2000)
    with pytest.raises(DataError, match="big.png is 2,000 bytes, over the 1,000-byte limit"):
        read_file(path, limit=1000)


@pytest.mark.parametrize(("size", "said"), [((1, 1), "1×1 pixels, too small"),
                                            ((20000, 1), "20000×1 pixels, too small")])
def test_images_too_small_to_show_a_character_are_named(tmp_path, size, said):
    from PIL import Image

    from helpers.data.images import to_character_image

    path = tmp_path / "strip.png"
    Image.new("L", size, 255).save(path)
    with pytest.raises(DataError, match=f"strip.png is {said}"):
        to_character_image(path)


def test_a_long_strip_is_shrunk_before_it_is_padded():
    from helpers.data.images import fit_square

    strip = np.full((3, 30000), 255, np.uint8)  # padding first would need a 30,000² square
    square = fit_square(strip)
    assert square.shape == (28, 28) and square.dtype == np.uint8


def test_predicting_a_device_is_one_error_line(capsys, glyph_model):
    assert main(["predict", "/dev/zero", "--model", str(glyph_model)]) == 1
    assert "/dev/zero is a device or other special file" in one_error_line(capsys)


@pytest.mark.parametrize(("top_k", "said"), [("abc", "top_k must be a whole number"),
                                             ("-5", "top_k must be between 1 and 36"),
                                             ("0", "top_k must be between 1 and 36")])
def test_the_web_page_refuses_a_top_k_it_cannot_honour(glyph_recognizer, reading_glyphs, top_k,
                                                       said):
    import io

    from PIL import Image

    from helpers.web import create_app

    png = io.BytesIO()
    Image.fromarray(255 - reading_glyphs.x_test[0]).resize((120, 120)).save(png, "PNG")
    client = create_app(glyph_recognizer).test_client()
    response = client.post(f"/predict?top_k={top_k}",
                           data={"image": (io.BytesIO(png.getvalue()), "a.png")})
    assert response.status_code == 400 and said in response.json["error"]


def test_class_folders_named_alike_in_two_unicode_forms_are_refused(tmp_path):
    from PIL import Image

    for name in ("\u00e9", "e\u0301", "a"):
        (tmp_path / name).mkdir()
        for i in range(3):
            Image.new("L", (28, 28), 40 * i).save(tmp_path / name / f"{i}.png")
    with pytest.raises(DataError, match="same class name written two ways"):
        load_dataset("folder", path=str(tmp_path))


@pytest.mark.parametrize("rows", [1, 30])
def test_a_csv_of_one_letter_is_refused(tmp_path, rows):
    path = tmp_path / "az.csv"
    path.write_text("".join("3," + ",".join(["0"] * 784) + "\n" for _ in range(rows)))
    with pytest.raises(DataError, match="every row is the letter D"):
        load_dataset("az-csv", path=str(path))


TERMINATED = """
import os, signal, sys, time
from pathlib import Path
from helpers.arguments import exit_on_sigterm
from helpers.data.cache import atomic_path
with exit_on_sigterm(), atomic_path(Path(sys.argv[1]) / "model.keras") as tmp:
    tmp.write_bytes(b"half a model")
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(5)
"""


def test_a_sigterm_during_a_save_leaves_no_temporary_file(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", TERMINATED, str(tmp_path)], timeout=60,
                          capture_output=True, text=True)
    assert done.returncode == 128 + 15, done.stderr[-1000:]
    assert list(tmp_path.iterdir()) == []  # neither the model nor its .model.keras.* temp


@pytest.mark.parametrize("preprocessing", [[1, 2], {"framing": {"ink_size": "big"}},
                                           {"framing": {"centre": "middle"}},
                                           {"framing": "box"}])
def test_a_hand_edited_model_description_is_one_error_naming_it(tmp_path, glyph_model,
                                                                preprocessing, capsys):
    import json
    import shutil

    model = tmp_path / "edited.keras"
    shutil.copy(glyph_model, model)
    info = json.loads(glyph_model.with_suffix(".json").read_text())
    model.with_suffix(".json").write_text(json.dumps({**info, "preprocessing": preprocessing}))
    assert main(["predict", str(model), "--model", str(model)]) == 1
    err = one_error_line(capsys)
    assert "edited.json: the model's framing cannot be read" in err


def csv_rows(rows: int = 3, sep: str = ",", end: str = "\n") -> str:
    return "".join(sep.join(["1"] + ["0"] * 784) + end for _ in range(rows))


@pytest.mark.parametrize(("content", "said"), [
    ("\ufeff" + csv_rows(), "starts with a UTF-8 byte-order mark"),
    (csv_rows(end="\r"), "old Mac CR line endings"),
    (csv_rows(sep="\t"), "is separated by tabs"),
])
def test_csv_files_that_are_not_plain_comma_separated_text_say_what_they_are(tmp_path, content,
                                                                             said):
    path = tmp_path / "az.csv"
    path.write_bytes(content.encode("utf-8"))
    with pytest.raises(DataError, match=f"az.csv: line 1 .*{said}") as refused:
        load_dataset("az-csv", path=str(path), cache=False)
    assert "looks like a header" not in str(refused.value)


def random_bytes(size: int = 50_000) -> bytes:
    noise = np.random.default_rng(16).bytes(size)
    assert b"\r" in noise.split(b"\n")[0]  # read line by line, it would look like CR endings
    return noise


def zipped(text: str) -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("A_Z Handwritten Data.csv", text)
    return archive.getvalue()


@pytest.mark.parametrize(("content", "said"), [
    (random_bytes(), "the file holds binary data, not comma-separated text; expected Kaggle's "
                     "headerless A-Z CSV, one line per image"),
    (b"\0\1\2binary" + csv_rows().encode(), "the file holds binary data"),
    (bytes(10_000), "the file holds binary data"),
    (zipped(csv_rows()), "the file is a ZIP archive, not the CSV inside it; unzip it"),
    (gzip.compress(csv_rows().encode()), "the file is gzip-compressed"),
    (csv_rows().encode("utf-16-le"), "the file is UTF-16 text"),
    (csv_rows().encode("utf-16"), "the file is UTF-16 text"),
])
def test_a_csv_that_is_not_text_at_all_is_named_for_what_it_is(tmp_path, content, said):
    path = tmp_path / "az.csv"
    path.write_bytes(content)
    with pytest.raises(DataError) as refused:
        load_dataset("az-csv", path=str(path), cache=False)
    message = str(refused.value)
    assert message.startswith(f"{path}: ") and said in message
    assert "line 1" not in message and "CR line endings" not in message


def test_binary_data_after_good_lines_is_named_on_its_line(tmp_path):
    path = tmp_path / "az.csv"
    path.write_bytes(csv_rows(8).encode() + random_bytes()[:4000] + b"\n")
    with pytest.raises(DataError, match=r"az.csv: line 9 holds binary data"):
        load_dataset("az-csv", path=str(path), cache=False)


def test_a_cut_short_multipart_upload_is_told_so(glyph_recognizer):
    from helpers.web import create_app

    client = create_app(glyph_recognizer).test_client()
    body = (b"--xyz\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n"
            b"Content-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n")  # no closing boundary
    response = client.post("/predict", data=body,
                           content_type="multipart/form-data; boundary=xyz")
    assert response.status_code == 400 and "could not be read" in response.json["error"]
    missing = client.post("/predict", data={"other": "x"})
    assert "send the image as the multipart form field" in missing.json["error"]


def test_an_interrupted_train_continues_when_the_same_command_runs_again(tmp_path, monkeypatch,
                                                                         capsys):
    import keras

    import helpers.learn.train as training

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise KeyboardInterrupt

    out = tmp_path / "digits.keras"
    argv = ["train", "--dataset", "digits", "--model", "baseline", "--epochs", "2",
            "--out", str(out)]
    usual = training.run_callbacks
    monkeypatch.setattr(training, "run_callbacks",
                        lambda *a, **k: [*usual(*a, **k), Interrupt()])
    assert main(argv) == 130 and not out.exists()
    assert "error: interrupted" in capsys.readouterr().err
    monkeypatch.setattr(training, "run_callbacks", usual)
    assert main(argv) == 0 and out.exists()
    history = (tmp_path / "digits-training" / "history.csv").read_text().strip().splitlines()
    assert [row.split(",")[0] for row in history[1:]] == ["0", "1"]  # epoch 1 was not redone


def test_a_form_of_many_small_fields_is_told_what_is_wrong_with_it(glyph_recognizer):
    from helpers.web import create_app

    client = create_app(glyph_recognizer).test_client()
    import io

    fields = {f"f{i}": "x" for i in range(5000)}  # multipart: the parser counts its parts
    response = client.post("/predict", data={**fields, "image": (io.BytesIO(b"x"), "a.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 413 and "too many fields" in response.json["error"]
    assert "MB limit" not in response.json["error"]


def noise(kind: str, shape=(240, 320)) -> np.ndarray:
    rng = np.random.default_rng(7)
    if kind == "uniform":
        return rng.integers(0, 256, shape).astype(np.uint8)
    if kind == "gaussian":
        return np.clip(rng.normal(128, 50, shape), 0, 255).astype(np.uint8)
    return np.where(rng.random(shape) < 0.03, 0, 255).astype(np.uint8)  # salt and pepper


@pytest.mark.parametrize("command", ["predict", "read"])
@pytest.mark.parametrize("kind", ["uniform", "gaussian", "specks"])
def test_pure_noise_is_refused_not_read_as_characters(tmp_path, capsys, glyph_model, kind,
                                                      command):
    from PIL import Image

    path = tmp_path / f"{kind}.png"
    Image.fromarray(noise(kind)).save(path)
    assert main([command, str(path), "--model", str(glyph_model)]) == 1
    said = one_error_line(capsys)
    assert str(path) in said and "looks like noise, not writing" in said
