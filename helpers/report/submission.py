"""Whether the report can be handed in, and the files that hand it in.

A report is a draft while the author or the course is unset, a question's answer cell still
holds its placeholder (`helpers.report.answers`), or notebook 11 still trains the example
network and its design question is unanswered (`missing`). A draft says so on every page of its
PDF and at the top of its HTML, with the reason (`draft`).

`submit` refuses a draft, one line per missing item with how to add it; otherwise it writes
`<run>/submission/<name>.pdf` (the run's final report) and `<name>-notebooks.zip` (the executed
notebooks, .ipynb and .html). The name, course and answers are written into the report (title
page, "Your analysis"), so a draft becomes final only by being rendered again:
`make submission` checks first (`--check`), then runs `make report` with the same parameters,
which reuses every notebook (their code and parameters are unchanged) and renders only the
write-up, then packs `outputs/latest`.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import re
import sys
import unicodedata
import zipfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import nbformat

from helpers import paths
from helpers.data.cache import atomic_path
from helpers.errors import BundleError, ConfigError
from helpers.learn.speed import OWN_TAG  # the cell of notebook 11 defining the student's network
from helpers.report import answers
from helpers.report.pdf import DRAFT

# SHA-256 of the example network notebook 11 ships with, as `network_digest` reads it;
# tests/report/test_submission.py keeps it in step with the notebook.
EXAMPLE_DIGEST = "10c744836d64526c0226d8acf7d93b34b9a6613c6623a40c8ced6202ce919d1a"
BANNER_CLASS = "draft-banner"


class SubmissionRefused(ConfigError):
    """The report cannot be handed in yet; `missing` lists what is missing, in words."""

    def __init__(self, message: str, missing: list[str]):
        super().__init__(message)
        self.missing = missing


@dataclass(frozen=True)
class Missing:
    kind: str  # "author", "course", "answer", "network" or "report"
    what: str  # in words, for the list
    fix: str  # how to add it

    def __str__(self) -> str:
        return f"{self.what}: {self.fix}"


def network_digest(source: str) -> str:
    """SHA-256 of a network cell's code without blank lines, comment lines and trailing spaces:
    editing only those keeps the example the example."""
    lines = [line.rstrip() for line in source.splitlines()]
    kept = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return hashlib.sha256("\n".join(kept).encode()).hexdigest()


def own_network(notebooks_dir: Path) -> tuple[str, str] | None:
    """The notebook (name without .ipynb) whose cell tagged `your-network` defines the
    student's network, and that cell's source; None when no notebook has one."""
    for path in sorted(Path(notebooks_dir).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if OWN_TAG in cell.metadata.get("tags", []):
                return path.stem, cell.source
    return None


def keeps_example(notebooks_dir: Path, found: list[answers.Answer]) -> bool:
    """Whether the student's network is still the shipped example with its notebook's design
    question unanswered (keeping the example is fine once the answer says why)."""
    own = own_network(notebooks_dir)
    if own is None:
        return False
    notebook, source = own
    if network_digest(source) != EXAMPLE_DIGEST:
        return False
    return not any(a.answered for a in found if a.notebook == notebook)


def items(author: str | None, course: str | None, found: list[answers.Answer],
          example: bool) -> list[Missing]:
    """What the report lacks before it can be handed in, each with how to add it: the
    author, the course, each unanswered question, and the example network (`example`, from
    `keeps_example`)."""
    lacking = []
    if not (author or "").strip():
        lacking.append(Missing("author", "your name",
                               'add AUTHOR="Your Name" to make submission'))
    if not (course or "").strip():
        lacking.append(Missing("course", "the course",
                               'add COURSE="Course name" to make submission'))
    for a in found:
        if not a.answered:
            lacking.append(Missing(
                "answer", f'the answer to "{a.question}" (notebooks/{a.notebook}.ipynb)',
                "write it in the cell under the question, in place of the placeholder"))
    if example:
        lacking.append(Missing(
            "network", "your own network is still the example",
            f"write yours in the cell tagged {OWN_TAG} of notebook 11, or say under "
            '"Your design" why you kept the example'))
    return lacking


def missing(author: str | None, course: str | None, found: list[answers.Answer],
            notebooks_dir: Path) -> list[str]:
    """Every item missing before the report can be handed in, in words (see `items`); the
    student's network is read from `notebooks_dir`."""
    return [m.what for m in items(author, course, found, keeps_example(notebooks_dir, found))]


