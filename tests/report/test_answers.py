"""The student's "Your answer" cells: read from the notebooks, carried into the discussion,
the unanswered ones marked there and listed by `make report`."""

import nbformat
from conftest import REPO

from helpers.report import answers

md = nbformat.v4.new_markdown_cell


def notebook_with(path, *texts):
    cells = [md("# Comparison")]
    for number, text in enumerate(texts, 1):
        cells += [md(f"**Question {number}?**", metadata={"tags": ["question"]}),
                  md(text, metadata={"tags": [answers.TAG],
                                     "helpers": {"question": f"Question {number}?"}})]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def test_a_filled_answer_goes_into_the_discussion_and_an_empty_one_is_listed(tmp_path):
    path = notebook_with(tmp_path / "13_comparison.ipynb",
                         "I would deploy **resnet**: it is the most accurate.",
                         answers.PLACEHOLDER, "  \n")
    found = answers.read([path, tmp_path / "missing.ipynb"])
    assert [a.answered for a in found] == [True, False, False]
    text = answers.section(found, "Ada Lovelace")
    assert "The answers of Ada Lovelace" in text
    assert "**Question 1?**\n\nI would deploy **resnet**: it is the most accurate." in text
    assert text.count("[Unanswered: write the answer in the cell under this question in "
                      "notebooks/13_comparison.ipynb.]") == 2
    said = answers.warning(found)
    assert said.startswith("warning: 2 of 3 questions are unanswered")
    assert "notebooks/13_comparison.ipynb: Question 2?" in said and "Question 1?" not in said


def test_nothing_is_said_when_every_question_is_answered_or_none_is_asked(tmp_path):
    path = notebook_with(tmp_path / "12_ablation.ipynb", "Class weights: they keep every image.")
    assert answers.warning(answers.read([path])) is None
    assert answers.section([], None) == "" and answers.warning([]) is None


def test_every_answer_cell_of_the_notebooks_sits_under_its_question_and_reaches_the_report():
    """Notebook 11 asks why the student designed their network so, among its exercises, in
    the same kind of cell as the analysis questions of 12 and 13."""
    paths = sorted((REPO / "notebooks").glob("*.ipynb"))
    found = answers.read(paths)
    assert {a.notebook for a in found} >= {"11_your_network", "12_ablation", "13_comparison"}
    for path in paths:
        cells = nbformat.read(path, as_version=4).cells
        for before, cell in zip(cells, cells[1:], strict=False):
            if answers.TAG in cell.metadata.get("tags", []):
                question = cell.metadata["helpers"]["question"]
                assert f"**{question}**" in before.source, path.name
                assert "question" in before.metadata["tags"] and cell.source == answers.PLACEHOLDER
    design = [a for a in found if a.notebook == "11_your_network"]
    assert len(design) == 1 and design[0].question.startswith("Why did you design your network")
    assert f"**{design[0].question}**" in answers.section(found, "Ada Lovelace")
    last = nbformat.read(REPO / "notebooks" / "11_your_network.ipynb", as_version=4).cells[-1]
    assert {"exercises", answers.TAG} <= set(last.metadata["tags"])
