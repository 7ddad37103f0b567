"""The notebooks' self-checks, run by otter-grader's student-side check.

Each notebook ends with exercises; where an answer can be checked without training, a cell sets
a variable (`conv_parameters = ...`) and calls `checks("04_cnn_baseline").check("conv_parameters")`.
Otter runs the test file `helpers/exercises/<notebook>/<question>.py` (its exception-based
format: one `test_case` function whose arguments are the notebook's variables) and shows right
or wrong with the reason. A check computes the right answer from the run's own objects (the
model, the class counts, the metrics), so no answer is written down in the notebooks, and no
check trains anything.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from helpers.errors import ConfigError

HERE = Path(__file__).parent


def folder(notebook: str) -> Path:
    """The folder of a notebook's check files."""
    found = HERE / notebook
    if not found.is_dir():
        known = ", ".join(sorted(p.name for p in HERE.iterdir() if p.is_dir()
                                 and not p.name.startswith("_")))
        raise ConfigError(f"no self-checks for notebook {notebook!r}; there are checks for "
                          f"{known}")
    return found


def questions(notebook: str) -> list[str]:
    """The names of a notebook's checks (the variables its exercises ask for)."""
    return sorted(p.stem for p in folder(notebook).glob("*.py"))


def checks(notebook: str):
    """otter's `Notebook` for one notebook's checks: `.check("name")` grades the variable."""
    import otter

    return otter.Notebook(tests_dir=str(folder(notebook)))


def class_counts(dataset) -> np.ndarray:
    """Training images per class, for the classes that have any."""
    counts = np.bincount(dataset.y_train, minlength=dataset.num_classes)
    return counts[counts > 0]


def answered(value, name: str) -> None:
    """Fails with "not answered yet" while the variable still holds the placeholder `...`."""
    assert value is not None and value is not ..., (
        f"not answered yet: replace the ... after {name} = with your answer and run the cell "
        "again")


def close(value, right: float, name: str, *, within: float) -> None:
    """The answer is a number within `within` of the right one."""
    answered(value, name)
    assert isinstance(value, int | float) and not isinstance(value, bool), (
        f"{name} should be a number, got {type(value).__name__} {value!r}")
    assert math.isfinite(value) and abs(value - right) <= within, (
        f"{name} = {value} is not it")


def equal(value, right, name: str) -> None:
    """The answer equals the right one (numbers, text and truth values)."""
    answered(value, name)
    if isinstance(right, str):
        assert isinstance(value, str), f"{name} should be text, got {value!r}"
        value, right = value.strip().lower(), right.strip().lower()
    if isinstance(right, bool):
        assert isinstance(value, bool), f"{name} should be True or False, got {value!r}"
    assert value == right, f"{name} = {value!r} is not it"
