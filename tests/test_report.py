"""The headless chain: papermill runs the notebooks, nbconvert renders the report."""

import shutil

import nbformat
import pytest
from conftest import REPO

from helpers import report


@pytest.fixture
def project(private_project_dir):
    shutil.copytree(REPO / "notebooks", private_project_dir / "notebooks")
    return private_project_dir


@pytest.mark.emnist
def test_chain_renders_a_report_on_real_emnist(project, emnist_dir):
    assert report.main(["--dataset", "emnist-mnist", "--data-dir", str(emnist_dir),
                        "--limit", "600", "--seed", "1"]) == 0
    latest = project / "outputs" / "latest"
    html = (latest / "report.html").read_text()
    assert "Data exploration" in html and "Leakage audit" in html
    assert "emnist-mnist" in html and "Appendix: run" in html
    assert "<img" in html or "image/png" in html  # figures are embedded
    assert "load_from" not in html  # code hidden in the report ...
    per_notebook = (latest / "notebooks" / "01_data_exploration.html").read_text()
    assert "load_from" in per_notebook  # ... kept in the per-notebook HTML
    executed = nbformat.read(latest / "notebooks" / "01_data_exploration.ipynb", as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)


def test_failing_notebook_stops_the_chain_and_names_the_cell(private_project_dir):
    notebooks = private_project_dir / "notebooks"
    notebooks.mkdir()
    cells = [nbformat.v4.new_code_cell("DATASET = 'glyphs'", metadata={"tags": ["parameters"]}),
             nbformat.v4.new_code_cell("x = 1"),
             nbformat.v4.new_code_cell("raise RuntimeError('broken on purpose')")]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": report.KERNEL, "display_name": "k", "language": "python"}
    nbformat.write(nb, notebooks / "01_broken.ipynb")
    nbformat.write(nb, notebooks / "02_never_run.ipynb")
    run = private_project_dir / "outputs" / "run1"
    with pytest.raises(SystemExit) as e:
        report.main(["--out", str(run)])
    message = str(e.value)
    assert "01_broken.ipynb failed in code cell 3" in message  # papermill's own cell is skipped
    assert "broken on purpose" in message
    assert (run / "notebooks" / "01_broken.ipynb").exists()  # partial copy kept for debugging
    assert not (run / "notebooks" / "02_never_run.ipynb").exists()
    assert not (run / "report.html").exists()
    assert not (private_project_dir / "outputs" / "latest").exists()
