"""The PDF report: xhtml2pdf renders notebook outputs (code hidden) onto readable A4 pages."""

import base64
import io
import re
from types import SimpleNamespace

import matplotlib
import nbformat
import numpy as np
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from pypdf import PdfReader

from helpers.errors import DataError
from helpers.report import pdf

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)


def png(width: float, height: float) -> str:
    fig, ax = plt.subplots(figsize=(width, height))
    ax.plot([0, 1], [0, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=60)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def figure(width: float = 4, height: float = 3) -> dict:
    return new_output("display_data", data={"image/png": png(width, height),
                                            "text/plain": "<Figure>"})


def frame(columns: int) -> dict:
    df = pd.DataFrame(np.arange(3 * columns).reshape(3, columns) + 7000,
                      columns=[f"col{i:02d}" for i in range(columns)])
    return new_output("execute_result", execution_count=1,
                      data={"text/html": df._repr_html_(), "text/plain": repr(df)})


def code(*outputs, tags=()) -> nbformat.NotebookNode:
    cell = new_code_cell("SOURCE_CODE_HIDDEN = 1", outputs=list(outputs))
    cell.metadata["tags"] = list(tags)
    return cell


def page_texts(path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def page_of(texts: list[str], needle: str) -> int:
    return next(i for i, text in enumerate(texts) if needle in text)


def drawn_images(path) -> list[tuple[float, float]]:
    """Width and height in points each image is painted at, from the `w 0 0 h x y cm /X Do`."""
    found = []
    for page in PdfReader(path).pages:
        stream = page.get_contents().get_data().decode("latin-1")
        found += [(float(w), float(h)) for w, h in
                  re.findall(r"([\d.]+) 0 0 ([\d.]+) [-\d.]+ [-\d.]+ cm\s*/\S+ Do", stream)]
    return found


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    long_line = "L" + "-" * 300 + "TAILMARK"
    nb = new_notebook(cells=[
        new_markdown_cell("# Exploration heading\n\nSome **bold** and *italic* text.\n\n"
                          "- first item\n- second item\n\n"
                          "| metric | value |\n|---|---|\n| alphacell | betacell |"),
        code(new_output("stream", name="stdout", text="SECRET_PARAMETER_OUTPUT\n"),
             tags=["parameters"]),
        code(figure(), figure(5, 2)),
        new_markdown_cell("## Twelve columns"),
        code(frame(12)),
        code(new_output("stream", name="stdout",
                        text="".join(f"log line {i}\n" for i in range(200)) + long_line)),
        code(new_output("stream", name="stderr", text="boxes ┏━┓ and bar ████ 100%\n")),
        code(new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                        traceback=[])),
    ])
    path = tmp_path_factory.mktemp("pdf") / "nested" / "report.pdf"
    assert pdf.notebook_to_pdf(nb, path, title="Running title") == path
    return path


def test_pdf_has_text_tables_and_images(report):
    summary = pdf.pdf_summary(report)
    assert summary["pages"] >= 1 and summary["text_chars"] > 500
    assert summary["images"] >= 2
    text = "\n".join(page_texts(report))
    for needle in ("Exploration heading", "first item", "alphacell", "betacell",
                   "col00", "col11", "7035", "log line 199", "TAILMARK",
                   "ZeroDivisionError", "division by zero", "Running title", "page 1 of",
                   "┏━┓", "████"):  # Courier has no box drawing: the embedded DejaVu does
        assert needle in text, needle


def test_code_and_parameter_cells_are_left_out(report):
    text = "\n".join(page_texts(report))
    assert "SECRET_PARAMETER_OUTPUT" not in text
    assert "SOURCE_CODE_HIDDEN" not in text


def test_pagebreak_cell_starts_a_new_page(tmp_path):
    cells = [new_markdown_cell("# Before\n\nText before the break."),
             new_markdown_cell("<!-- pagebreak -->\n# Chapter two\n\nText after the break.")]
    plain = [cells[0], new_markdown_cell("# Chapter two\n\nText after the break.")]
    broken = pdf.notebook_to_pdf(new_notebook(cells=cells), tmp_path / "broken.pdf")
    together = pdf.notebook_to_pdf(new_notebook(cells=plain), tmp_path / "together.pdf")
    texts = page_texts(broken)
    assert page_of(texts, "after the break") > page_of(texts, "before the break")
    assert len(page_texts(together)) == 1


def test_pagebreak_on_the_first_cell_adds_no_blank_page(tmp_path):
    nb = new_notebook(cells=[new_markdown_cell("<!-- pagebreak -->\n# Title")])
    assert pdf.pdf_summary(pdf.notebook_to_pdf(nb, tmp_path / "r.pdf"))["pages"] == 1


def test_tall_and_wide_figures_fit_the_page_keeping_their_shape(tmp_path):
    nb = new_notebook(cells=[new_markdown_cell("## Tall figure"), code(figure(6, 20)),
                             code(figure(20, 3)), code(figure(4, 3))])
    path = pdf.notebook_to_pdf(nb, tmp_path / "r.pdf")
    assert pdf.pdf_summary(path)["pages"] == 2
    first = PdfReader(path).pages[0]
    assert "Tall figure" in first.extract_text() and len(first.images) == 1  # room for a heading
    (tall_w, tall_h), (wide_w, wide_h), small = drawn_images(path)
    assert small == pytest.approx((4 * 60 * 0.75, 3 * 60 * 0.75), abs=1)  # CSS pixels, not blown up
    frame_height = pdf.PAGE_HEIGHT - 2 * pdf.MARGIN
    assert tall_h <= frame_height and wide_w <= pdf.FRAME_WIDTH + 0.5
    assert tall_w / tall_h == pytest.approx(6 / 20, rel=0.02)
    assert wide_w / wide_h == pytest.approx(20 / 3, rel=0.02)


def test_wide_tables_shrink_to_7_pt_and_very_wide_ones_fall_back_to_text(tmp_path):
    html = pdf.notebook_html(new_notebook(cells=[code(frame(4)), code(frame(12)),
                                                 code(frame(30))]))
    assert 'font-size: 8pt' in html and 'font-size: 7pt' in html and "tight" in html
    assert not re.search(r"font-size: [1-6]pt", html)  # nothing under 7 pt on paper
    assert html.count("<table") == 2  # the 30-column one is pandas' wrapped text
    path = pdf.notebook_to_pdf(new_notebook(cells=[code(frame(30))]), tmp_path / "r.pdf")
    assert "col29" in "".join(page_texts(path))


def test_streams_are_merged_wrapped_and_show_a_progress_bar_last_state():
    html = pdf.notebook_html(new_notebook(cells=[code(
        new_output("stream", name="stdout", text="epoch 1\r"),
        new_output("stream", name="stdout", text="epoch 10%\repoch 100%\n\x1b[31mred\x1b[0m\n"),
        new_output("stream", name="stdout", text="x" * 250))]))
    assert html.count("<pre") == 1
    text = re.search(r"<pre>(.*)</pre>", html, re.DOTALL).group(1)
    assert text.split("\n")[:2] == ["epoch 100%", "red"]  # \r overwrites, as a terminal does
    assert "\x1b" not in text and "red" in text
    assert [len(line) for line in text.split("\n")[2:]] == [108, 108, 34]


def test_papermill_error_banner_is_left_out():
    banner = new_markdown_cell('<span style="color:red">An Exception was encountered</span>')
    banner.metadata["tags"] = ["papermill-error-cell-tag"]
    html = pdf.notebook_html(new_notebook(cells=[banner, new_markdown_cell("kept")]))
    assert "An Exception" not in html and "kept" in html


def test_render_errors_leave_no_file_behind(tmp_path, monkeypatch):
    target = tmp_path / "out" / "report.pdf"
    nb = new_notebook(cells=[new_markdown_cell("# Hello")])
    pdf.notebook_to_pdf(nb, target)
    before = target.read_bytes()
    monkeypatch.setattr(pdf.pisa, "CreatePDF", lambda *a, **k: SimpleNamespace(err=1, log=[]))
    with pytest.raises(DataError, match="report.pdf"):
        pdf.notebook_to_pdf(nb, target)
    assert target.read_bytes() == before  # the old report survives a failed render
    fresh = tmp_path / "out" / "fresh.pdf"
    with pytest.raises(DataError, match="fresh.pdf"):
        pdf.notebook_to_pdf(nb, fresh)
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.pdf"]


def test_a_table_that_fits_a_page_is_kept_on_one():
    def rows(n: int) -> str:
        return pd.DataFrame({"epoch": range(n), "loss": np.linspace(1, 0, n)}).to_html()

    assert "page-break-inside: avoid" in pdf.table_html(rows(12))
    assert "page-break-inside: avoid" not in pdf.table_html(rows(pdf.WHOLE_TABLE_ROWS + 20))


def test_a_heading_and_a_table_share_one_kept_block_not_two_nested(tmp_path):
    """A nested block kept whole is moved to the next page by xhtml2pdf even where it fits:
    the heading joins the table's block, which keeps the table's own font size to itself."""
    cells = [new_markdown_cell("## A table"), code(frame(4))]
    html = pdf.notebook_html(new_notebook(cells=cells))
    body = html[html.index("<body>"):]
    assert body.count("page-break-inside: avoid") == 1
    assert re.search(r'avoid"><h2>A table</h2>\s*<div class="table', body)
    filler = new_markdown_cell("\n\n".join(["Some text that fills the page. " * 12] * 3))
    path = pdf.notebook_to_pdf(new_notebook(cells=[filler, *cells]), tmp_path / "t.pdf")
    assert len(page_texts(path)) == 1


def test_a_caption_stays_on_the_page_of_its_figure(tmp_path):
    """A figure that fills most of a page after some text moves to the next page with its
    caption, rather than leaving the caption behind (or alone) on another page."""
    filler = new_markdown_cell("\n\n".join(["Some text that fills the page. " * 12] * 8))
    caption = new_markdown_cell("*Figure 1. The figure's caption.*", metadata={"tags": ["caption"]})
    cells = [filler, code(figure(6, 6)), caption, new_markdown_cell("After the figure.")]
    texts = page_texts(pdf.notebook_to_pdf(new_notebook(cells=cells), tmp_path / "c.pdf"))
    reader = PdfReader(tmp_path / "c.pdf")
    with_image = [i for i, page in enumerate(reader.pages) if page.images]
    assert with_image == [page_of(texts, "Figure 1.")]
    # A caption with no output before it still shows.
    alone = pdf.notebook_to_pdf(new_notebook(cells=[caption]), tmp_path / "alone.pdf")
    assert "Figure 1." in page_texts(alone)[0]


def test_the_main_body_ends_where_the_appendix_starts(tmp_path):
    cells = [new_markdown_cell("# Title page"),
             new_markdown_cell("<!-- pagebreak -->\n# 1. Introduction\n\nText."),
             new_markdown_cell("<!-- pagebreak -->\n# Appendix A. Details\n\nMore."),
             new_markdown_cell("<!-- pagebreak -->\n# Appendix B. Code\n\nCode.")]
    path = pdf.notebook_to_pdf(new_notebook(cells=cells), tmp_path / "a.pdf")
    assert pdf.main_body_pages(path) == 2 and len(page_texts(path)) == 4
    without = pdf.notebook_to_pdf(new_notebook(cells=cells[:2]), tmp_path / "b.pdf")
    assert pdf.main_body_pages(without) == 2
