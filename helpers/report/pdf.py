"""Render a report notebook to a print-friendly A4 PDF with xhtml2pdf (no LaTeX, no browser).

nbconvert's HTML carries CSS and JavaScript that xhtml2pdf cannot lay out, so this builds a
plain XHTML page of its own: markdown cells through mistune, and of each code cell only its
outputs (the report hides code). Figures get an explicit size in points that fits the page with
room for a heading; preformatted text is wrapped here, since xhtml2pdf never breaks a <pre> line.
A draft (`draft`, the reason: `helpers.report.submission.draft`) says so in bold at the top of
every page, in place of the title, and in a box above the first.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import re
from pathlib import Path

import matplotlib
import mistune
import nbformat
from PIL import Image
from pypdf import PdfReader
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

from helpers.data.cache import atomic_path
from helpers.errors import DataError

# A4 portrait in points with 2 cm margins; the body frame is what figures must fit in.
PAGE_WIDTH, PAGE_HEIGHT, MARGIN = 595.3, 841.9, 56.7
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN
MAX_FIGURE_HEIGHT = PAGE_HEIGHT - 2 * MARGIN - 60  # room for a heading above it on the page
PRE_COLUMNS = 108  # a 7 pt monospace character is 4.2 pt wide: 108 of them fill the frame
MAX_PRE_LINES = 400  # a printed log longer than this is kept as its head and tail
MAX_TABLE_COLUMNS = 16  # past this a table's cells get too narrow to read; pandas' text wraps
KEEP_WITH_OUTPUT_CHARS = 600  # longer prose may end a page; shorter stays with its output
SKIP_TAGS = {"parameters", "injected-parameters", "papermill-error-cell-tag"}
PAGEBREAK = "<!-- pagebreak -->"
KEPT = re.compile(r'<div [^>]*style="[^"]*page-break-inside: avoid')  # a block kept whole
CAPTION = "caption"  # the tag of a figure's or table's caption cell (`layout.captions`)
TOC = "<!-- toc -->"  # the contents cell (`layout.contents`): here, with page numbers
CONTENTS = '<h1 class="contents">Contents</h1><div><pdf:toc /></div>'
WHOLE_TABLE_ROWS = 45  # rows of a table that still fits on one page at its font size

CSS = """
@font-face { font-family: "DejaVu Sans Mono"; src: url("FONTDIR/DejaVuSansMono.ttf"); }
@font-face { font-family: "DejaVu Sans Mono"; src: url("FONTDIR/DejaVuSansMono-Bold.ttf");
             font-weight: bold; }
@font-face { font-family: "DejaVu Sans"; src: url("FONTDIR/DejaVuSans.ttf"); }
@font-face { font-family: "DejaVu Sans"; src: url("FONTDIR/DejaVuSans-Bold.ttf");
             font-weight: bold; }
