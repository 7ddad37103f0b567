"""The notebooks' self-checks: otter-grader test files, run and worded here.

Each notebook ends with exercises; where an answer can be checked without training, a cell sets
a variable (`colour_conv_parameters = ...`) and calls
`checks("04_cnn_baseline").check("colour_conv_parameters")`. The test file
`helpers/exercises/<notebook>/<question>.py` is in otter's exception-based format (one
`test_case` function whose arguments are the notebook's variables); `helpers.exercises.verdict`
runs it and shows only the verdict: right with why, "Not quite" with a hint, or "Not answered
yet", never the check's code or the right answer. A check asks for what the page does not
print (the same quantity for a variant of the network, built fresh by
`helpers.exercises.variants`, or a prediction) and computes the right answer from Keras or
the run's own objects, so no answer is written down anywhere, and no check trains anything.
"""

from __future__ import annotations

import inspect
import math
import numbers
from pathlib import Path

import numpy as np

from helpers.errors import ConfigError
from helpers.exercises.verdict import NotAnswered, NotQuite, Verdict, judge, not_it, shown

__all__ = ["Checks", "NotAnswered", "NotQuite", "Verdict", "answered", "checks", "class_counts",
           "close", "equal", "folder", "number", "questions", "shown", "wrong"]

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


class Checks:
    """One notebook's checks: `.check("name")` runs the check of the variable `name` against
    the calling notebook's variables (or `env`) and returns its `Verdict`."""

    def __init__(self, notebook: str):
        self.notebook = notebook
        self.folder = folder(notebook)

    def check(self, question: str, env: dict | None = None) -> Verdict:
        path = self.folder / f"{question}.py"
        if not path.is_file():
            raise ConfigError(f"no check {question!r} for notebook {self.notebook!r}; its checks "
                              f"are {', '.join(questions(self.notebook))}")
        if env is None:
            env = inspect.currentframe().f_back.f_globals
        return judge(path, question, env)


def checks(notebook: str) -> Checks:
    """The checks of one notebook (its name without .ipynb, e.g. "04_cnn_baseline")."""
    return Checks(notebook)


def class_counts(dataset) -> np.ndarray:
    """Training images per class, for the classes that have any."""
    counts = np.bincount(dataset.y_train, minlength=dataset.num_classes)
    return counts[counts > 0]


def answered(value, name: str) -> None:
    """Stops with "not answered yet" while the variable still holds the placeholder `...`."""
    if value is None or value is ...:
        raise NotAnswered(f"replace the `...` after `{name} =` with your answer")


def number(value, name: str) -> float:
    """The answer as a number (Python's or numpy's), or "Not quite" saying it is not one."""
    answered(value, name)
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise NotQuite(f"`{name}` should be a number, got {type(value).__name__} "
                       f"`{shown(value)}`")
    return float(value)


def wrong(value, name: str):
    """Stops with "Not quite", repeating the student's answer (and nothing else)."""
    raise NotQuite(not_it(name, value))


def close(value, right: float, name: str, *, within: float) -> None:
    """The answer is a number within `within` of the right one."""
    got = number(value, name)
    if not (math.isfinite(got) and abs(got - right) <= within):
        wrong(value, name)


def equal(value, right, name: str) -> None:
    """The answer equals the right one (numbers, text and tuples; text in any case)."""
    answered(value, name)
    if isinstance(right, str):
        if not isinstance(value, str):
            raise NotQuite(f"`{name}` should be text in quotes, got `{shown(value)}`")
        value, right = value.strip().lower(), right.strip().lower()
    elif isinstance(right, tuple):
        if not isinstance(value, tuple | list):
            raise NotQuite(f"`{name}` should be a tuple like `(1, 2, 3)`, got "
                           f"`{shown(value)}`")
        value = tuple(value)
    elif isinstance(right, numbers.Real):
        number(value, name)
    if value != right:
        wrong(value, name)
