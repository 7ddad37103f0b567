"""Handing in: a report is a DRAFT until it names its author and course, every question is
answered and notebook 11 trains the student's own network (or says why it keeps the example);
`submit` refuses a draft with what is missing, else writes the final PDF and the notebooks."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from pypdf import PdfReader

from helpers import experiment
from helpers.report import answers, chain, estimate, pdf, submission, writeup

REPO = Path(__file__).resolve().parents[2]
OWN = REPO / "notebooks" / "11_your_network.ipynb"
EXAMPLE = next(c.source for c in nbformat.read(OWN, as_version=4).cells
               if submission.OWN_TAG in c.metadata.get("tags", []))
DESIGN = "Why did you design your network as you did?"
DEPLOY = "Which network would you deploy, and why?"
MARK = "DRAFT — not for submission"


def notebook_with(path: Path, cells: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(cells=cells), path)
    return path


def question(text: str, answer: str | None) -> list:
    return [new_markdown_cell(f"### Question\n\n**{text}**", metadata={"tags": ["question"]}),
            new_markdown_cell(answer or answers.PLACEHOLDER,
                              metadata={"tags": [answers.TAG], "helpers": {"question": text}})]


def write_notebooks(folder: Path, *, network: str = EXAMPLE, design: str | None = None,
                    deploy: str | None = None) -> Path:
    """Two tiny notebooks as the student leaves them: notebook 11 (its network cell and the
    design question) and a comparison asking one more question."""
    notebook_with(folder / "11_your_network.ipynb", [
        new_code_cell("DATASET = 'glyphs'", metadata={"tags": ["parameters"]}),
        new_code_cell(network, metadata={"tags": [submission.OWN_TAG]}),
        new_code_cell("print('my_cnn: accuracy 0.91')"), *question(DESIGN, design)])
    notebook_with(folder / "13_comparison.ipynb", [
        new_markdown_cell("# Comparison"), new_code_cell("print('baseline wins')"),
        *question(DEPLOY, deploy)])
    return folder


def found_in(folder: Path) -> list[answers.Answer]:
    return answers.read(sorted(folder.glob("*.ipynb")))


def test_the_stored_digest_is_that_of_the_example_notebook_11_ships():
    """If this fails after the example network was changed on purpose, set EXAMPLE_DIGEST in
    helpers/report/submission.py to the digest it prints."""
    assert submission.network_digest(EXAMPLE) == submission.EXAMPLE_DIGEST, \
        submission.network_digest(EXAMPLE)
    # Blank lines, comment lines and trailing spaces leave the example the example ...
    reformatted = "# my network\n\n" + EXAMPLE.replace("\n", "  \n") + "\n\n# done\n"
    assert submission.network_digest(reformatted) == submission.EXAMPLE_DIGEST
    # ... one changed layer makes it the student's own.
    changed = EXAMPLE.replace("Dense(64", "Dense(128")
    assert changed != EXAMPLE
    assert submission.network_digest(changed) != submission.EXAMPLE_DIGEST


def test_missing_names_the_author_the_course_each_unanswered_question_and_the_example(
        tmp_path):
    folder = write_notebooks(tmp_path / "notebooks")
    found = found_in(folder)
    lacking = submission.missing(None, "  ", found, folder)
    assert lacking == [
        "your name", "the course",
        f'the answer to "{DESIGN}" (notebooks/11_your_network.ipynb)',
        f'the answer to "{DEPLOY}" (notebooks/13_comparison.ipynb)',
        "your own network is still the example"]
    assert submission.missing("Ada", "CS 101", found, folder) == lacking[2:]


def test_keeping_the_example_is_missing_only_while_the_design_question_is_unanswered(tmp_path):
    kept = write_notebooks(tmp_path / "kept", design="I kept it: two convolutions are enough.",
                           deploy="The baseline.")
    assert submission.missing("Ada", "CS 101", found_in(kept), kept) == []
    own = write_notebooks(tmp_path / "own", network=EXAMPLE.replace("Conv2D(16", "Conv2D(8"),
                          deploy="The baseline.")
    assert submission.missing("Ada", "CS 101", found_in(own), own) == [
        f'the answer to "{DESIGN}" (notebooks/11_your_network.ipynb)']
    # A comment added to the example does not make it the student's own.
    commented = write_notebooks(tmp_path / "commented", network="# mine\n" + EXAMPLE,
                                deploy="The baseline.")
    assert submission.missing("Ada", "CS 101", found_in(commented), commented)[-1] == \
        "your own network is still the example"
    # No network cell anywhere: nothing to miss about it.
    assert not submission.keeps_example(tmp_path / "empty", [])


def test_the_draft_reason_says_briefly_what_is_missing_and_none_when_nothing_is(tmp_path):
    folder = write_notebooks(tmp_path / "notebooks", deploy="The baseline.")
    found = found_in(folder)
    assert submission.draft(None, None, found, folder) == (
        "no author, no course, 1 of 2 questions unanswered, your network is still the example")
    assert submission.draft("Ada", None, found, folder) == (
        "no course, 1 of 2 questions unanswered, your network is still the example")
    done = write_notebooks(tmp_path / "done", design="Mine.", deploy="The baseline.")
    assert submission.draft("Ada", "CS 101", found_in(done), done) is None


def pdf_pages(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(path).pages]


def test_every_page_of_a_draft_pdf_says_draft_and_the_final_pdf_nowhere(tmp_path):
    long = new_notebook(cells=[new_markdown_cell("# Report\n\n" + "Some prose. " * 900)])
    draft = pdf.notebook_to_pdf(long, tmp_path / "draft.pdf", title="Report",
                                draft="no author, 2 of 4 questions unanswered")
    pages = pdf_pages(draft)
    assert len(pages) >= 2
    assert all(f"{MARK}: no author, 2 of 4 questions unanswered" in p for p in pages)
    final = pdf_pages(pdf.notebook_to_pdf(long, tmp_path / "final.pdf", title="Report"))
    assert len(final) == len(pages) and not any("DRAFT" in p for p in final)
    assert all("Report" in p for p in final)  # the title stays in the header


def test_the_html_report_of_a_draft_opens_with_the_banner(tmp_path):
    report = new_notebook(cells=[new_markdown_cell("# Report")])
    assert submission.marked(report, None) is report
    banner = submission.marked(report, "no course")
    assert len(report.cells) == 1 and len(banner.cells) == 2  # the report itself is unchanged
    chain.write_html(banner, tmp_path / "report.html", hide_code=True)
    page = (tmp_path / "report.html").read_text()
    assert f'class="{submission.BANNER_CLASS}"' in page
    assert page.index(f"{MARK}: no course") < page.index(">Report<")


@dataclass(frozen=True)
class Config:
    run_dir: Path
    models: tuple = ("baseline",)
    dataset: str = "glyphs"
    minutes: float | None = None


class StubChain:
    """Executes nothing: the executed copy of each notebook is the notebook with an output."""

    def __init__(self, run, notebooks, parameters, jobs, **_):
        self.run, self.notebooks = run, notebooks
        self.timings = {p.stem: 1.0 for p in notebooks}

    def run_all(self) -> list[Path]:
        executed = []
        for path in self.notebooks:
            nb = nbformat.read(path, as_version=4)
            for cell in nb.cells:
                if cell.cell_type == "code":
                    cell.outputs = [new_output("stream", name="stdout", text="ran\n")]
            out = notebook_with(self.run / "notebooks" / path.name, nb.cells)
            chain.write_html(nbformat.read(out, as_version=4), out.with_suffix(".html"),
                             hide_code=False)
            executed.append(out)
        return executed

    def provenance(self) -> dict:
        return {}

    def save_index(self) -> None:
        pass


def stub_report(executed, config, timings, *, author=None, course=None, analysis=None, **_):
    """The report with the real title page, the executed notebooks and the answers."""
    found = {"dataset": {"name": "glyphs"}, "metrics": []}
    cells = [new_markdown_cell(writeup.title_page(config, found, author=author,
                                                  course=course))]
    for path in executed:
        cells += nbformat.read(path, as_version=4).cells
    cells.append(new_markdown_cell(answers.section(analysis or [], author)))
    return new_notebook(cells=cells)


@pytest.fixture
def stubbed_chain(monkeypatch, private_project_dir):
    """`chain.run_chain` on the project's notebooks/ with the stages stubbed out: what it
    renders, and how, is the real thing."""
    monkeypatch.setattr(experiment, "load", lambda config: SimpleNamespace(x_test=[]))
    monkeypatch.setattr(estimate, "Workload", SimpleNamespace(of=lambda config, data: None))
    monkeypatch.setattr(chain, "Chain", StubChain)
    monkeypatch.setattr(chain, "announce_estimate", lambda *a: None)
    monkeypatch.setattr(chain, "report_notebook", stub_report)

    def render(name: str, author: str | None = None, course: str | None = None) -> Path:
        run = private_project_dir / "outputs" / name
        chain.run_chain(Config(run), {}, jobs=1, author=author, course=course)
        return run
    return render


def test_a_draft_is_refused_with_each_missing_item_and_how_to_add_it(
        stubbed_chain, private_project_dir):
    write_notebooks(private_project_dir / "notebooks", deploy="The baseline.")
    run = stubbed_chain("draft")
    assert all(MARK in p for p in pdf_pages(run / "report.pdf"))
    assert f'class="{submission.BANNER_CLASS}"' in (run / "report.html").read_text()
    with pytest.raises(submission.SubmissionRefused) as refused:
        submission.submit(run, None, None)
    assert refused.value.missing == [
        "your name", "the course", f'the answer to "{DESIGN}" (notebooks/11_your_network.ipynb)',
        "your own network is still the example"]
    lines = str(refused.value).splitlines()[1:]
    assert len(lines) == 4 and 'AUTHOR="Your Name"' in lines[0] and "COURSE=" in lines[1]
    assert "in the cell under the question" in lines[2] and submission.OWN_TAG in lines[3]
    assert not (run / "submission").exists()
    # The answers are given now, but this run's report was rendered without them.
    write_notebooks(private_project_dir / "notebooks", design="Mine.", deploy="The baseline.")
    with pytest.raises(submission.SubmissionRefused, match="rendered as a draft") as refused:
        submission.submit(run, "Ada Lovelace", "CS 101")
    assert 'make submission AUTHOR="Ada Lovelace" COURSE="CS 101"' in str(refused.value)


def test_a_final_report_is_handed_in_as_its_pdf_and_the_executed_notebooks(
        stubbed_chain, private_project_dir):
    write_notebooks(private_project_dir / "notebooks", design="Two convolutions suffice.",
                    deploy="The baseline.")
    run = stubbed_chain("final", author="Ada Lovelace", course="CS 101")
    assert not any("DRAFT" in p for p in pdf_pages(run / "report.pdf"))
    assert submission.BANNER_CLASS not in (run / "report.html").read_text()
    with pytest.raises(submission.SubmissionRefused, match='the author "Grace Hopper"'):
        submission.submit(run, "Grace Hopper", "CS 101")  # not the name on its title page
    handed, bundle = submission.submit(run, "Ada  Lovelace", "CS 101")
    assert handed == run / "submission" / "ada-lovelace.pdf"
    assert handed.read_bytes() == (run / "report.pdf").read_bytes()
    assert bundle == run / "submission" / "ada-lovelace-notebooks.zip"
    with zipfile.ZipFile(bundle) as archive:
        assert sorted(archive.namelist()) == [
            f"notebooks/{name}.{ext}" for name in ("11_your_network", "13_comparison")
            for ext in ("html", "ipynb")]
        executed = nbformat.reads(archive.read("notebooks/13_comparison.ipynb").decode(),
                                  as_version=4)
    assert executed.cells[1].outputs[0]["text"] == "ran\n"
    assert sorted(p.name for p in (run / "submission").iterdir()) == [
        "ada-lovelace-notebooks.zip", "ada-lovelace.pdf"]


def test_a_failed_hand_in_leaves_no_file_behind(stubbed_chain, private_project_dir,
                                                monkeypatch):
    write_notebooks(private_project_dir / "notebooks", design="Mine.", deploy="The baseline.")
    run = stubbed_chain("final", author="Ada", course="CS 101")

    def disk_full(self, *args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "write", disk_full)
    with pytest.raises(OSError, match="No space"):
        submission.submit(run, "Ada", "CS 101")
    assert list((run / "submission").iterdir()) == []


def test_the_command_line_checks_first_and_says_each_missing_item_on_a_line(
        private_project_dir, capsys):
    write_notebooks(private_project_dir / "notebooks", design="Mine.")
    assert submission.main(["--check", "--course", "CS 101"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("error: the report cannot be handed in yet")
    assert err[1:] == ['  - your name: add AUTHOR="Your Name" to make submission',
                       f'  - the answer to "{DEPLOY}" (notebooks/13_comparison.ipynb): write '
                       "it in the cell under the question, in place of the placeholder"]
    write_notebooks(private_project_dir / "notebooks", design="Mine.", deploy="The baseline.")
    assert submission.main(["--check", "--author", "Ada", "--course", "CS 101"]) == 0
    # No report rendered yet: the run has nothing to hand in.
    assert submission.main(["--author", "Ada", "--course", "CS 101"]) == 1
    assert "make report runs them" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_submission_checks_then_renders_the_report_with_the_same_parameters_then_packs():
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL")}
    shown = subprocess.run(  # -n: nothing is run, the report's sub-make only prints too
        ["make", "-n", "submission", "AUTHOR=Ada Lovelace", "COURSE=CS 101", "ABLATION=0",
         "DATASET=digits"], cwd=REPO, capture_output=True, text=True, env=env,
        check=True).stdout
    steps = ["-m helpers.report submit --check", "-m helpers.report \\\n",
             "-m helpers.report submit --author"]
    at = [shown.index(step) for step in steps]
    assert at == sorted(at), shown  # check, render, pack
    check, render, pack = shown[at[0]:at[1]], shown[at[1]:at[2]], shown[at[2]:]
    assert '--author "Ada Lovelace" --course "CS 101"' in check and "--no-ablation" in check
    assert '--dataset "digits"' in render and "--no-ablation" in render
    assert '--author "Ada Lovelace" --course "CS 101"' in render
    assert '--author "Ada Lovelace" --course "CS 101"' in pack
    help_text = subprocess.run(["make", "help"], cwd=REPO, capture_output=True, text=True,
                               env=env, check=True).stdout
    assert "make submission" in help_text
