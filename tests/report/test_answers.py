"""The student's "Your answer" cells: read from the notebooks, carried into the discussion,
the unanswered ones marked there and listed by `make report`."""

import nbformat

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
