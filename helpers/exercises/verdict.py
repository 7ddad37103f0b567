"""Running one self-check and saying what it found, in words a student can act on.

The checks are otter-grader test files (its exception-based format: a `test_case` function
whose arguments are the notebook's variables, with a success and a failure message). otter
itself would print the failing line of the test file, which is the solution; here the test
cases run through otter's own `TestFile`, and the verdict shows only what the student needs:
the success message when right, "Not quite" with the student's own value and the hint when
wrong, "Not answered yet" while the variable still holds the placeholder `...`. Code in the
words is marked `like this`: shown as code in a notebook, as plain text in a console.
"""

from __future__ import annotations

import html
import inspect
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RIGHT, WRONG, UNANSWERED, NOT_READY = "right", "wrong", "unanswered", "not ready"
TITLES = {RIGHT: "Right", WRONG: "Not quite", UNANSWERED: "Not answered yet",
          NOT_READY: "Cannot check yet"}
MARKS = {RIGHT: "✅", WRONG: "❌", UNANSWERED: "✏️", NOT_READY: "⏳"}
SHOWN = 60  # characters of the student's answer a verdict repeats


class NotAnswered(AssertionError):
    """The variable still holds the placeholder (`...`) or None."""


class NotQuite(AssertionError):
    """A wrong answer; the message names the student's value, never the right one."""


def shown(value) -> str:
    """The student's answer as a verdict repeats it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= SHOWN else text[:SHOWN - 1] + "…"


def unanswered_text(name: str) -> str:
    return f"replace the `...` after `{name} =` with your answer and run the cell again."


def not_it(name: str, value) -> str:
    """What a verdict says of a wrong answer: the student's own value, and only that."""
    return f"`{name} = {shown(value)}` is not it"


@dataclass
class Verdict:
    """What one check found: `status` (right, wrong, unanswered, not ready) and the words to
    show. The otter `TestFile` it ran is kept in `test_file`, its results filled in with
    these words, not with otter's (which quote the test's code)."""

    question: str
    status: str
    text: str
    test_file: Any = None

    @property
    def passed(self) -> bool:
        return self.status == RIGHT

    passed_all = passed  # the name otter's results use

    @property
    def answered(self) -> bool:
        return self.status in (RIGHT, WRONG)

    def __str__(self) -> str:
        return f"{TITLES[self.status]}: {self.text.replace('`', '')}"

    def __repr__(self) -> str:
        return f"{MARKS[self.status]} {self}"

    def _repr_markdown_(self) -> str:
        return f"{MARKS[self.status]} **{TITLES[self.status]}:** {self.text}"

    def _repr_html_(self) -> str:
        text = re.sub(r"`([^`]*)`", r"<code>\1</code>", html.escape(self.text))
        return f"<p>{MARKS[self.status]} <strong>{TITLES[self.status]}:</strong> {text}</p>"


def judge(path: Path, question: str, env: dict) -> Verdict:
    """Run the otter test file at `path` against the notebook's variables `env`."""
    from otter.test_files import ExceptionTestFile
    from otter.test_files.abstract_test import TestCaseResult

    test_file = ExceptionTestFile.from_file(str(path))
    value = env.get(question)
    if value is None or value is ...:
        return Verdict(question, UNANSWERED, unanswered_text(question), test_file)
    needed = {name for case in test_file.test_cases
              for name in inspect.signature(case.body.test_func).parameters} - {"env", question}
    if missing := sorted(needed - set(env)):
        names = ", ".join(f"`{name}`" for name in missing)
        return Verdict(question, NOT_READY,
                       f"this check reads {names}, which is not defined yet: run the "
                       "notebook's cells above this one first.", test_file)
    results, said = [], []
    for case in test_file.test_cases:
        try:
            case.body.call_func(env)
        except NotAnswered:
            return Verdict(question, UNANSWERED, unanswered_text(question), test_file)
        except NotQuite as e:
            wrong = str(e).rstrip(".")
        except Exception:  # noqa: BLE001 - whatever the check tripped on, the answer is not it
            wrong = not_it(question, value)
        else:
            said.append(case.success_message or "")
            results.append(TestCaseResult(test_case=case, message=said[-1], passed=True))
            continue
        text = f"{wrong}. {case.failure_message or ''}".strip()
        results.append(TestCaseResult(test_case=case, message=text, passed=False))
        test_file.test_case_results = results
        return Verdict(question, WRONG, text, test_file)
    test_file.test_case_results = results
    return Verdict(question, RIGHT, " ".join(filter(None, said)) or "that is it.", test_file)