def draft_reason(lacking: list[Missing], found: list[answers.Answer]) -> str | None:
    """The short reason a report is a draft, for the mark on every page; None when nothing
    is missing (the report is final)."""
    if not lacking:
        return None
    kinds = [m.kind for m in lacking]
    parts = [label for kind, label in (("author", "no author"), ("course", "no course"))
             if kind in kinds]
    if unanswered := kinds.count("answer"):
        parts.append(f"{unanswered} of {len(found)} questions unanswered")
    if "network" in kinds:
        parts.append("your network is still the example")
    return ", ".join(parts)


def draft(author: str | None, course: str | None, found: list[answers.Answer],
          notebooks_dir: Path) -> str | None:
    """Why a report with this author, course and answers, and the network in
    `notebooks_dir`, is a draft; None when it is final."""
    example = keeps_example(notebooks_dir, found)
    return draft_reason(items(author, course, found, example), found)


def marked(nb: nbformat.NotebookNode, reason: str | None) -> nbformat.NotebookNode:
    """`nb` with a DRAFT banner as its first cell (for the HTML report); `nb` itself when
    final."""
    if reason is None:
        return nb
    text = html.escape(f"{DRAFT}: {reason}")
    banner = nbformat.v4.new_markdown_cell(
        f'<div class="{BANNER_CLASS}" style="border: 2px solid #b00000; '
        'background: #fde8e8; color: #b00000; font-weight: bold; padding: 8px 12px;">'
        f"{text}. <code>make submission</code> lists what is missing and how to add it."
        "</div>")
    banner.metadata["tags"] = ["draft"]
    copy = nbformat.from_dict(dict(nb))
    copy.cells = [banner, *nb.cells]
    return copy


def file_name(author: str) -> str:
    """The submission's file name for `author`: lower-case ASCII words joined by hyphens."""
    ascii_only = unicodedata.normalize("NFKD", author).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only.lower()).strip("-") or "report"


