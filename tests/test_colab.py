"""Google Colab: the notebooks' first cells, the README's links, the install and what refuses
there. No Colab and no network here: a fake `google.colab` module, a `file://` clone and pip
with `--dry-run --no-index`."""

import argparse
import json
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
import types
from importlib import metadata
from pathlib import Path

import pytest
from conftest import REPO

from helpers import cli, colab
from helpers.errors import ConfigError

NOTEBOOKS = sorted(p.name for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture
def fake_colab(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))


def copy_of_the_project(tmp_path):
    root = tmp_path / "bundle"
    root.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, root / name)
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    return root


def cells_of(path):
    return json.loads(path.read_text())["cells"]


def test_the_module_runs_with_the_standard_library_alone():
    """Colab runs it from the fresh clone before anything is installed: without site-packages
    it imports, and `helpers` brings nothing else in."""
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); import helpers.colab; "
             "print(*sorted(m for m in sys.modules if m.split('.')[0] not in "
             "(*sys.stdlib_module_names, '__main__')))")
    out = subprocess.run([sys.executable, "-S", "-c", probe, str(REPO)], capture_output=True,
                         text=True, check=True)
    assert out.stdout.split() == ["helpers", "helpers.colab"]


def test_every_notebook_opens_with_the_same_colab_cells_as_committed(tmp_path):
    root = copy_of_the_project(tmp_path)
    assert colab.links(root) == []  # the committed notebooks and README are up to date
    setups = set()
    url = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    for name in NOTEBOOKS:
        link, setup, first = cells_of(REPO / "notebooks" / name)[:3]
        assert link["metadata"]["tags"] == setup["metadata"]["tags"] == [colab.TAG]
        assert (f"https://colab.research.google.com/github/{url.split('github.com/')[1]}"
                f"/blob/main/notebooks/{name})") in "".join(link["source"])
        setups.add("".join(setup["source"]))
        assert colab.TAG not in first["metadata"].get("tags", [])
    assert len(setups) == 1
    setup = setups.pop()
    assert f'REPOSITORY = "{url}"' in setup and 'if "google.colab" in sys.modules:' in setup
    assert "!" not in "".join(re.findall(r"^\s*\S", setup, flags=re.MULTILINE))  # no magics


def test_a_fork_re_points_every_link_and_the_clone_with_one_command(tmp_path):
    root = copy_of_the_project(tmp_path)
    before = {n: cells_of(root / "notebooks" / n) for n in NOTEBOOKS}
    changed = colab.links(root, "someone/fork-of-it")
    assert sorted(p.name for p in changed) == sorted([*NOTEBOOKS, "README.md"])
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    assert project["urls"]["Repository"] == "https://github.com/someone/fork-of-it"
    readme = (root / "README.md").read_text()
    table = readme.split(colab.README_START)[1].split(colab.README_END)[0]
    assert table.count("colab.research.google.com/github/someone/fork-of-it/blob/main/") == 14
    assert "ocr-course" not in table
    for name in NOTEBOOKS:
        cells = cells_of(root / "notebooks" / name)
        setup = "".join(cells[1]["source"])
        assert 'REPOSITORY = "https://github.com/someone/fork-of-it"' in setup
        assert 'CHECKOUT = "/content/fork-of-it"' in setup
        assert cells[2:] == before[name][2:]  # the notebook's own cells are untouched
    assert colab.links(root) == []  # written once, stable
    with pytest.raises(SystemExit, match="not https://github.com/<owner>/<name>"):
        colab.links(root, "no slash here")


def test_links_refuse_a_readme_without_the_table_markers(tmp_path):
    root = copy_of_the_project(tmp_path)
    (root / "README.md").write_text("# A README without the markers\n")
    with pytest.raises(SystemExit, match="colab-links: start"):
        colab.links(root)


def write_project(root, dependencies, optional=None):
    root.mkdir(parents=True, exist_ok=True)
    extras = "".join(f"{k} = {json.dumps(v)}\n" for k, v in (optional or {}).items())
    (root / "pyproject.toml").write_text(textwrap.dedent(f"""\
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "colab-probe"
        version = "0.1"
        dependencies = {json.dumps(dependencies)}

        [project.optional-dependencies]
        """) + extras + "\n[tool.setuptools]\npackages = []\n")
    return root


def test_a_tensorflow_requirement_is_read_as_one_on_the_installed_distribution(tmp_path):
    root = write_project(tmp_path / "p", [
        "tensorflow-cpu==2.21.0; sys_platform == 'linux'",
        "tensorflow[and-cuda]>=2.16,<3; sys_platform != 'linux'", "numpy>=2"],
        {"gpu": ["tensorflow[and-cuda]>=2.16"], "dev": ["pytest"]})
    assert colab.requirements(root, ["gpu"], "tensorflow") == [
        "tensorflow==2.21.0; sys_platform == 'linux'",
        "tensorflow>=2.16,<3; sys_platform != 'linux'", "numpy>=2", "tensorflow>=2.16"]
    # Where no TensorFlow is installed, pip gets the bundle's own requirements.
    assert colab.requirements(root, [], None) == [
        "tensorflow-cpu==2.21.0; sys_platform == 'linux'",
        "tensorflow[and-cuda]>=2.16,<3; sys_platform != 'linux'", "numpy>=2"]
    with pytest.raises(SystemExit, match="no extra lab .* it has dev, gpu"):
        colab.requirements(root, ["lab"], None)