@page {
  size: a4 portrait; margin: 2cm;
  @frame header { -pdf-frame-content: header; left: 2cm; right: 2cm;
                  top: 0.6cm; height: 1.1cm; }
  @frame footer { -pdf-frame-content: footer; left: 2cm; right: 2cm;
                  bottom: 0.7cm; height: 0.8cm; }
}
body { font-family: Helvetica, "DejaVu Sans"; font-size: 10pt; line-height: 1.3; color: #222; }
p, li, th, td, pre { overflow-wrap: break-word; }  /* a long name or path must not run off */
#header { font-size: 8pt; color: #777; text-align: right; }
#footer { font-size: 8pt; color: #777; text-align: center; }
.draft { color: #b00000; font-weight: bold; }
#header .draft { font-size: 8.5pt; text-align: left; }
div.draft { border: 1.5pt solid #b00000; background-color: #fde8e8; padding: 5pt;
            margin: 0 0 0.8em 0; font-size: 10pt; }
h1, h2, h3, h4 { color: #1a3a5c; -pdf-keep-with-next: true; margin: 0.8em 0 0.3em 0; }
h3, h4, h1.contents, h1.title { -pdf-outline: false; }  /* contents: chapters, sections */
pdftoc.pdftoclevel0 { font-weight: bold; margin-top: 0.4em; }
pdftoc.pdftoclevel1 { margin-left: 1.5em; }
h1 { font-size: 18pt; border-bottom: 1pt solid #1a3a5c; padding-bottom: 2pt; }
h2 { font-size: 14pt; }
h3 { font-size: 12pt; }
h4 { font-size: 10pt; }
p { margin: 0 0 0.5em 0; }
code { font-family: "DejaVu Sans Mono", Courier; font-size: 9pt; background-color: #f2f2f2; }
pre { font-family: "DejaVu Sans Mono", Courier; font-size: 7pt; line-height: 1.2;
      background-color: #f6f6f6; border: 0.5pt solid #ddd; padding: 4pt; margin: 0.3em 0 0.6em 0; }
pre.stderr { background-color: #fcf0f0; }
div.table table { margin: 4pt 0 8pt 0; }
th, td { border: 0.5pt solid #999; padding: 2pt 3pt 1pt 3pt; vertical-align: top; }
th { background-color: #e4e9f0; font-weight: bold; }
.tight th, .tight td { padding: 1pt; }
.figure { text-align: center; margin: 0.4em 0 0.8em 0; }
.error { border: 1pt solid #c00; background-color: #fde8e8; color: #900; padding: 4pt;
          margin: 0.4em 0; font-size: 9pt; }
"""

_markdown = mistune.create_markdown(escape=False, plugins=["table", "strikethrough"])
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_STRIP = re.compile(r"<(style|script)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
# The standard PDF fonts lack box drawing (Keras summaries, progress bars) and most of Unicode;
# matplotlib, a dependency anyway, carries DejaVu. The document may read those files and nothing
# else: figures arrive as data: URIs, and a notebook's links must not reach the network.
FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_POLICY = ResourceAccessPolicy(allow_remote=False, base_dir=FONTS)


def figure_html(data: str | list[str], mime: str, meta: dict | None = None) -> str:
    """An <img> with the picture's data inline, sized in points to fit the body frame."""
    encoded = "".join(_joined(data).split())  # nbformat may keep line breaks in base64
    width, height = Image.open(io.BytesIO(base64.b64decode(encoded))).size
    meta = meta or {}
    if meta.get("width") and meta.get("height"):  # retina figures say their display size
        width, height = meta["width"], meta["height"]
    width, height = width * 0.75, height * 0.75  # CSS pixels are 3/4 of a point
    scale = min(1.0, FRAME_WIDTH / width, MAX_FIGURE_HEIGHT / height)
    return (f'<div class="figure"><img src="data:{mime};base64,{encoded}" '
            f'style="width: {width * scale:.1f}pt; height: {height * scale:.1f}pt"/></div>')


def columns_of(markup: str) -> int:
    """How many columns the first row of an HTML table spans."""
    row = re.search(r"<tr\b.*?</tr>", markup, re.DOTALL | re.IGNORECASE)
    cells = re.findall(r"<t[hd]\b([^>]*)>", row.group(0), re.I) if row else []
    spans = (re.search(r"colspan=\D?(\d+)", attrs, re.I) for attrs in cells)
    return max(1, sum(int(m.group(1)) if m else 1 for m in spans))


def rows_of(markup: str) -> int:
    """How many rows an HTML table has."""
    return len(re.findall(r"<tr\b", markup, re.IGNORECASE))


def table_html(markup: str) -> str:
    """HTML output (a DataFrame) without its stylesheet, in 7 pt from seven columns up."""
    markup = re.sub(r"(<table\b[^>]*?)\s+border=\"?\d+\"?", r"\1", _STRIP.sub("", markup))
    columns = columns_of(markup)
    size = 8 if columns <= 6 else 7  # never smaller than 7 pt on paper: cells wrap instead
    # xhtml2pdf shares the width out equally, so a narrow table need not span the page; a
    # column narrower than its padding makes reportlab raise, so wide tables get less of it.
    markup = re.sub(r"<table\b", f'<table width="{min(100, 25 * columns)}%"', markup, flags=re.I)
    table = (f'<div class="table{" tight" if columns > 10 else ""}" '
             f'style="font-size: {size}pt">{markup}</div>')
    # A table that fits on a page is kept on one (a block its heading and caption can join);
    # a longer one breaks between rows.
    if rows_of(markup) <= WHOLE_TABLE_ROWS:
        return f'<div style="page-break-inside: avoid">{table}</div>'
    return table


def pre_html(text: str, css_class: str = "") -> str:
    """Text as a <pre>, hard-wrapped: xhtml2pdf never breaks a preformatted line."""
    lines = []
    for line in _ANSI.sub("", text).rstrip("\n").split("\n"):
        line = line.rstrip("\r").rsplit("\r", 1)[-1]  # a progress bar shows its last state
        lines += [line[i:i + PRE_COLUMNS] for i in range(0, len(line), PRE_COLUMNS)] or [""]
    if len(lines) > MAX_PRE_LINES:
        half = MAX_PRE_LINES // 2
        lines = [*lines[:half], f"[... {len(lines) - 2 * half} lines left out ...]",
                 *lines[-half:]]
    cls = f' class="{css_class}"' if css_class else ""
    return f"<pre{cls}>{html.escape(chr(10).join(lines))}</pre>"


def output_html(output: dict) -> str:
    """The richest form of one output xhtml2pdf can show; "" for none."""
    kind = output.get("output_type")
    if kind == "stream":
        return pre_html(output.get("text", ""), "stderr" if output.get("name") == "stderr" else "")
    if kind == "error":
        name, value = html.escape(output.get("ename", "")), html.escape(output.get("evalue", ""))
        return f'<div class="error"><b>{name}</b>: {_ANSI.sub("", value)}</div>'
    data = output.get("data", {})
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            return figure_html(data[mime], mime, output.get("metadata", {}).get(mime))
    if "text/html" in data:
        markup = _joined(data["text/html"])
        if "text/plain" not in data or columns_of(markup) <= MAX_TABLE_COLUMNS:
            return table_html(markup)
    if "text/markdown" in data:
        return _markdown(_joined(data["text/markdown"]))
    if "text/plain" in data:
        return pre_html(_joined(data["text/plain"]))
    return ""


def _joined(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def _merged_streams(outputs: list) -> list[dict]:
    """Consecutive stream outputs of one name as one, the way Jupyter shows them."""
    merged: list[dict] = []
    for out in outputs:
        if (out.get("output_type") == "stream" and merged
                and merged[-1].get("output_type") == "stream"
                and merged[-1].get("name") == out.get("name")):
            merged[-1] = {**merged[-1], "text": merged[-1]["text"] + _joined(out["text"])}
        else:
            merged.append(dict(out, text=_joined(out["text"])) if "text" in out else out)
    return merged


DRAFT = "DRAFT — not for submission"


def draft_mark(reason: str) -> str:
    """The words a draft carries on every page."""
    return f"{DRAFT}: {reason}"


def notebook_html(nb: nbformat.NotebookNode, title: str | None = None, *,
                  draft: str | None = None) -> str:
    """The XHTML document xhtml2pdf renders: markdown and outputs, code and parameters left out;
    a `draft` (the reason) marked on every page."""
    parts: list[str] = []
    intro = ""  # a short markdown cell waiting to be kept on one page with the output it introduces
    for cell in nb.cells:
        if SKIP_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        if cell.cell_type == "markdown" and CAPTION in cell.get("metadata", {}).get("tags", []):
            # A caption stays on the page of the figure or table it names (the last output).
            last = next((i for i in range(len(parts) - 1, -1, -1) if parts[i]), None)
            caption = _markdown(_joined(cell.source))
            if last is None:
                parts.append(caption)
            elif KEPT.match(parts[last]) and parts[last].endswith("</div>"):
                parts[last] = parts[last][:-len("</div>")] + caption + "</div>"  # one block
            else:
                parts[last] = f'<div style="page-break-inside: avoid">{parts[last]}{caption}</div>'
            continue
        if cell.cell_type == "markdown":
            parts.append(intro)
            source = _joined(cell.source)
            body = (CONTENTS if TOC in source else _markdown(source))
            if not "".join(parts):  # the title page: its heading is not a chapter
                body = body.replace("<h1>", '<h1 class="title">', 1)
            if source.lstrip().startswith(PAGEBREAK) and "".join(parts):
                body = f'<div style="page-break-before: always">{body}</div>'
            intro = body if len(source) <= KEEP_WITH_OUTPUT_CHARS else ""
            parts.append("" if intro else body)
        elif cell.cell_type == "code":
            outputs = [h for h in map(output_html, _merged_streams(cell.get("outputs", []))) if h]
            if intro and outputs:
                # A heading at the foot of a page with its figure on the next reads badly. One
                # block kept whole, not one inside another: xhtml2pdf moves a nested one to the
                # next page even where it would fit.
                if KEPT.match(outputs[0]):
                    opening = outputs[0].index(">") + 1
                    outputs[0] = outputs[0][:opening] + intro + outputs[0][opening:]
                else:
                    outputs[0] = f'<div style="page-break-inside: avoid">{intro}{outputs[0]}</div>'
                intro = ""
            parts += outputs
    parts.append(intro)
    heading = html.escape(title or "")
    top, box = heading, ""
    if draft is not None:
        mark = html.escape(draft_mark(draft))
        top = f'<span class="draft">{mark}</span>'
        box = (f'<div class="draft">{mark}. <code>make submission</code> lists what is '
               "missing and how to add it.</div>")
    return (f'<html><head><meta charset="utf-8"/><title>{heading}</title>'
            f"<style>{CSS.replace('FONTDIR', FONTS.as_posix())}</style></head><body>"
            f'<div id="header">{top}</div>'
            '<div id="footer">page <pdf:pagenumber/> of <pdf:pagecount/></div>'
            f'{box}{"".join(parts)}</body></html>')


def _not_about_ignored_css(record: logging.LogRecord) -> bool:
    """xhtml2pdf names the CSS it does not implement: the inline styles of notebook outputs
    (rich's model summaries, tables), which the reader of the console cannot change."""
    return "Ignoring CSS properties" not in str(record.msg)


def notebook_to_pdf(nb: nbformat.NotebookNode, path: Path, *, title: str | None = None,
                    draft: str | None = None) -> Path:
    """Write `nb` as an A4 PDF to `path` (atomically, folders created); returns `path`. A
    `draft` (the reason it is one; None for the final report) is marked on every page."""
    path = Path(path)
    document = notebook_html(nb, title, draft=draft)
    parser_log = logging.getLogger("xhtml2pdf.parser")
    parser_log.addFilter(_not_about_ignored_css)
    with atomic_path(path, suffix=".pdf") as tmp, open(tmp, "wb") as f:
        try:
            status = pisa.CreatePDF(document, dest=f, encoding="utf-8",
                                    resource_policy=_POLICY)
        except Exception as e:
            e.add_note(f"while rendering the PDF {path}")
            raise
        finally:
            parser_log.removeFilter(_not_about_ignored_css)
        if status.err:
            problems = "; ".join(str(entry[2]) for entry in getattr(status, "log", [])
                                 if entry[0] == "error")[:500]
            raise DataError(f"xhtml2pdf could not render {path}: {status.err} error(s)"
                            f"{': ' + problems if problems else ''}")
    return path


def pdf_summary(path: Path) -> dict:
    """Pages, characters of extractable text and embedded images of a PDF."""
    reader = PdfReader(path)
    return {"pages": len(reader.pages),
            "text_chars": sum(len(page.extract_text() or "") for page in reader.pages),
            "images": sum(len(page.images) for page in reader.pages)}


def main_body_pages(path: Path, appendix: str = "Appendix") -> int:
    """The pages before the first chapter whose title starts with `appendix`, found by the
    PDF's outline (its bookmarks); every page when there is no such chapter."""
    reader = PdfReader(path)
    for item in reader.outline:
        if not isinstance(item, list) and str(item.title).startswith(appendix):
            return reader.get_destination_page_number(item)
    return len(reader.pages)

