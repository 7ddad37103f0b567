"""The student's own analysis: "Your answer" cells in the notebooks, carried into the report.

A notebook asks a question in a markdown cell and leaves the next markdown cell, tagged
`your-answer` (its metadata `helpers.question` holds the question), for the answer. The report's
discussion gathers every answer under the author's name (`section`); one still holding the
placeholder is marked there as unanswered, and `make report` lists it (`warning`).

Answers are read from the notebooks in `notebooks/`, not from a run's executed copies: an answer
is prose, so writing one changes no result and re-runs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat

TAG = "your-answer"
PLACEHOLDER = "*Your answer here: replace this line with yours.*"


@dataclass(frozen=True)
class Answer:
    notebook: str  # the notebook's name without .ipynb
    question: str
    text: str | None  # None while unanswered

    @property
    def answered(self) -> bool:
        return self.text is not None


def _text(source: str) -> str | None:
    text = source.replace(PLACEHOLDER, "").strip()
    return text or None


def read(notebooks: list[Path]) -> list[Answer]:
    """Every answer cell of these notebooks, in their order."""
    found = []
    for path in notebooks:
        if not path.exists():
            continue
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown" and TAG in cell.metadata.get("tags", []):
                question = cell.metadata.get("helpers", {}).get("question", "")
                found.append(Answer(path.stem, question, _text(cell.source)))
    return found


def section(answers: list[Answer], author: str | None) -> str:
    """The discussion's section of the student's own answers; "" when no notebook asks."""
    if not answers:
        return ""
    by = author or "the author"
    parts = [f"## Your analysis\n\nThe answers of {by} to the assignment's questions, as written "
             "in the notebooks."]
    for answer in answers:
        body = answer.text if answer.answered else (
            f"**[Unanswered: write the answer in the cell under this question in "
            f"notebooks/{answer.notebook}.ipynb.]**")
        parts.append(f"**{answer.question}**\n\n{body}")
    return "\n\n".join(parts)


def warning(answers: list[Answer]) -> str | None:
    """What `make report` says about the questions left unanswered; None when there are none."""
    left = [a for a in answers if not a.answered]
    if not left:
        return None
    listed = "\n".join(f"  notebooks/{a.notebook}.ipynb: {a.question}" for a in left)
    return (f"warning: {len(left)} of {len(answers)} questions are unanswered (the report marks "
            f"them); write your answers in the cells under them:\n{listed}")