def installed(name):
    try:
        return bool(metadata.version(name))
    except metadata.PackageNotFoundError:
        return False


def test_install_keeps_the_installed_packages_and_passes_pip_its_arguments(tmp_path):
    root = write_project(tmp_path / "p", ["numpy>=2"])
    calls = []

    def fake_pip(command):
        files = {}  # the first -r and -c: the install's own; the later -c is the caller's
        for i, a in enumerate(command):
            if a in ("-r", "-c"):
                files.setdefault(a, Path(command[i + 1]).read_text())
        calls.append((command, files))
        return 0, ""

    lock = tmp_path / "lock.txt"
    lock.write_text("numpy==2.0\n")
    assert colab.install(root, [], ["--dry-run", "-c", str(lock)], run=fake_pip) == 0
    (deps, files), (editable, _) = calls
    kept = dict(line.split("==") for line in files["-c"].split())
    assert kept == {n: metadata.version(n) for n in kept}  # the versions installed here
    assert set(kept) == {n for n in colab.KEPT if installed(n)} >= {"numpy", "pandas", "keras"}
    assert files["-r"] == "numpy>=2\n"
    assert deps[-3:] == ["--dry-run", "-c", str(lock)]
    assert editable[3:] == ["install", "--no-deps", "-e", str(root), "--dry-run", "-c",
                            str(lock)]


def test_the_install_command_passes_what_it_does_not_know_to_pip(monkeypatch):
    seen = []
    monkeypatch.setattr(colab, "install", lambda root, extras, rest: seen.append((extras, rest)))
    colab.main(["install", "--extras", "gpu,lab", "-c", "lock.txt", "--dry-run"])
    assert seen == [(["gpu", "lab"], ["-c", "lock.txt", "--dry-run"])]
    with pytest.raises(SystemExit):
        colab.main(["links", "--dry-run"])


def test_install_names_the_kept_package_it_cannot_install_beside(tmp_path, capsys):
    """pip itself, offline: the bundle asks for a numpy no release has; numpy stays."""
    root = write_project(tmp_path / "p", ["numpy>=99"])
    status = colab.install(root, [], ["--dry-run", "--no-index"])
    err = capsys.readouterr().err
    assert status != 0
    assert (f"without replacing what this runtime keeps: numpy {metadata.version('numpy')} "
            "(the bundle asks for numpy>=99)") in err
    assert "pandas" not in err.split("keeps:")[1]


def test_a_failure_that_moves_nothing_kept_says_pip_failed():
    output = "ERROR: Could not find a version that satisfies the requirement nosuchthing\n"
    kept = {"numpy": "2.4.6"}
    assert colab.moved(output, kept) == []
    other = ("The conflict is caused by:\n    The user requested scipy>=99\n"
             "    The user requested (constraint) scipy==1.17.1\n\nnumpy is fine\n")
    assert colab.moved(other, kept) == []  # a conflict over a package the runtime does not keep
    assert colab.moved(other.replace("scipy", "numpy"), kept) == ["numpy"]
    assert colab.refusal([], kept, output) == ("error: pip could not install the bundle; its "
                                               "message is above")


def test_the_setup_cell_clones_and_installs_only_on_colab_and_once(tmp_path):
    """The generated cell, pointed at a local clone and at a folder for /content, run twice in
    one Python with a fake `google.colab`, and once without it."""
    source = write_project(tmp_path / "source", ["numpy"])
    (source / "helpers").mkdir()
    (source / "notebooks").mkdir()
    (source / "notebooks" / ".gitkeep").touch()
    for name in ("__init__.py", "colab.py"):
        shutil.copy(REPO / "helpers" / name, source / "helpers" / name)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q"], cwd=source, check=True)
    subprocess.run([*git, "add", "."], cwd=source, check=True)
    subprocess.run([*git, "commit", "-qm", "probe"], cwd=source, check=True)
    checkout = tmp_path / "content" / "probe"
    setup = "".join(colab.first_cells("https://github.com/o/probe", "01_x.ipynb")[1]["source"])
    setup = (setup.replace('"https://github.com/o/probe"', repr(f"file://{source}"))
             .replace('"/content/probe"', repr(str(checkout))))
    cell = tmp_path / "cell.py"
    cell.write_text(setup)
    run = ("import os, sys, types\n"
           "if sys.argv[2] == 'colab':\n"
           "    sys.modules['google.colab'] = types.ModuleType('google.colab')\n"
           "for _ in range(2):\n"
           "    exec(open(sys.argv[1]).read())\n"
           "print('cwd', os.getcwd()); print('path', sys.path[0], sys.path.count(sys.path[0]))")
    env = {"PATH": "/usr/bin:/bin", "PIP_DRY_RUN": "1", "PIP_NO_INDEX": "1",
           "PIP_NO_BUILD_ISOLATION": "0", "HOME": str(tmp_path)}
    elsewhere = subprocess.run([sys.executable, "-c", run, str(cell), "local"], cwd=tmp_path,
                               capture_output=True, text=True, env=env, check=True)
    assert f"cwd {tmp_path}\n" in elsewhere.stdout and not checkout.exists()
    on_colab = subprocess.run([sys.executable, "-c", run, str(cell), "colab"], cwd=tmp_path,
                              capture_output=True, text=True, env=env)
    assert on_colab.returncode == 0, on_colab.stderr
    assert (checkout / "helpers" / "colab.py").exists()
    assert f"cwd {checkout / 'notebooks'}\n" in on_colab.stdout
    assert f"path {checkout} 1\n" in on_colab.stdout  # on the path once
    # git's output is kept from the cell (Colab would not show it); a second clone into the
    # same folder would have failed the run: the second run found the clone.
    assert "Cloning into" not in on_colab.stderr
    # Nothing was installed (a dry run), so each run of the cell tried the install: both kept
    # numpy and asked pip for the bundle itself.
    kept = [line for line in on_colab.stdout.splitlines() if line.startswith("keeping ")]
    assert len(kept) == 2 and all(f"numpy {metadata.version('numpy')}" in k for k in kept)
    assert on_colab.stdout.count("Would install colab-probe-0.1") == 2


