"""Hostile but fair input: each case ends in one clear `error:` line (or a DataError naming the
file), exit status 1 or 2, and nothing written."""

from __future__ import annotations

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
