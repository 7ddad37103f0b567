"""The report as a submission is laid out: numbered chapters and sections, a table of
contents, and every figure and table numbered with a caption.

The report is one notebook of generated chapters and executed notebook cells
(`helpers.report.chain.report_notebook`); these passes work on its cells after it is put
together, so a notebook needs no numbers of its own and the numbers never disagree with the
order the report has.
"""

from __future__ import annotations

import re

import nbformat

HEADING = re.compile(r"^(#{1,6}) +(.+?) *$", re.MULTILINE)
NUMBER = re.compile(r"^\d+(\.\d+)*\.? +")
UNNUMBERED = ("Abstract", "Contents", "References", "Appendix")


def _title(text: str) -> str:
    return NUMBER.sub("", text.strip())


def number_sections(cells: list[nbformat.NotebookNode]) -> list[nbformat.NotebookNode]:
    """Every heading numbered by where it stands: chapters (#) 1, 2, …, their sections (##)
    1.1, 1.2, … and so on down; the title page (the first cell), the abstract, contents,
    references and appendix and what lies under them are not numbered. Numbers a heading
    already had are replaced."""
    counters: list[int] = []
    numbered_chapter = False
    out = []
    for index, cell in enumerate(cells):
        if cell.cell_type != "markdown" or index == 0:
            out.append(cell)
            continue

        def renumber(match: re.Match) -> str:
            nonlocal counters, numbered_chapter
            level, title = len(match.group(1)), _title(match.group(2))
            if level == 1:
                numbered_chapter = not title.startswith(UNNUMBERED)
                if not numbered_chapter:
                    return f"# {title}"
                counters = [counters[0] + 1 if counters else 1]
                return f"# {counters[0]}. {title}"
            if not numbered_chapter:
                return f"{match.group(1)} {title}"
            depth = level - 1  # ## is a section of the chapter
            counters = (counters + [0] * depth)[:depth + 1]
            counters[depth] += 1
            return f"{match.group(1)} {'.'.join(map(str, counters))} {title}"

        cell = nbformat.from_dict(dict(cell))
        cell.source = outside_code(cell.source, lambda text: HEADING.sub(renumber, text))
        out.append(cell)
    return out


FENCE = re.compile(r"(```.*?```)", re.DOTALL)


def outside_code(source: str, change) -> str:
    """`change` applied to the parts of markdown outside fenced code blocks (a `#` there
    starts a Python comment, not a heading)."""
    return "".join(part if FENCE.fullmatch(part) else change(part)
                   for part in FENCE.split(source))


def headings(cells: list[nbformat.NotebookNode], depth: int = 2) -> list[tuple[int, str]]:
    """(level, text) of every heading down to `depth`, in order, outside fenced code."""
    found = []
    for cell in cells[1:]:
        if cell.cell_type != "markdown":
            continue
        text = FENCE.sub("", cell.source)
        found += [(len(m.group(1)), m.group(2).strip()) for m in HEADING.finditer(text)
                  if len(m.group(1)) <= depth]
    return found


CHAPTER_DOT = re.compile(r"^(\d+)\.")


def contents(cells: list[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    """The table of contents: chapters and their sections, indented."""
    # "3. Results" after a list dash would start an ordered list: the dot is escaped.
    lines = ["    " * (level - 1) + "- " + CHAPTER_DOT.sub(r"\1\\.", text)
             for level, text in headings(cells) if text != "Contents"]
    return nbformat.v4.new_markdown_cell(f"<!-- pagebreak -->\n{TOC}\n# Contents\n\n"
                                         + "\n".join(lines))


# Marks the contents cell: the PDF puts its own list there, with page numbers
# (`helpers.report.pdf`); the HTML shows the list of headings.
TOC = "<!-- toc -->"


def _kinds(cell: nbformat.NotebookNode) -> list[str]:
    """"figure" or "table" for each output of a code cell that is one."""
    kinds = []
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if "image/png" in data or "image/svg+xml" in data:
            kinds.append("figure")
        elif "<table" in "".join(data.get("text/html", "")):
            kinds.append("table")
    return kinds


def captions(cells: list[nbformat.NotebookNode]) -> tuple[list[nbformat.NotebookNode],
                                                         dict[str, str]]:
    """After every code cell that shows figures or tables, a caption for each: "Figure 3." or
    "Table 2." and the section it belongs to (the cell's `caption` metadata, where a notebook
    gives one, says more). Also returns, for each cell with a `label` in its metadata, the
    name of its first figure or table ("Table 2"), for the text to refer to (`refer`)."""
    out, section, chapter = [], "", ""
    count = {"figure": 0, "table": 0}
    labels: dict[str, str] = {}
    for cell in cells:
        out.append(cell)
        if cell.cell_type == "markdown":
            for match in HEADING.finditer(FENCE.sub("", cell.source)):
                level, title = len(match.group(1)), _title(match.group(2))
                if level <= 2:
                    chapter, section = title, ""
                else:
                    section = title
            continue
        given = cell.metadata.get("caption")
        lines = []
        for kind in _kinds(cell):
            count[kind] += 1
            if cell.metadata.get("label") and cell.metadata["label"] not in labels:
                labels[cell.metadata["label"]] = f"{kind.capitalize()} {count[kind]}"
            about = given or (f"{chapter}: {section}" if section and chapter else
                              section or chapter)
            lines.append(f"*{kind.capitalize()} {count[kind]}. {about}.*")
        if lines:
            out.append(nbformat.v4.new_markdown_cell("  \n".join(lines),
                                                     metadata={"tags": ["caption"]}))
    return out, labels


# How the generated chapters refer to a labelled figure or table: " ({{ref:comparison}})".
REFERENCE = re.compile(r" \(\{\{ref:([\w-]+)\}\}\)")


def refer(cells: list[nbformat.NotebookNode],
          labels: dict[str, str]) -> list[nbformat.NotebookNode]:
    """Each " ({{ref:label}})" in the markdown replaced by the figure or table it names
    (" (Table 2)"), or dropped where the run has no such figure (a notebook left out)."""
    out = []
    for cell in cells:
        if cell.cell_type == "markdown" and "{{ref:" in cell.source:
            cell = nbformat.from_dict(dict(cell))
            cell.source = REFERENCE.sub(
                lambda m: f" ({labels[m.group(1)]})" if m.group(1) in labels else "",
                cell.source)
        out.append(cell)
    return out