def test_colab_is_told_by_its_module(fake_colab):
    assert colab.running()


def test_the_web_page_refuses_on_colab_and_says_why(fake_colab, monkeypatch, capsys):
    import helpers.web

    monkeypatch.setattr(helpers.web, "serve", lambda *a, **k: pytest.fail("served on Colab"))
    with pytest.raises(ConfigError, match="cannot be reached from Colab"):
        cli.serve_command(argparse.Namespace(model=None, host="127.0.0.1", port=8000,
                                             threads=1))
    assert cli.main(["serve"]) == 1
    assert "your browser cannot open" in capsys.readouterr().err


def test_the_report_leaves_the_colab_cells_out():
    from helpers.report import chain

    path = REPO / "notebooks" / "01_data_exploration.ipynb"
    assert [c["metadata"]["tags"] for c in cells_of(path)[:2]] == [[colab.TAG], [colab.TAG]]
    shown = chain._body(path) + chain._body(path, main=False)
    assert shown and not any(colab.TAG in c.metadata.get("tags", []) for c in shown)
    assert not any("google.colab" in c.source or "Open In Colab" in c.source for c in shown)
    assert shown[0].source.startswith("## Data exploration")  # the title, one level down


def test_a_replaced_package_the_kernel_had_imported_asks_for_a_restart(monkeypatch):
    provides = {"matplotlib": ["matplotlib"], "mpl_toolkits": ["matplotlib"],
                "cv2": ["opencv-python-headless"], "yaml": ["PyYAML"]}
    before = {"matplotlib": "3.10.0", "opencv-python-headless": "4.12.0.88", "pyyaml": "6.0"}
    after = {**before, "matplotlib": "3.11.0", "pyyaml": "6.0.2", "wordfreq": "3.1.1"}
    # Replaced and imported: named once, with both versions.
    assert colab.stale(before, after, ["matplotlib", "matplotlib.pyplot", "mpl_toolkits"],
                       provides) == ["matplotlib 3.10.0 → 3.11.0"]
    # Replaced but never imported, imported but unchanged, newly installed: nothing to restart.
    assert colab.stale(before, after, ["cv2", "os"], provides) == []
    assert colab.stale(before, after, ["wordfreq"], {"wordfreq": ["wordfreq"]}) == []
    # The distribution's name is matched however it is spelled.
    assert colab.stale(before, after, ["yaml"], provides) == ["pyyaml 6.0 → 6.0.2"]

    versions = colab.versions()
    assert versions["numpy"] == metadata.version("numpy")
    colab.refuse_stale(versions)  # nothing changed since: the cell goes on
    older = {**versions, "numpy": "1.0"}
    assert "numpy" in sys.modules
    with pytest.raises(RuntimeError, match=r"replaced numpy 1\.0 → .*Restart the session"):
        colab.refuse_stale(older)


def test_a_failed_clone_says_which_repository_and_why(tmp_path):
    setup = "".join(colab.first_cells("https://github.com/o/probe", "01_x.ipynb")[1]["source"])
    setup = (setup.replace('"https://github.com/o/probe"', repr(f"file://{tmp_path}/missing"))
             .replace('"/content/probe"', repr(str(tmp_path / "content" / "probe"))))
    run = ("import sys, types\n"
           "sys.modules['google.colab'] = types.ModuleType('google.colab')\n"
           f"exec({setup!r})")
    out = subprocess.run([sys.executable, "-c", run], cwd=tmp_path, capture_output=True,
                         text=True, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert out.returncode != 0
    assert f"RuntimeError: could not clone file://{tmp_path}/missing:" in out.stderr
    assert "Could not read from remote repository" in out.stderr  # git's own reason
