"""Incremental runs: executed notebooks whose inputs did not change are reused, the rest run."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from helpers.data.download import sha256_of
from helpers.report import chain, reuse


def tiny_notebook(name: str, writes: list[str], code: str, **meta) -> nbformat.NotebookNode:
    """A notebook with papermill parameters that logs its own execution and writes a file."""
    cells = [nbformat.v4.new_markdown_cell(f"# {name}"),
             nbformat.v4.new_code_cell("DATASET = 'glyphs'\nEPOCHS = 1\nRUN_DIR = None",
                                       metadata={"tags": ["parameters"]}),
             nbformat.v4.new_code_cell(
                 "from pathlib import Path\nrun = Path(RUN_DIR)\n"
                 f"with open(run.parent.parent / 'executions.log', 'a') as log:\n"
                 f"    log.write('{name}\\n')"),
             nbformat.v4.new_code_cell(code)]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": chain.KERNEL, "display_name": "k", "language": "python"}
    nb.metadata["helpers"] = {"writes": writes, **meta}
    return nb


def write_file(relative: str, text: str) -> str:
    return (f"target = run / {relative!r}\ntarget.parent.mkdir(parents=True, exist_ok=True)\n"
            f"target.write_text({text})")


@pytest.fixture
def project(private_project_dir):
    """Four notebooks: a preparation that ignores EPOCHS, two CNNs, a comparison of theirs."""
    notebooks = private_project_dir / "notebooks"
    notebooks.mkdir()
    nbformat.write(tiny_notebook("01_prepare", ["prepared.txt"],
                                 write_file("prepared.txt", "DATASET"), ignores=["EPOCHS"]),
                   notebooks / "01_prepare.ipynb")
    for name in ("baseline", "deep"):
        nbformat.write(tiny_notebook(f"0{4 + (name == 'deep')}_cnn_{name}",
                                     [f"models/{name}.txt", f"training/{name}/**/*"],
                                     write_file(f"models/{name}.txt", f"'{name} ' + str(EPOCHS)")
                                     + "\n" + write_file(f"training/{name}/logs/a.csv", "'1'")),
                       notebooks / f"0{4 + (name == 'deep')}_cnn_{name}.ipynb")
    nbformat.write(tiny_notebook("12_compare", ["compared.txt"], write_file(
        "compared.txt", "(run / 'models/baseline.txt').read_text() + "
        "(run / 'models/deep.txt').read_text()")), notebooks / "12_compare.ipynb")
    return private_project_dir


def run(project: Path, name: str, *, epochs: int = 1, force: bool = False) -> list[str]:
    """One complete run into outputs/<name>; the notebooks that executed in it."""
    log = project / "executions.log"
    before = log.read_text().split() if log.exists() else []
    folder = project / "outputs" / name
    steps = chain.Chain(folder, chain.notebooks_for(["baseline", "deep"]),
                        {"DATASET": "glyphs", "EPOCHS": epochs, "RUN_DIR": str(folder)}, jobs=2,
                        force=force)
    steps.run_all()
    steps.save_index()
    ran = log.read_text().split()[len(before):]
    assert sorted(ran) == sorted(k for k, v in steps.provenance().items() if v == "ran")
    return sorted(ran)


def edit(project: Path, notebook: str, *, code: str | None = None, text: str | None = None):
    path = project / "notebooks" / f"{notebook}.ipynb"
    nb = nbformat.read(path, as_version=4)
    if code is not None:
        nb.cells[-1].source += f"\n{code}"
    if text is not None:
        nb.cells[0].source += f"\n\n{text}"
    nbformat.write(nb, path)


def test_only_what_changed_runs_again_and_its_readers(project):
    everything = ["01_prepare", "04_cnn_baseline", "05_cnn_deep", "12_compare"]
    assert run(project, "r1") == everything
    assert run(project, "r2") == []  # nothing changed: nothing executes
    second = project / "outputs" / "r2"
    assert (second / "compared.txt").read_text() == "baseline 1deep 1"
    assert (second / "training" / "deep" / "logs" / "a.csv").read_text() == "1"
    assert json.loads((second / "reuse.json").read_text())["notebooks"]["05_cnn_deep"][
        "ran_in"] == "r1"
    # One CNN's code: it and the comparison, which reads it, run; the others are reused.
    edit(project, "05_cnn_deep", code="# a student's edit")
    assert run(project, "r3") == ["05_cnn_deep", "12_compare"]
    # Text only: nothing runs, and the executed copy shows the new text.
    edit(project, "04_cnn_baseline", text="A sentence added.")
    assert run(project, "r4") == []
    executed = nbformat.read(project / "outputs/r4/notebooks/04_cnn_baseline.ipynb", 4)
    assert "A sentence added." in executed.cells[0].source
    assert any("injected-parameters" in c.metadata.get("tags", []) and "r4" in c.source
               for c in executed.cells), "papermill's parameters name the new run folder"
    assert "A sentence added." in (project / "outputs/r4/notebooks/04_cnn_baseline.html"
                                   ).read_text()
    # A parameter: the notebooks that use it run, the preparation (which ignores it) does not.
    assert run(project, "r5", epochs=2) == ["04_cnn_baseline", "05_cnn_deep", "12_compare"]
    assert (project / "outputs/r5/compared.txt").read_text() == "baseline 2deep 2"
    assert run(project, "r6", force=True) == everything


def test_a_damaged_or_missing_cache_entry_is_run_again(project):
    run(project, "r1")
    (project / "outputs/r1/models/deep.txt").write_text("tampered")
    (project / "outputs/r1/compared.txt").unlink()
    assert run(project, "r2") == ["05_cnn_deep", "12_compare"]
    (project / "outputs/r2/reuse.json").write_text("{not json")
    (project / "outputs/r1/reuse.json").unlink()
    assert run(project, "r3") == ["01_prepare", "04_cnn_baseline", "05_cnn_deep", "12_compare"]


def test_a_copy_that_fails_midway_leaves_nothing_behind(tmp_path):
    source, target = tmp_path / "old", tmp_path / "new"
    (source / "models").mkdir(parents=True)
    (source / "models" / "a.txt").write_text("a")
    entry = reuse.Entry("k", 1.0, "old", {"models/a.txt": sha256_of(source / "models/a.txt"),
                                          "models/b.txt": "0" * 64})
    assert not reuse.restore(source, entry, target, tmp_path / "missing.ipynb")
    assert not [p for p in target.rglob("*") if p.is_file()]


def test_the_key_covers_helpers_but_not_what_only_renders_the_report(tmp_path):
    for name in ("learn/models.py", "report/writeup.py", "web/templates/page.html"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    first = reuse.source_digest(tmp_path)
    (tmp_path / "report/writeup.py").write_text("x = 2\n")
    (tmp_path / "web/templates/page.html").write_text("<p>new</p>\n")
    assert reuse.source_digest(tmp_path) == first
    (tmp_path / "learn/models.py").write_text("x = 2\n")
    assert reuse.source_digest(tmp_path) != first


def test_the_environment_and_data_files_are_in_the_key(tmp_path, monkeypatch):
    monkeypatch.delenv("OCR_PRECISION", raising=False)
    plain = reuse.environment_digest()
    monkeypatch.setenv("OCR_PRECISION", "float32")
    assert reuse.environment_digest() != plain
    data = tmp_path / "emnist"
    data.mkdir()
    (data / "a.gz").write_bytes(b"1")
    stamp = reuse.data_stamp(str(data))
    (data / "a.gz").write_bytes(b"22")
    assert reuse.data_stamp(str(data)) != stamp and reuse.data_stamp(None) == ""


def test_every_notebook_says_what_it_writes():
    for notebook in chain.notebooks_for():
        meta = reuse.metadata(notebook)
        assert isinstance(meta.get("writes"), list), notebook.name
        assert set(meta.get("ignores", [])) <= chain.declared_parameters(notebook), notebook.name
