"""The report laid out as a submission: numbered sections, contents, numbered captions."""

import nbformat
from nbconvert.filters.markdown import markdown2html_mistune

from helpers.report import layout

md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell


def figure_cell():
    return code("plot()", outputs=[nbformat.v4.new_output(
        "display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})])


def table_cell():
    return code("table()", outputs=[nbformat.v4.new_output(
        "execute_result", data={"text/html": "<table><tr><td>1</td></tr></table>"},
        execution_count=1)])


def report_cells():
    return [md("# Optical character recognition\n\n**Author:** x"), md("# Abstract\n\ntext"),
            md("# 1. Introduction\n\n## 1.1 Background\n\ntext"),
            md("# 2. Methodology\n\nopening"), md("## Data exploration\n\n### Samples"),
            figure_cell(), md("```python\n# a comment, not a heading\nx = 1\n```"),
            md("## 2.4 The networks"), table_cell(), figure_cell(),
            md("# References\n\n1. entry"), md("# Appendix\n\n## Parameters of this run")]


def test_sections_are_numbered_where_they_stand():
    cells = layout.number_sections(report_cells())
    text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    assert cells[0].source.startswith("# Optical character recognition")  # the title page
    for heading in ("# Abstract", "# 1. Introduction", "## 1.1 Background", "# 2. Methodology",
                    "## 2.1 Data exploration", "### 2.1.1 Samples", "## 2.2 The networks",
                    "# References", "# Appendix", "## Parameters of this run"):
        assert f"\n{heading}\n" in f"\n{text}\n", heading
    assert "# a comment, not a heading" in text  # code is left alone


def test_contents_list_the_chapters_and_sections():
    cells = layout.number_sections(report_cells())
    contents = layout.contents(cells).source
    assert "- 1\\. Introduction\n    - 1\\.1 Background" in contents
    assert "    - 2\\.2 The networks" in contents and "2.1.1" not in contents
    assert "a comment" not in contents and "Optical character" not in contents
    # Rendered, a chapter's number stays text: "- 1. Introduction" would open an ordered list.
    html = markdown2html_mistune(contents)
    assert "<li>1. Introduction" in html and "<ol" not in html


def test_every_figure_and_table_gets_a_numbered_caption():
    cells, _ = layout.captions(report_cells())
    captions = [c.source for c in cells if "caption" in c.metadata.get("tags", [])]
    assert captions == ["*Figure 1. Data exploration: Samples.*",
                        "*Table 1. The networks.*", "*Figure 2. The networks.*"]
    # A caption follows its figure, and a cell's own caption is used where it has one.
    at = next(i for i, c in enumerate(cells) if c.get("outputs"))
    assert "Figure 1." in cells[at + 1].source
    given = report_cells()
    given[5].metadata["caption"] = "Training images of each class"
    assert "*Figure 1. Training images of each class.*" in [
        c.source for c in layout.captions(given)[0]]


def test_the_text_refers_to_labelled_figures_and_tables_by_their_numbers():
    cells = report_cells()
    cells[8].metadata["label"] = "comparison"
    cells.append(md("Ranked by accuracy ({{ref:comparison}}); the ablation ({{ref:ablation}}) "
                    "did not run."))
    numbered, labels = layout.captions(cells)
    assert labels == {"comparison": "Table 1"}
    text = layout.refer(numbered, labels)[-1].source
    assert text == "Ranked by accuracy (Table 1); the ablation did not run."
