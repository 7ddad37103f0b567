"""The bundle's own promises: clean notebooks, nothing derived tracked, one way through the
stages (the locks are tests/test_locks.py's)."""

import ast
import json
import os
import re
import shutil
import subprocess

import nbformat
import pytest
from conftest import REPO


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True)
    return out.stdout.split()


def test_only_readmes_and_gitkeeps_are_tracked_in_data_and_outputs():
    files = tracked_files()
    if not files:  # not a git checkout (e.g. an sdist): nothing to check
        return
    derived = [f for f in files if f.startswith(("data/", "outputs/"))
               and not f.endswith(("README.md", ".gitkeep"))]
    assert derived == []


def test_committed_notebooks_have_no_outputs_and_a_parameters_cell():
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code = [c for c in cells if c["cell_type"] == "code"]
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), path
        assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in code), path


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    assert "make test" in readme and "make report" in readme
    assert "make test" in (REPO / ".ci" / "run").read_text()


def dry_run(*args: str) -> str:
    """What `make` would run (`make -n`: nothing is started)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "MAKEFLAGS", "MAKELEVEL")}
    out = subprocess.run(["make", "-n", *args], cwd=REPO, capture_output=True, text=True,
                         env=env, check=True)
    return out.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_lab_and_serve_each_have_their_own_default_port():
    assert "--port 8000" in dry_run("serve") and "--port=8888" in dry_run("lab")
    assert "--port 8123" in dry_run("serve", "PORT=8123")
    assert "--port=8123" in dry_run("lab", "PORT=8123")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_report_passes_jobs_only_when_given():
    assert '--jobs "1"' in dry_run("report", "JOBS=1") and "--jobs" not in dry_run("report")
    assert "--force" in dry_run("report", "FORCE=1") and "--force" not in dry_run("report")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_model_passes_a_time_budget_and_the_download_only_when_given():
    assert '--minutes "15"' in dry_run("model", "MINUTES=15")
    assert "-m helpers model " in dry_run("model") and "--minutes" not in dry_run("model")
    assert "--download" in dry_run("model", "DOWNLOAD=1") and "--download" not in dry_run("model")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_help_and_the_command_lines_speak_of_the_users_folders():
    """`../shared` is this repository's CI layout; a user keeps EMNIST in data/raw/emnist."""
    texts = {"make help": dry_run("help"), "README.md": (REPO / "README.md").read_text()}
    texts.update({str(p.relative_to(REPO)): p.read_text()
                  for p in (REPO / "helpers").rglob("*.py")})
    assert [name for name, text in texts.items() if "shared/data" in text] == []


# Which rooms of helpers/ each room may import: data flows one way, from the data layer to the
# report, and nothing but the command line itself imports the command line.
MAY_IMPORT = {
    "data": {"data"},
    "learn": {"data", "learn"},
    "reading": {"data", "learn", "reading"},
    "plots": {"data", "learn", "reading", "plots"},
    "experiment": {"data", "learn"},
    "report": {"data", "learn", "reading", "experiment", "report", "colab"},
    "web": {"data", "learn", "reading", "web"},
    "cli": {"data", "learn", "reading", "report", "web", "colab"},
    "colab": set(),  # the standard library only: it runs before anything is installed
    "exercises": {"data", "learn", "reading", "exercises"},
}
SHARED = {"errors", "paths", "arguments"}  # anyone may import these


def imported_rooms(path) -> set[str]:
    """The rooms of helpers/ (`data`, `learn`, … or a top-level module) a module imports."""
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("helpers"):
            parts = node.module.split(".")
            names |= ({parts[1]} if len(parts) > 1 else {a.name for a in node.names})
        elif isinstance(node, ast.Import):
            names |= {a.name.split(".")[1] for a in node.names
                      if a.name.startswith("helpers.")}
    return names - SHARED


def test_each_parameters_cell_holds_only_what_its_notebook_uses():
    """A parameter a notebook declares is one its code passes on; the preparation notebooks
    train nothing, so they have no EPOCHS or SEEDS (the ablation caps its arms' epochs)."""
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        declared = next(c for c in cells if "parameters" in c.metadata.get("tags", []))
        names = re.findall(r"^([A-Z][A-Z_]*) *=", declared.source, flags=re.MULTILINE)
        rest = "\n".join(c.source for c in cells if c is not declared)
        assert names, path.name
        unused = [n for n in names if not re.search(rf"\b{n}\b", rest)]
        assert unused == [], f"{path.name} declares {unused} and does not use them"
        if not ("_cnn_" in path.stem or "your_network" in path.stem):
            assert "SEEDS" not in names, path.name
            assert "EPOCHS" not in names or "ablation" in path.stem, path.name


