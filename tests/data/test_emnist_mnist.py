import gzip
import hashlib

import numpy as np
import pytest
from support.idx_files import idx_bytes, write_emnist_split, write_idx, write_nist_zip

from helpers.data import DataError, emnist, load_dataset, mnist
from helpers.data.download import download
from helpers.data.idx import read_images, read_labels, read_pair
from helpers.errors import DataWarning

DIGITS = "0123456789"


def tree_hash(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


# --- IDX reader -------------------------------------------------------------------------------

def test_idx_round_trip_plain_and_gzip(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    for name in ("a-idx3-ubyte", "a-idx3-ubyte.gz"):
        assert np.array_equal(read_images(write_idx(tmp_path / name, x)), x)
    y = np.array([3, 1, 4])
    assert read_labels(write_idx(tmp_path / "l.gz", y)).tolist() == [3, 1, 4]


def test_idx_wrong_magic_names_file_and_numbers(tmp_path):
    labels = write_idx(tmp_path / "labels.gz", np.arange(5))
    with pytest.raises(DataError, match=r"labels.gz: IDX magic number is 2049, expected 2051"):
        read_images(labels)


def test_idx_truncated_data_and_gzip(tmp_path):
    data = idx_bytes(np.zeros((4, 28, 28), np.uint8))
    cut = tmp_path / "cut-idx3-ubyte"
    cut.write_bytes(data[:-100])
    with pytest.raises(DataError, match=r"cut-idx3-ubyte: header promises 3,136 values"):
        read_images(cut)
    gz = tmp_path / "cut.gz"
    gz.write_bytes(gzip.compress(data)[:-30])
    with pytest.raises(DataError, match=r"cut.gz: the gzip stream ends early"):
        read_images(gz)
    junk = tmp_path / "junk.gz"
    junk.write_bytes(b"this is not gzip at all")
    with pytest.raises(DataError, match=r"junk.gz: not a readable gzip file"):
        read_images(junk)


def test_idx_count_mismatch(tmp_path):
    images = write_idx(tmp_path / "i.gz", np.zeros((4, 28, 28), np.uint8))
    labels = write_idx(tmp_path / "l.gz", np.arange(3))
    with pytest.raises(DataError, match=r"i.gz holds 4 images but l.gz holds 3 labels"):
        read_pair(images, labels)


# --- EMNIST -----------------------------------------------------------------------------------

def test_emnist_transposes_and_maps_classes(tmp_path):
    truth = write_emnist_split(tmp_path, "digits", DIGITS, 40, 20)
    d = load_dataset("emnist-digits", data_dir=str(tmp_path))
    assert d.classes == tuple(DIGITS) and d.name == "emnist-digits"
    assert np.array_equal(d.x_train, truth["train"][0])  # upright again
    assert np.array_equal(d.y_test, truth["test"][1])
    assert (d.x_train[:, :3, :3] == 200).all()  # the top-left mark is top-left
    assert "official train/test split" in d.source


def test_emnist_letters_labels_start_at_one(tmp_path):
    upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    truth = write_emnist_split(tmp_path, "letters", upper, 60, 30, first_label=1)
    d = load_dataset("emnist-letters", data_dir=str(tmp_path))
    assert d.classes == tuple(upper)
    assert np.array_equal(d.y_train, truth["train"][1])


def test_emnist_with_only_test_file_is_split_stratified(tmp_path):
    write_emnist_split(tmp_path, "mnist", DIGITS, 0, 100, parts=("test",))
    with pytest.warns(DataWarning, match="only the test part"):
        d = load_dataset("emnist-mnist", data_dir=str(tmp_path), seed=5)
    assert (len(d.x_train), len(d.x_test)) == (80, 20)
    assert set(d.y_test) == set(range(10))
    assert "split 80%/20% stratified (seed 5)" in d.source


def test_emnist_bymerge_is_read_from_byclass_files_with_the_lookalikes_merged(tmp_path):
    byclass = DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "abcdefghijklmnopqrstuvwxyz"
    truth = write_emnist_split(tmp_path, "byclass", byclass, 200, 100)
    d = load_dataset("emnist-bymerge", data_dir=str(tmp_path))
    assert d.name == "emnist-bymerge" and d.num_classes == 47
    assert d.classes[-11:] == tuple("abdefghnqrt")  # NIST's bymerge mapping keeps these
    upper = [d.classes.index(byclass[label].upper()) if byclass[label] in "cijklmopsuvwxyz"
             else d.classes.index(byclass[label]) for label in truth["test"][1]]
    assert d.y_test.tolist() == upper
    assert "from the byclass files" in d.source and "EMNIST bymerge" in d.source


def test_emnist_missing_files_say_what_and_where(tmp_path):
    with pytest.raises(DataError) as e:
        load_dataset("emnist-balanced", data_dir=str(tmp_path))
    assert str(tmp_path) in str(e.value)
    assert "emnist-balanced-mapping.txt" in str(e.value) and "download=True" in str(e.value)


def test_emnist_label_outside_mapping(tmp_path):
    write_emnist_split(tmp_path, "digits", DIGITS, 20, 10)
    write_idx(tmp_path / "emnist-digits-test-labels-idx1-ubyte.gz", np.full(10, 12))
    with pytest.raises(DataError, match="label 12 is not in the mapping"):
        load_dataset("emnist-digits", data_dir=str(tmp_path))


def test_emnist_bad_mapping_line(tmp_path):
    write_emnist_split(tmp_path, "digits", DIGITS, 20, 10)
    (tmp_path / "emnist-digits-mapping.txt").write_text("0 48\n1 one\n")
    with pytest.raises(DataError, match=r"mapping.txt, line 2"):
        load_dataset("emnist-digits", data_dir=str(tmp_path))


def test_emnist_download_verifies_and_extracts(tmp_path, monkeypatch):
    source = tmp_path / "nist"
    truth = write_emnist_split(source, "balanced", DIGITS + "AB", 30, 15)
    archive = write_nist_zip(tmp_path / "served.zip", source)
    monkeypatch.setattr(emnist, "URL", archive.as_uri())  # file:// — no network in tests
    monkeypatch.setattr(emnist, "SHA256", hashlib.sha256(archive.read_bytes()).hexdigest())
    target = tmp_path / "raw"
    d = load_dataset("emnist-balanced", data_dir=str(target), download=True)
    assert np.array_equal(d.x_test, truth["test"][0])
    assert (target / "gzip.zip").exists() and not list(target.glob("*.part"))


def test_download_checksum_mismatch_leaves_nothing(tmp_path):
    served = tmp_path / "file.bin"
    served.write_bytes(b"x" * 5000)
    dest = tmp_path / "out" / "file.bin"
    with pytest.raises(DataError, match="SHA-256 of the download is .* expected 0000"):
        download(served.as_uri(), dest, "0" * 64)
    assert not dest.exists() and list(dest.parent.iterdir()) == []
    good = hashlib.sha256(served.read_bytes()).hexdigest()
    assert download(served.as_uri(), dest, good).read_bytes() == served.read_bytes()


def test_download_never_overwrites_a_different_existing_file(tmp_path):
    dest = tmp_path / "gzip.zip"
    dest.write_bytes(b"user's own file")
    with pytest.raises(DataError, match="Delete it to download it again"):
        download((tmp_path / "nowhere").as_uri(), dest, "0" * 64)
    assert dest.read_bytes() == b"user's own file"


def test_download_failure_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="download failed"):
        download((tmp_path / "missing.zip").as_uri(), tmp_path / "x.zip", "0" * 64)


# --- MNIST ------------------------------------------------------------------------------------

def test_mnist_from_idx_files(tmp_path):
    rng = np.random.default_rng(1)
    x, y = rng.integers(0, 256, (30, 28, 28), dtype=np.uint8), np.arange(30) % 10
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", x)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", y)
    write_idx(tmp_path / "t10k-images.idx3-ubyte", x[:10])
    write_idx(tmp_path / "t10k-labels.idx1-ubyte", y[:10])
    before = tree_hash(tmp_path)
    d = load_dataset("mnist", data_dir=str(tmp_path))
    assert np.array_equal(d.x_train, x) and d.classes == tuple(DIGITS)  # not transposed
    assert tree_hash(tmp_path) == before


