import hashlib
import json

from support.idx_files import write_emnist_split, write_nist_zip

from helpers.data import emnist
from helpers.data.__main__ import main


def test_list_names_every_dataset_with_its_options(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "emnist-byclass" in out and "az-csv" in out and "size=24000" in out


def test_info_prints_facts_and_leakage_as_json(capsys):
    assert main(["info", "digits", "--limit", "300"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["classes"] == 10 and facts["train_images"] + facts["test_images"] == 300
    assert facts["leakage"]["test_images"] == facts["test_images"]


def test_bad_input_is_one_line_and_a_non_zero_exit(tmp_path, capsys):
    assert main(["info", "folder", "--location", str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "nope does not exist" in err


def test_download_command_fetches_and_checks(tmp_path, monkeypatch, capsys):
    source = tmp_path / "nist"
    write_emnist_split(source, "digits", "0123456789", 20, 10)
    archive = write_nist_zip(tmp_path / "served.zip", source)
    monkeypatch.setattr(emnist, "URL", archive.as_uri())
    monkeypatch.setattr(emnist, "SHA256", hashlib.sha256(archive.read_bytes()).hexdigest())
    assert main(["download", "emnist-digits", "--data-dir", str(tmp_path / "raw")]) == 0
    assert "ready" in capsys.readouterr().out
    assert (tmp_path / "raw" / "emnist-digits-mapping.txt").exists()