def _visible(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def rendered_lacks(run: Path, author: str, course: str) -> list[Missing]:
    """What keeps the run's rendered report from being the final one for `author` and
    `course`: no report, a draft, or another name or course on its title page."""
    again = (f'make submission AUTHOR="{author}" COURSE="{course}" renders it again '
             "(with the parameters of your report, every notebook is reused)")
    page, document = run / "report.html", run / "report.pdf"
    if not (page.exists() and document.exists()):
        return [Missing("report", f"a rendered report in {run}",
                        "make report renders one; " + again)]
    markup = page.read_text(encoding="utf-8")
    if f'class="{BANNER_CLASS}"' in markup:
        return [Missing("report", f"a final report in {run} (it was rendered as a draft)",
                        again)]
    shown = _visible(markup)
    # The title page reads "Author: <name> Course: <course> Date: …" (`writeup.title_page`).
    author, course = " ".join(author.split()), " ".join(course.split())
    return [Missing("report", f'{label} "{value}" on the title page of the report in {run}',
                    again)
            for label, value, line in (("the author", author, f"Author: {author} Course:"),
                                       ("the course", course, f"Course: {course} Date:"))
            if line not in shown]


def executed_notebooks(run: Path) -> list[Path]:
    return sorted((run / "notebooks").glob("*.ipynb"))


def refusal(lacking: list[Missing]) -> SubmissionRefused:
    lines = "\n".join(f"  - {m}" for m in lacking)
    return SubmissionRefused(f"the report cannot be handed in yet; missing:\n{lines}",
                             [m.what for m in lacking])


def submit(run_dir: Path, author: str | None, course: str | None, *,
           notebooks_dir: Path | None = None) -> tuple[Path, Path]:
    """Hand in the run's report: `<run>/submission/<name>.pdf` and
    `<name>-notebooks.zip` (the executed notebooks, .ipynb and .html), both written
    atomically; returns their paths. Raises `SubmissionRefused` listing what is missing
    (`items`, answers read from `notebooks_dir`, default notebooks/, as the report reads them;
    the network from the run's executed copy) or why the run's report is not the final one."""
    run = Path(run_dir).resolve()
    source = Path(notebooks_dir) if notebooks_dir else paths.project_root() / "notebooks"
    executed = executed_notebooks(run)
    if not executed:
        raise refusal([Missing("report", f"executed notebooks in {run / 'notebooks'}",
                               "make report runs them")])
    found = answers.read([source / p.name for p in executed])
    lacking = items(author, course, found, keeps_example(run / "notebooks", found))
    if lacking:
        raise refusal(lacking)
    lacking = rendered_lacks(run, author, course)
    if lacking:
        raise refusal(lacking)
    name = file_name(author)
    pdf, bundle = run / "submission" / f"{name}.pdf", run / "submission" / f"{name}-notebooks.zip"
    with ExitStack() as stack:  # both files in place, or neither
        pdf_tmp = stack.enter_context(atomic_path(pdf, suffix=".pdf"))
        zip_tmp = stack.enter_context(atomic_path(bundle, suffix=".zip"))
        pdf_tmp.write_bytes((run / "report.pdf").read_bytes())
        with zipfile.ZipFile(zip_tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for notebook in executed:
                for path in (notebook, notebook.with_suffix(".html")):
                    if path.exists():
                        archive.write(path, f"notebooks/{path.name}")
    return pdf, bundle


def check(author: str | None, course: str | None, notebooks: list[Path],
          notebooks_dir: Path) -> None:
    """Refuse (`SubmissionRefused`) before any rendering when the notebooks a report would
    run leave something missing."""
    found = answers.read(notebooks)
    lacking = items(author, course, found, keeps_example(notebooks_dir, found))
    if lacking:
        raise refusal(lacking)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.report submit",
        description="Hand in a rendered report: check that it names you and your course, "
                    "that every question in the notebooks is answered and that notebook 11 "
                    "trains your own network (or its design answer says why it keeps the "
                    "example), then write <run>/submission/<name>.pdf and "
                    "<name>-notebooks.zip (the executed notebooks, .ipynb and .html). "
                    "A refusal lists each missing item and how to add it. "
                    "`make submission AUTHOR=… COURSE=…` checks, renders the report again "
                    "with the same parameters as make report (every notebook reused) and "
                    "runs this.")
    parser.add_argument("run", nargs="?", type=Path,
                        help="the run folder (default outputs/latest)")
    parser.add_argument("--author", help="your name, as on the report's title page")
    parser.add_argument("--course", help="the course the report is handed in for")
    parser.add_argument("--check", action="store_true",
                        help="only check notebooks/ (name, course, answers, your network) "
                             "before a report is rendered; writes nothing")
    parser.add_argument("--models", help="with --check: the networks the report will train "
                                         "(as make report's MODELS=)")
    parser.add_argument("--no-ablation", dest="ablation", action="store_false",
                        help="with --check: the report leaves out the ablation notebook")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.check:
            from helpers.report.chain import notebooks_dir, notebooks_for

            models = args.models.split(",") if args.models else None
            check(args.author, args.course, notebooks_for(models, ablation=args.ablation),
                  notebooks_dir())
            print("submission: nothing missing in notebooks/")
            return 0
        pdf, bundle = submit(args.run or paths.outputs_dir() / "latest", args.author,
                             args.course)
    except BundleError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"submission: {pdf}\n            {bundle}")
    return 0