def test_mnist_from_npz_and_download(tmp_path, monkeypatch):
    rng = np.random.default_rng(2)
    arrays = {"x_train": rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
              "y_train": np.arange(20) % 10,
              "x_test": rng.integers(0, 256, (10, 28, 28), dtype=np.uint8),
              "y_test": np.arange(10)}
    served = tmp_path / "served.npz"
    np.savez(served, **arrays)
    monkeypatch.setattr(mnist, "URL", served.as_uri())
    monkeypatch.setattr(mnist, "SHA256", hashlib.sha256(served.read_bytes()).hexdigest())
    with pytest.raises(DataError, match="no IDX files"):
        load_dataset("mnist", data_dir=str(tmp_path / "raw"))
    d = load_dataset("mnist", data_dir=str(tmp_path / "raw"), download=True)
    assert np.array_equal(d.x_test, arrays["x_test"])


def test_mnist_rejects_emnist_labels(tmp_path):
    np.savez(tmp_path / "mnist.npz", x_train=np.zeros((2, 28, 28), np.uint8),
             y_train=np.array([0, 40]), x_test=np.zeros((1, 28, 28), np.uint8),
             y_test=np.array([1]))
    with pytest.raises(DataError, match="labels outside 0..9"):
        load_dataset("mnist", data_dir=str(tmp_path))
