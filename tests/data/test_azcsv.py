"""The A-Z CSV source: parsing, the errors it names, the cache and the split."""

from __future__ import annotations

import hashlib
import os
import string

import numpy as np
import pytest
from support.csv_files import HEADER, synthetic_az, write_az_csv

from helpers.data import azcsv, load_dataset
from helpers.errors import DataError


@pytest.fixture(autouse=True)
def project_dir(tmp_path, monkeypatch):
    """Keep the cache in the test's own folder, never in the checkout's data/processed."""
    monkeypatch.setenv("OCR_PROJECT_DIR", str(tmp_path / "project"))
    return tmp_path / "project"


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of a few rows, so lines cross chunk boundaries and line numbers must add up."""
    monkeypatch.setattr(azcsv, "CHUNK", 5000)


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("chunk", [None, 5000, 700])  # 700: shorter than a row
@pytest.mark.parametrize(("crlf", "final_newline", "floats"), [
    (False, True, False), (True, True, False), (False, False, False), (True, False, False),
    (False, True, True), (True, False, True),
])
def test_round_trip(tmp_path, monkeypatch, chunk, crlf, final_newline, floats):
    if chunk:
        monkeypatch.setattr(azcsv, "CHUNK", chunk)
    path = tmp_path / "az.csv"
    x, y = write_az_csv(path, rows=60, seed=3, crlf=crlf, final_newline=final_newline,
                        floats=floats)
    got_x, got_y = azcsv.parse_az_csv(path)
    assert got_x.dtype == np.uint8 and got_x.shape == (60, 28, 28)
    assert got_y.dtype == np.int64
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_y, y)


def test_round_trip_keeps_every_value(tmp_path):
    """All 256 pixel values and all 26 labels, at the start, middle and end of a line."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(26, 28, 28), dtype=np.uint8)
    x.reshape(26, -1)[:, :256] = np.arange(256, dtype=np.uint8)
    x[:, -1, -1] = 255
    y = np.arange(26)
    path = tmp_path / "az.csv"
    write_az_csv(path, x, y)
    got_x, got_y = azcsv.parse_az_csv(path)
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_y, y)


def test_any_zero_fraction_is_accepted(tmp_path):
    path = tmp_path / "az.csv"
    x, y = write_az_csv(path, rows=3, floats=True)
    text = path.read_bytes()
    path.write_bytes(text.replace(b".0,", b".000,", 50).replace(b".0\n", b".00\n", 1))
    got_x, got_y = azcsv.parse_az_csv(path)
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_y, y)


def test_trailing_blank_lines_are_ignored(tmp_path):
    path = tmp_path / "az.csv"
    x, y = write_az_csv(path, rows=5)
    with open(path, "ab") as f:
        f.write(b"\n\r\n\n")
    np.testing.assert_array_equal(azcsv.parse_az_csv(path)[0], x)


def error_for(path) -> str:
    with pytest.raises(DataError) as info:
        azcsv.parse_az_csv(path)
    message = str(info.value)
    assert str(path) in message
    return message


def test_empty_file(tmp_path):
    path = tmp_path / "az.csv"
    path.write_bytes(b"")
    assert "empty" in error_for(path)
    path.write_bytes(b"\n\n")
    assert "blank" in error_for(path)


@pytest.mark.parametrize("header", [HEADER, ",".join(str(i) for i in range(785))])
def test_header_row(tmp_path, header):
    path = tmp_path / "az.csv"
    write_az_csv(path, rows=3)
    path.write_bytes(header.encode() + b"\n" + path.read_bytes())
    message = error_for(path)
    assert "line 1 " in message and "headerless" in message and "delete the first line" in message


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize(("fault", "words"), [
    ("short_line", ["784 values", "785"]),
    ("non_numeric_line", ["pixel 399", "not a number", "'x7'"]),
    ("out_of_range_line", ["pixel 399", "'300'", "0-255"]),
    ("bad_label_line", ["the label", "'26'", "0-25"]),
])
@pytest.mark.parametrize("line", [2, 23, 40])
@pytest.mark.parametrize("crlf", [False, True])
def test_bad_line_is_named(tmp_path, fault, words, line, crlf):
    path = tmp_path / "az.csv"
    write_az_csv(path, rows=40, crlf=crlf, **{fault: line})
    message = error_for(path)
    assert f"line {line}:" in message or f"line {line} " in message
    for word in words:
        assert word in message
    assert "fix or delete that line" in message


