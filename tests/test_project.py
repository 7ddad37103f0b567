"""The bundle's own promises: one set of pins, clean notebooks, nothing derived tracked."""

import json
import os
import re
import shutil
import subprocess
import tomllib

import pytest
from conftest import REPO


def pip_pins_from_pyproject() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return {*project["dependencies"], *project["optional-dependencies"]["dev"]}


def pip_pins_from_environment_yml() -> set[str]:
    lines = (REPO / "environment.yml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "- pip:")
    pins = set()
    for line in lines[start + 1:]:
        match = re.match(r"^\s{6,}- (.+)$", line)
        if not match:
            break
        pins.add(match.group(1).strip())
    return pins


def test_environment_yml_pins_match_pyproject():
    pyproject, conda = pip_pins_from_pyproject(), pip_pins_from_environment_yml()
    assert pyproject == conda, (f"only in pyproject: {pyproject - conda}; "
                                f"only in environment.yml: {conda - pyproject}")
    assert all("==" in pin for pin in pyproject), "every dependency is pinned exactly"


def test_python_version_agrees():
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11" and "python=3.11" in (REPO / "environment.yml").read_text()


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


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_model_passes_a_time_budget_only_when_given():
    assert '--minutes "15"' in dry_run("model", "MINUTES=15")
    assert "--minutes" not in dry_run("model")
