"""The command lines show every warning as one `warning: <message>` line on stderr: no source
location, no code line, and Python's own display back once they return."""

from __future__ import annotations

import warnings

import pytest
from support.image_trees import make_tree

from helpers import cli
from helpers.arguments import print_warning, warnings_as_lines
from helpers.data.__main__ import main as data_main
from helpers.errors import ConfigError, DataWarning
from helpers.report import chain


def bad_folder(root):
    """Three classes of four images and one file that is not an image."""
    make_tree(root, ("I", "L", "O"), per_class=4)
    broken = root / "L" / "broken.png"
    broken.write_bytes(b"not a png")
    return broken


def warning_lines(err: str) -> list[str]:
    assert "DataWarning" not in err and ".py:" not in err, err
    code_lines = [line for line in err.splitlines() if line.startswith("  ") and line.strip()]
    assert not code_lines, err
    return [line for line in err.splitlines() if line.startswith("warning: ")]


def test_a_skipped_file_is_one_warning_line_from_the_data_command_line(tmp_path, capsys):
    broken = bad_folder(tmp_path / "tree")
    before = warnings.showwarning
    assert data_main(["info", "folder", "--location", str(tmp_path / "tree")]) == 0
    shown = warning_lines(capsys.readouterr().err)
    assert shown == [f"warning: skipped unreadable file: {broken} is not an image (PIL does "
                     f"not recognise its format)"]
    assert warnings.showwarning is before


def test_a_skipped_file_is_one_warning_line_from_train(tmp_path, monkeypatch, capsys):
    from helpers.learn import recipe

    broken = bad_folder(tmp_path / "tree")

    def no_training(*args, **kwargs):
        raise ConfigError("no training in this test")

    monkeypatch.setattr(recipe, "train_and_save", no_training)
    assert cli.main(["train", "--dataset", "folder", "--path", str(tmp_path / "tree"),
                     "--model", "digits_small", "--balance", "none",
                     "--out", str(tmp_path / "m.keras")]) == 1
    err = capsys.readouterr().err
    shown = warning_lines(err)
    assert len(shown) == 1 and shown[0].startswith("warning: skipped unreadable file: ")
    assert str(broken) in shown[0] and "error: no training in this test" in err


def test_warnings_of_the_report_command_line_are_one_line_each(tmp_path, monkeypatch, capsys):
    def warning_chain(config, parameters, **options):
        warnings.warn("EMNIST letters: only the test part is in data/raw", DataWarning,
                      stacklevel=2)
        warnings.warn("a library's\nnotice", FutureWarning, stacklevel=2)
        return tmp_path / "report.html"

    monkeypatch.setattr(chain, "run_chain", warning_chain)
    assert chain.main(["--dataset", "digits", "--out", str(tmp_path / "run")]) == 0
    assert warning_lines(capsys.readouterr().err) == [
        "warning: EMNIST letters: only the test part is in data/raw",
        "warning: a library's notice (FutureWarning)"]


def test_the_warning_display_is_only_changed_inside_the_block(capsys):
    before = warnings.showwarning
    with warnings_as_lines():
        assert warnings.showwarning is print_warning
        warnings.warn("skipped x.png", DataWarning, stacklevel=1)
    assert warnings.showwarning is before
    assert capsys.readouterr().err == "warning: skipped x.png\n"


@pytest.mark.parametrize(("category", "shown"), [
    (DataWarning, "warning: a.png: two lines"),
    (UserWarning, "warning: a.png: two lines (UserWarning)"),
])
def test_a_warning_line_is_folded_and_names_a_foreign_category(category, shown, capsys):
    print_warning("a.png: two\n  lines", category, "/somewhere/module.py", 12,
                  line="code = here()")
    assert capsys.readouterr().err == shown + "\n"