@pytest.mark.parametrize(("token", "words"), [
    (b"-1", ["the label", "'-1'", "0-25"]),
    (b"3.5", ["the label", "'3.5'", "integer"]),
    (b"", ["the label", "not a number"]),
])
def test_bad_label_text(tmp_path, token, words):
    path = tmp_path / "az.csv"
    write_az_csv(path, rows=4)
    lines = path.read_bytes().split(b"\n")
    lines[2] = token + lines[2][lines[2].index(b","):]
    path.write_bytes(b"\n".join(lines))
    message = error_for(path)
    assert "line 3" in message
    for word in words:
        assert word in message


def test_file_without_line_ends(tmp_path, monkeypatch):
    monkeypatch.setattr(azcsv, "MAX_LINE", 20_000)
    monkeypatch.setattr(azcsv, "CHUNK", 5000)
    path = tmp_path / "az.csv"
    write_az_csv(path, rows=20)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r"))  # old Mac line ends
    assert "without a line end" in error_for(path)


def test_header_with_a_bad_row_later_still_reports_the_header(tmp_path):
    path = tmp_path / "az.csv"
    write_az_csv(path, rows=4, header=True, short_line=4)
    assert "line 1 " in error_for(path)


def make_az(tmp_path, rows=26 * 12, seed=0):
    path = tmp_path / "raw" / "A_Z Handwritten Data.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path, write_az_csv(path, rows=rows, seed=seed)


def test_load_gives_a_stratified_split(tmp_path):
    path, (x, y) = make_az(tmp_path)
    data = azcsv.load(path=str(path), seed=1, test_fraction=0.25)
    assert data.name == "az-csv"
    assert data.classes == tuple(string.ascii_uppercase)
    assert set(data.y_train) == set(data.y_test) == set(range(26))
    assert len(data.x_train) + len(data.x_test) == len(x)
    assert len(data.x_test) == 26 * 3
    assert path.name in data.source and "312 rows" in data.source
    # Every image is one of the file's, with its own label (synthetic images repeat, so pairs).
    rows = {(img.tobytes(), label) for img, label in zip(x, y, strict=True)}
    for img, label in zip(data.x_test, data.y_test, strict=True):
        assert (img.tobytes(), label) in rows


def test_load_through_the_registry(tmp_path):
    path, _ = make_az(tmp_path)
    data = load_dataset("az-csv", path=str(path), seed=0)
    assert data.num_classes == 26 and data.name == "az-csv"


def test_default_path_and_missing_file(project_dir):
    with pytest.raises(DataError, match="path=") as info:
        azcsv.load()
    assert str(project_dir / "data" / "raw") in str(info.value)
    path = project_dir / "data" / "raw" / azcsv.FILE_NAME
    path.parent.mkdir(parents=True)
    write_az_csv(path, rows=52)
    assert len(azcsv.load().y_train) + len(azcsv.load().y_test) == 52


def test_second_load_comes_from_the_cache(tmp_path, monkeypatch, project_dir):
    path, _ = make_az(tmp_path)
    before = sha256(path)
    first = azcsv.load(path=str(path))
    assert list((project_dir / "data" / "processed").glob("az-csv-*.npz"))

    def no_parsing(_path):
        raise AssertionError("parsed again instead of using the cache")

    monkeypatch.setattr(azcsv, "parse_az_csv", no_parsing)
    second = azcsv.load(path=str(path))
    for part in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(first, part), getattr(second, part))
    assert sha256(path) == before  # the input is never touched

    # A changed file is parsed again (and here, the patched parser says so).
    write_az_csv(path, rows=26 * 12, seed=1)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    with pytest.raises(AssertionError, match="parsed again"):
        azcsv.load(path=str(path))


def test_changed_file_gives_new_arrays(tmp_path):
    path, _ = make_az(tmp_path, seed=0)
    first = azcsv.load(path=str(path))
    x, y = synthetic_az(26 * 12, seed=5)
    write_az_csv(path, x, y)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    second = azcsv.load(path=str(path))
    assert not np.array_equal(first.x_train, second.x_train)
    assert sorted(second.x_train.reshape(len(second.x_train), -1).sum(1).tolist()
                  + second.x_test.reshape(len(second.x_test), -1).sum(1).tolist()) == sorted(
        x.reshape(len(x), -1).sum(1).tolist())


def test_cache_false_writes_nothing(tmp_path, project_dir):
    path, _ = make_az(tmp_path)
    before = sha256(path)
    azcsv.load(path=str(path), cache=False)
    assert not list(project_dir.rglob("*.npz"))
    assert sha256(path) == before
