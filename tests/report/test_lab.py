"""JupyterLab (`make lab`) saves a notebook as it is committed: opening and saving one that was
not changed leaves git clean."""

from __future__ import annotations

import shutil

import pytest
from conftest import REPO

# What JupyterLab writes into a notebook's metadata once its kernel has started.
RUNNING_PYTHON = {"codemirror_mode": {"name": "ipython", "version": 3},
                  "file_extension": ".py", "mimetype": "text/x-python", "name": "python",
                  "nbconvert_exporter": "python", "pygments_lexer": "ipython3",
                  "version": "3.11.7"}


@pytest.mark.parametrize("hooked", [True, False])
def test_saving_an_untouched_notebook_writes_the_committed_bytes(tmp_path, hooked):
    from jupyter_server.services.contents.filemanager import FileContentsManager

    notebook = sorted((REPO / "notebooks").glob("*.ipynb"))[3]
    shutil.copy(notebook, tmp_path)
    before = (tmp_path / notebook.name).read_bytes()
    options = {"pre_save_hook": "helpers.report.kernel.save_as_committed"} if hooked else {}
    contents = FileContentsManager(root_dir=str(tmp_path), **options)
    model = contents.get(notebook.name)
    model["content"]["metadata"]["language_info"] = dict(RUNNING_PYTHON)
    contents.save(model, notebook.name)
    # Without the hook, JupyterLab's language metadata would show as a change in git.
    assert ((tmp_path / notebook.name).read_bytes() == before) is hooked


def test_make_lab_starts_jupyterlab_with_the_hook():
    makefile = (REPO / "Makefile").read_text()
    lab = makefile[makefile.index("\nlab:"):].split("\n\n")[0]
    assert "--FileContentsManager.pre_save_hook=helpers.report.kernel.save_as_committed" in lab