def test_every_check_a_notebook_calls_exists_and_every_check_file_is_called():
    from helpers import exercises

    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                         if c.cell_type == "code")
        called = set(re.findall(r'grader\.check\("(\w+)"\)', code))
        assert called and f'checks("{path.stem}")' in code, path.name
        assert called == set(exercises.questions(path.stem)), path.name


def test_imports_run_one_way_through_the_stages_and_only_the_cli_imports_the_cli():
    wrong = []
    for path in sorted((REPO / "helpers").rglob("*.py")):
        parts = path.relative_to(REPO / "helpers").with_suffix("").parts
        room = parts[0]
        if room in SHARED or room in ("__init__", "__main__"):
            continue
        allowed = MAY_IMPORT[room]
        wrong += [f"{'/'.join(parts)} imports helpers.{name}"
                  for name in sorted(imported_rooms(path) - allowed)]
    assert wrong == []
    # The check sees imports at the top and inside functions alike.
    assert imported_rooms(REPO / "helpers" / "report" / "chain.py") >= {"experiment", "report"}
    assert "cli" in imported_rooms(REPO / "helpers" / "__main__.py")


def test_the_package_folders_are_the_stages_and_each_says_what_it_is_for():
    top = {p.name for p in (REPO / "helpers").iterdir() if not p.name.startswith((".", "_"))}
    assert top == {"data", "learn", "reading", "plots", "report", "web", "exercises",
                   "experiment.py", "cli.py", "arguments.py", "errors.py", "paths.py",
                   "colab.py"}
    for room in ("data", "learn", "reading", "plots", "report", "web", "exercises"):
        doc = ast.get_docstring(ast.parse((REPO / "helpers" / room / "__init__.py").read_text()))
        assert doc and len(doc) > 80, room


def test_every_cnn_notebook_teaches_something_no_other_one_has():
    """The CNN notebooks share a frame (train, curves, report, confusion); each also has code
    of its own, tied to its network."""
    code = {}
    for path in sorted((REPO / "notebooks").glob("*_cnn_*.ipynb")):
        network = path.stem.split("_cnn_", 1)[1]
        cells = json.loads(path.read_text())["cells"]
        # A cell that differs from another notebook's only by the network's name is shared.
        code[path.stem] = {"".join(c["source"]).strip().replace(f'"{network}"', '"NAME"')
                           for c in cells if c["cell_type"] == "code"}
    assert len(code) == 7
    for name, cells in code.items():
        others = set().union(*(c for n, c in code.items() if n != name))
        assert cells - others, f"{name} has no code cell of its own"


def imported_modules(source: str) -> set[str]:
    """Every `helpers.…` name a piece of code imports, as dotted paths (`from helpers.report
    import tables` gives helpers.report.tables)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("helpers"):
            names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.startswith("helpers")}
    return names


def test_what_the_notebooks_run_never_imports_what_only_renders_the_report():
    """Editing a module of `reuse.RENDERING` re-renders the report without re-running any
    notebook: sound only while no notebook, and nothing a notebook runs, imports one."""
    from helpers.report.reuse import RENDERING

    def rendering(module: str) -> bool:
        path = module.removeprefix("helpers").lstrip(".").replace(".", "/")
        return any(path == r.removesuffix(".py").rstrip("/") or path.startswith(r)
                   for r in RENDERING)

    sources = {p.name: "\n".join(c.source for c in nbformat.read(p, as_version=4).cells
                                  if c.cell_type == "code")
               for p in sorted((REPO / "notebooks").glob("*.ipynb"))}
    sources.update({str(p.relative_to(REPO)): p.read_text()
                    for p in sorted((REPO / "helpers").rglob("*.py"))
                    if not rendering("helpers." + ".".join(
                        p.relative_to(REPO / "helpers").with_suffix("").parts))})
    wrong = sorted(f"{name} imports {module}" for name, source in sources.items()
                   for module in imported_modules(source) if rendering(module))
    assert wrong == []
    assert rendering("helpers.report.writeup") and rendering("helpers.web")
    assert not rendering("helpers.report.tables")
