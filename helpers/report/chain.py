"""Run the notebook chain headless with papermill and render the report.

`python -m helpers.report --dataset glyphs` (what `make report` calls) executes every
`notebooks/NN_*.ipynb` in order into `outputs/<run>/notebooks/` (CNN notebooks only for the
chosen models), renders each to HTML, then puts the executed cells together with the chapters of
`helpers.report.writeup` into `outputs/<run>/report.html` (nbconvert, code hidden) and `report.pdf`
(xhtml2pdf), and points `outputs/latest` at the run. Before the first notebook it prints how long
the run will take at this machine's measured speed (`helpers.report.estimate`). A failing
notebook stops the chain; its partial copy is kept and no report is written for that run.

The chain runs in three stages (`stages`): preparation, the CNN notebooks, the results. Within
a stage no notebook reads another's output, so `--jobs` of them (default 2) run at a time, each
kernel's TensorFlow limited to its share of the cores; the next stage starts when all of one
have finished. A notebook an earlier complete run executed with the same key (code,
parameters, helpers, packages, what it reads: `helpers.report.reuse`) is copied from that run
instead, unless `--force`. The console shows one progress bar per running notebook and real
warnings; TensorFlow's and the kernels' start-up chatter is filtered out
(`helpers.report.console`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import papermill as pm
from nbconvert import HTMLExporter
from tqdm import tqdm

from helpers import colab, paths
from helpers.arguments import positive_float, positive_int, warnings_as_lines
from helpers.data import SOURCES
from helpers.data.cache import atomic_path
from helpers.errors import BundleError, ConfigError
from helpers.learn.hardware import SHARED_GPU
from helpers.report import answers, budget, estimate, kernel, reuse, submission
from helpers.report.console import filtered_stderr
from helpers.report.pdf import notebook_to_pdf

if TYPE_CHECKING:  # TensorFlow is imported once stderr is filtered (see main)
    from helpers.experiment import RunConfig

# The kernel papermill starts: the project's by default (it keeps TensorFlow's C++ start-up
# lines out of the cells); `--kernel python3` (or OCR_KERNEL=python3, which the lower-bounds
# check sets) runs the notebooks in Colab's or Jupyter's own.
KERNEL = os.environ.get("OCR_KERNEL") or kernel.NAME
# Environment variables TensorFlow reads at start-up for the sizes of its thread pools.
THREAD_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def notebooks_dir() -> Path:
    return paths.project_root() / "notebooks"


def notebooks_for(models: list[str] | None = None, *, ablation: bool = True) -> list[Path]:
    """The notebooks in the order their number prefix gives; CNN notebooks (`NN_cnn_<model>`)
    only for the chosen models, and the ablation unless it is left out."""
    chosen = sorted(notebooks_dir().glob("[0-9][0-9]_*.ipynb"))
    if not ablation:
        chosen = [p for p in chosen if not p.stem.endswith("_ablation")]
    if models is None:
        return chosen
    return [p for p in chosen if "_cnn_" not in p.stem or p.stem.split("_cnn_", 1)[1] in models]


def trains(notebook: Path) -> bool:
    """Whether a notebook trains networks (the CNN notebooks, and those whose metadata
    `helpers.stage` says "training"): they run in the training stage."""
    if "_cnn_" in notebook.stem:
        return True
    if not notebook.exists():
        return False
    meta = nbformat.read(notebook, as_version=4).metadata.get("helpers", {})
    return meta.get("stage") == "training"


def declared_parameters(notebook: Path) -> set[str]:
    return set(pm.inspect_notebook(str(notebook)))


def run_notebook(notebook: Path, out: Path, parameters: dict, *, label: str = "Executing",
                 position: int = 0, kernel_name: str = KERNEL) -> float:
    """Execute one notebook into `out` in the kernel `kernel_name` with a progress bar named
    `label` on line `position`; returns seconds taken."""
    wanted = declared_parameters(notebook)
    started = time.perf_counter()
    bar = {"desc": label, "position": position, "leave": False, "ncols": _bar_width()}
    # Every cell has run and the notebook is saved when the kernel is shut down, so it is
    # stopped at once: a graceful shutdown waits seconds on a busy machine, then interrupts it.
    pm.execute_notebook(str(notebook), str(out), kernel_name=kernel_name, progress_bar=bar,
                        cwd=str(notebooks_dir()), shutdown_kernel="immediate",
                        parameters={k: v for k, v in parameters.items() if k in wanted})
    return time.perf_counter() - started


def _bar_width() -> int | None:
    """The terminal's width (stderr goes through a pipe while the chain runs, so tqdm cannot
    measure it then); None lets tqdm choose where stderr is not a terminal."""
    columns = shutil.get_terminal_size((0, 0)).columns
    return min(columns, 120) if columns and sys.stderr.isatty() else None


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def stages(notebooks: list[Path]) -> list[list[Path]]:
    """The chain in stages that run one after the other: the notebooks before the first that
    trains (data, balancing, augmentation: each reads only the dataset), the ones that train
    (`trains`: each trains on the balanced set), and the ones after (each reads the networks'
    results). Within a stage the notebooks may run at the same time, except that one starts
    only after those whose results it `reads`."""
    training = [p for p in notebooks if trains(p)]
    if not training:
        return [notebooks] if notebooks else []
    first = notebooks.index(training[0])
    before = notebooks[:first]
    after = [p for p in notebooks[first:] if p not in training]
    return [group for group in (before, training, after) if group]


def reads(notebook: Path) -> set[str]:
    """The notebooks (by name, without `.ipynb`) whose saved results this one reads: its
    metadata `helpers.reads`. Within a stage it starts only after they have finished."""
    meta = nbformat.read(notebook, as_version=4).metadata.get("helpers", {})
    return set(meta.get("reads", []))


def longest_first(notebooks: list[Path], previous: dict[str, float]) -> list[Path]:
    """Notebooks that took longest in the previous run first (fewer idle workers at the end);
    in number order where there is no previous run."""
    return sorted(notebooks, key=lambda p: -previous.get(p.stem, 0.0))


def previous_timings() -> dict[str, float]:
    """How long each notebook took when it last ran (not when it was last reused)."""
    latest = paths.outputs_dir() / "latest"
    ran = {name: entry.seconds for name, entry in reuse.entries_of(latest).items()}
    if ran:
        return ran
    try:
        return json.loads((latest / "timings.json").read_text())
    except (OSError, ValueError):
        return {}


class NotebookFailed(Exception):
    pass


class Chain:
    """Runs the notebooks of one run folder, `jobs` at a time where `stages` allows it, and
    reuses those an earlier complete run executed with the same key (`helpers.report.reuse`)
    unless `force`, each in the kernel `kernel_name`."""

    def __init__(self, run: Path, notebooks: list[Path], parameters: dict, jobs: int, *,
                 force: bool = False, own: dict[str, dict] | None = None,
                 kernel_name: str = KERNEL):
        self.run, self.notebooks, self.parameters = run, notebooks, parameters
        self.kernel_name = kernel_name
        self.own = own or {}  # notebook -> parameters of its own (its MINUTES)
        self.jobs, self.force = max(1, jobs), force
        self.timings: dict[str, float] = {}
        self.number = {p: i for i, p in enumerate(notebooks, 1)}
        self.keys: dict[str, str] = {}
        self.entries: dict[str, reuse.Entry] = {}
        self.reused: dict[str, str] = {}  # notebook -> the run it was executed in
        self.found: dict[str, tuple[Path, reuse.Entry] | None] = {}  # `earlier`'s answers

    def parameters_of(self, notebook: Path) -> dict:
        wanted = declared_parameters(notebook)
        given = {**self.parameters, **self.own.get(notebook.stem, {})}
        return {k: v for k, v in given.items() if k in wanted}

    def upstream(self, notebook: Path, groups: list[list[Path]]) -> list[str]:
        """The keys of the notebooks whose outputs this one reads: those its metadata names
        (`reads`) and, for a notebook after the training stage, every notebook of that stage."""
        names = set(reads(notebook))
        place = next(i for i, group in enumerate(groups) if notebook in group)
        training = next((i for i, group in enumerate(groups) if any(map(trains, group))), None)
        if training is not None and place > training:
            names |= {p.stem for p in groups[training]}
        return [self.keys[name] for name in sorted(names) if name in self.keys]

    def reuse_earlier(self, notebook: Path) -> bool:
        """Copy the notebook's outputs from an earlier run with the same key, if there is one
        whose files are intact; False when it must run."""
        if self.force:
            return False
        found = self.earlier(notebook)
        if found is None or not reuse.restore(*found, self.run, notebook):
            return False
        entry = found[1]
        out = self.out(notebook)
        write_html(nbformat.read(out, as_version=4), out.with_suffix(".html"), hide_code=False)
        # The time it took where it ran: copying it says nothing about the notebook.
        self.timings[notebook.stem] = entry.seconds
        self.entries[notebook.stem] = reuse.Entry(entry.key, entry.seconds, entry.ran_in)
        self.reused[notebook.stem] = entry.ran_in
        tqdm.write(f"{self.label(notebook)}  reused from {entry.ran_in} (ran "
                   f"{entry.seconds:.0f} s there)", file=sys.stderr)
        return True

    def provenance(self) -> dict[str, str]:
        """Per notebook, "ran" or "reused from <run>", in notebook order."""
        return {p.stem: f"reused from {self.reused[p.stem]}" if p.stem in self.reused else "ran"
                for p in self.notebooks}

    def save_index(self) -> None:
        """Record every notebook's key and files for later runs (call once the run is done)."""
        reuse.save(self.run, {
            p.stem: reuse.describe(self.run, p, self.keys[p.stem], self.entries[p.stem].seconds,
                                   self.entries[p.stem].ran_in) for p in self.notebooks})

    def out(self, notebook: Path) -> Path:
        return self.run / "notebooks" / notebook.name

    def label(self, notebook: Path) -> str:
        return f"[{self.number[notebook]}/{len(self.notebooks)}] {notebook.name}"

    def execute(self, notebook: Path, position: int) -> None:
        out = self.out(notebook)
        try:
            seconds = run_notebook(notebook, out, self.parameters_of(notebook),
                                   label=self.label(notebook), position=position,
                                   kernel_name=self.kernel_name)
        except pm.PapermillExecutionError as e:
            raise NotebookFailed(f"{notebook.name} failed in {failed_cell(out)}: {e.ename}: "
                                 f"{e.evalue}\npartially executed copy kept at {out}") from None
        self.timings[notebook.stem] = seconds
        self.entries[notebook.stem] = reuse.Entry(self.keys.get(notebook.stem, ""), seconds,
                                                  self.run.name)
        write_html(nbformat.read(out, as_version=4), out.with_suffix(".html"), hide_code=False)
        tqdm.write(f"{self.label(notebook)}  {seconds:.0f} s", file=sys.stderr)

    def run_stage(self, group: list[Path]) -> None:
        if len(group) == 1 or self.jobs == 1:
            for notebook in group:
                self.execute(notebook, 0)
            return
        # With a time budget each notebook takes about its share: the largest go first.
        waiting = (sorted(group, key=lambda p: -self.own[p.stem]["MINUTES"])
                   if all(p.stem in self.own for p in group)
                   else longest_first(group, previous_timings()))
        jobs = min(self.jobs, len(waiting))
        free, running, failures = list(range(jobs)), {}, []
        with thread_share(cpu_count(), jobs), ThreadPoolExecutor(jobs) as pool:
            while running or (waiting and not failures):
                while free and waiting and not failures:
                    busy = {p.stem for p in waiting} | {n.stem for n, _ in running.values()}
                    ready = [p for p in waiting if not reads(p) & busy]
                    if not ready and running:
                        break  # what the next one reads is still being made
                    notebook, position = (ready or waiting)[0], free.pop(0)
                    waiting.remove(notebook)
                    running[pool.submit(self.execute, notebook, position)] = (notebook, position)
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    notebook, position = running.pop(future)
                    free.append(position)
                    if future.exception() is not None:
                        failures.append((self.number[notebook], future.exception()))
        if failures:  # the ones already running were let finish; none was started after
            raise min(failures, key=lambda f: f[0])[1]

    def key_all(self) -> None:
        """Every notebook's key: what decides its results, known before any of them runs."""
        groups = stages(self.notebooks)
        common = reuse.source_digest() + reuse.environment_digest()
        for group in groups:
            for notebook in group:  # in number order: what one reads is keyed before it
                self.keys[notebook.stem] = reuse.notebook_key(
                    notebook, self.parameters_of(notebook), self.upstream(notebook, groups),
                    common)

    def earlier(self, notebook: Path) -> tuple[Path, reuse.Entry] | None:
        """The earlier run that executed the notebook with the same key, and its entry; looked
        up (every file hashed) once per notebook."""
        if not self.keys:
            self.key_all()
        if notebook.stem not in self.found:
            self.found[notebook.stem] = reuse.find(notebook.stem, self.keys[notebook.stem],
                                                   besides=self.run)
        return self.found[notebook.stem]

    def will_run(self, notebook: Path) -> bool:
        """Whether the notebook must run: no earlier run executed it with the same key."""
        return self.force or self.earlier(notebook) is None

    def run_all(self) -> list[Path]:
        (self.run / "notebooks").mkdir(parents=True, exist_ok=True)
        if not self.keys:
            self.key_all()
        for group in stages(self.notebooks):
            left = [p for p in group if not self.reuse_earlier(p)]
            if left:
                self.run_stage(left)
        return [self.out(p) for p in self.notebooks]


def failed_cell(path: Path) -> str:
    """Which code cell of the source notebook raised, counted as the user sees it there."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"
            and "injected-parameters" not in c.metadata.get("tags", [])]
    for i, cell in enumerate(code, 1):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            first_line = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
            return f"code cell {i} ({first_line[:60]!r})"
    return "an unknown cell"


def _demoted(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Notebook titles become report sections: every markdown heading one level down."""
    if cell.cell_type == "markdown":
        cell = nbformat.from_dict(dict(cell))
        cell.source = re.sub(r"^(#+) ", r"#\1 ", cell.source, flags=re.MULTILINE)
    return cell


# TensorFlow's C++ start-up log lines ("I0000 00:00:... port.cc] oneDNN ...") go to stderr before
# its log level is read; they say nothing about the run, so the report leaves them out.
TF_LOG_LINE = re.compile(r"^([IWEF]\d{4} [\d:.]+ +\d+ \S+\] |WARNING: All log messages before "
                         r"absl::InitializeLog\(\) is called)")


def _without_tf_logs(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    if cell.cell_type != "code":
        return cell
    cell = nbformat.from_dict(dict(cell))
    outputs = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            kept = [line for line in out["text"].splitlines(keepends=True)
                    if not TF_LOG_LINE.match(line)]
            if not "".join(kept).strip():
                continue
            out = nbformat.from_dict({**out, "text": "".join(kept)})
        outputs.append(out)
    cell.outputs = outputs
    return cell


# The tag of the cells the write-up's main body shows; a CNN notebook's other cells go to the
# appendix, the other notebooks' stay in the executed notebooks handed in beside the report.
MAIN = "main"
# What the report never shows: parameters, closing summaries (the discussion says them), the
# network listings (the appendix gathers them: `writeup.networks`), the training cells (the
# method says how each network trained: `writeup.training_parameters`), the exercises, the
# instructions to the student, the student's answers (the discussion gathers them:
# `helpers.report.answers`), and the Colab link and setup (`helpers.colab`).
NEVER = {"parameters", "injected-parameters", "listing", "summary", "exercises", "question",
         "training", "instructions", answers.TAG, colab.TAG}


def _body(path: Path, *, main: bool = True) -> list[nbformat.NotebookNode]:
    """A notebook's cells for the report: those tagged `MAIN` (`main`), or the others (not
    `main`), never those tagged in `NEVER`; headings one level down, TensorFlow's start-up
    lines left out."""
    nb = nbformat.read(path, as_version=4)
    return [_without_tf_logs(_demoted(c)) for c in nb.cells
            if not NEVER & set(tags := c.metadata.get("tags", [])) and (MAIN in tags) == main]


def report_text(cells: list[nbformat.NotebookNode]) -> str:
    """What a reader of the report reads: the markdown cells and the text and markdown the code
    cells put out (the code itself is hidden)."""
    parts = []
    for cell in cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            parts.append(output.get("text", "") or data.get("text/markdown", "")
                         or data.get("text/html", ""))
    return "\n".join(p if isinstance(p, str) else "".join(p) for p in parts)


def report_notebook(executed: list[Path], config: RunConfig, timings: dict[str, float], *,
                    wall: float | None = None, jobs: int = 1,
                    provenance: dict[str, str] | None = None, author: str | None = None,
                    course: str | None = None,
                    analysis: list[answers.Answer] | None = None) -> nbformat.NotebookNode:
    """The write-up: generated chapters around the executed notebooks' cells tagged `MAIN`
    (code included here, hidden when rendered), with the student's `analysis` in the
    discussion; each network's own cells (its layers, curves, classification report,
    confusion matrix, ROC curves, mistakes) and code in the appendix."""
    from helpers.report import layout, writeup

    found = writeup.facts(config)
    md = nbformat.v4.new_markdown_cell
    # The notebooks before the first that trains are the method; of the rest, the comparison
    # opens the results, then the ablation and what follows it; each network's notebook (those
    # that train, but the ablation) is an appendix section.
    first = next((i for i, p in enumerate(executed) if trains(p)), len(executed))
    method = executed[:first]
    networks = [p for p in executed[first:] if trains(p) and not _ablation(p)]
    results = sorted((p for p in executed[first:] if p not in networks),
                     key=lambda p: "comparison" not in p.stem)  # stable: otherwise in order
    cells = [md(writeup.title_page(config, found, author=author, course=course)),
             md(writeup.abstract(found)),
             md(writeup.introduction(config, found)), md(writeup.methodology_opening())]
    for path in method:
        cells += _body(path)
    cells += [md(writeup.architectures(config, found)),
              md(writeup.training_parameters(config, found)), md(writeup.evaluation()),
              md(writeup.results_opening())]
    for path in results:
        cells += _body(path)
    cells.append(md(writeup.discussion(found, config.seeds)))
    if analysis:
        cells.append(md(answers.section(analysis, author)))
    cells.append(md(writeup.conclusion(found, config.balance)))
    appendix = [md(writeup.appendix_opening(config, found))]
    for path in networks:
        appendix += _body(path, main=False)
    appendix += [md(writeup.networks(config, found)),
                 md(writeup.appendix(config, timings, wall=wall, jobs=jobs,
                                     provenance=provenance))]
    cells += [md(writeup.references(report_text(cells + appendix))), *appendix]
    cells, labels = layout.captions(cells)
    cells = layout.number_sections(layout.refer(cells, labels))
    cells.insert(2, layout.contents(cells))  # after the title page and the abstract
    report = nbformat.v4.new_notebook(cells=cells)
    report.metadata = nbformat.read(executed[0], as_version=4).metadata
    return report


def _ablation(notebook: Path) -> bool:
    return notebook.stem.endswith("_ablation")


def write_html(nb: nbformat.NotebookNode, path: Path, *, hide_code: bool) -> None:
    html, _ = HTMLExporter(exclude_input=hide_code, exclude_input_prompt=True,
                           exclude_output_prompt=True).from_notebook_node(nb)
    with atomic_path(path) as tmp:
        tmp.write_text(html, encoding="utf-8")


def point_latest(run: Path) -> None:
    latest = run.parent / "latest"
    tmp = run.parent / ".latest.tmp"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(run.name, target_is_directory=True)
    os.replace(tmp, latest)


@contextmanager
def thread_share(cpus: int, jobs: int):
    """While several kernels train at once, each one's TensorFlow gets `cpus // jobs` threads
    (unless the caller set them): more threads than cores only make them wait for each other.
    Kernels copy the environment when they start."""
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, str(max(1, cpus // jobs)))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def time_plan(minutes: float, chosen: list[Path], jobs: int, test_images: int,
              weights: dict[str, float] | None = None) -> budget.Plan:
    """MINUTES= shared out among the training notebooks, after the rest of the run's time
    (estimated from the dataset's test images and the networks), in proportion to `weights`
    where given."""
    training = [p for p in chosen if trains(p)]
    networks = sum(1 for p in training if not p.stem.endswith("_ablation"))
    return budget.plan(minutes, training, jobs, budget.other_stages(networks, test_images),
                       weights=weights)


def share_weights(chosen: list[Path], work: estimate.Workload,
                  jobs: int) -> dict[str, float] | None:
    """Each training notebook's seconds per epoch at this machine's measured speed, so that a
    budget shared in proportion gives every network time for about the same epochs; None (the
    notebooks' own weights) when a network cannot be timed."""
    training = [p for p in chosen if trains(p)]
    own = next((p for p in training if estimate.network_of(p) == estimate.OWN), None)
    try:
        return estimate.epoch_weights(training, work, jobs, cpu_count(), own=own)
    except (subprocess.CalledProcessError, OSError, ValueError, KeyError) as e:
        print(f"warning: the budget is shared equally: no network speeds ({type(e).__name__}: "
              f"{e})", file=sys.stderr)
        return None


def announce_estimate(steps: Chain, work: estimate.Workload, plan: budget.Plan | None) -> None:
    """Before the first notebook: how long the run will take at this machine's measured speed
    (`helpers.report.estimate`), printed and written to `estimate.json`. Only the training
    notebooks that will run count; a failure to measure (a network that does not build, say)
    is a line, not the end of the run: the notebook will say what is wrong."""
    running = [p for p in steps.notebooks if trains(p) and steps.will_run(p)]
    if not running:
        print("estimate: every training notebook is reused from an earlier run", file=sys.stderr)
        return
    own = next((p for p in running if estimate.network_of(p) == estimate.OWN), None)
    try:
        found, offered = estimate.estimate(running, work, steps.jobs, cpu_count(), plan=plan,
                                           own=own)
    except (subprocess.CalledProcessError, OSError, ValueError, KeyError) as e:
        print(f"warning: no estimate of the run's time ({type(e).__name__}: {e})",
              file=sys.stderr)
        return
    with atomic_path(steps.run / "estimate.json") as tmp:
        tmp.write_text(json.dumps(found.as_dict(), indent=1))
    for line in found.lines(offered):
        print(line, file=sys.stderr, flush=True)


def run_chain(config: RunConfig, parameters: dict, jobs: int = 2, ablation: bool = True,
              force: bool = False, author: str | None = None,
              course: str | None = None, minutes: float | str | None = None,
              kernel_name: str = KERNEL) -> Path:
    """Run the notebooks and render the report. `minutes`: the run's time budget; `DEFAULT`,
    the time for up to `DEFAULT_EPOCHS` epochs of every network at this machine's speed
    (`default_minutes`); None, no time limit (EPOCHS= decides)."""
    from helpers import experiment

    run = config.run_dir
    chosen = notebooks_for(list(config.models), ablation=ablation)
    if not chosen:
        raise SystemExit(f"no notebooks named NN_*.ipynb in {notebooks_dir()}")
    started = time.perf_counter()
    own, shared = {}, None
    run.mkdir(parents=True, exist_ok=True)
    try:
        dataset = experiment.load(config)
    except BundleError as e:
        raise SystemExit(f"error: {e}") from None
    work = estimate.Workload.of(config, dataset)
    default_key = default_budget_key(chosen, parameters, jobs) if minutes == DEFAULT else None
    earlier = earlier_default(default_key) if default_key else None
    weights = (share_weights(chosen, work, jobs) if minutes is not None and earlier is None
               else None)
    if earlier is not None:
        minutes, shared = earlier.minutes, earlier
        print(f"every network trains until its validation accuracy stops improving, within "
              f"its share of {minutes:g} minutes: the default budget of an earlier run with "
              "the same notebooks, parameters, helpers and packages (MINUTES= gives another "
              "time)", file=sys.stderr, flush=True)
    elif minutes == DEFAULT:
        minutes = default_minutes(chosen, work, jobs, weights)
        print(f"every network trains until its validation accuracy stops improving, within "
              f"its share of {minutes:g} minutes: the default here, time for up to "
              f"{DEFAULT_EPOCHS} epochs of each at this machine's speed (MINUTES= gives "
              "another time, EPOCHS= a number of epochs instead)", file=sys.stderr, flush=True)
    if minutes is not None and any(map(trains, chosen)):
        shared = shared or time_plan(minutes, chosen, jobs, len(dataset.x_test), weights)
        own = {name: {"MINUTES": m} for name, m in shared.training_minutes.items()}
        record = shared.as_dict()
        if default_key:  # exactly, so that a later run can reuse the notebooks it keys
            record["default"] = {"key": default_key, **asdict(shared)}
        (run / "budget.json").write_text(json.dumps(record, indent=1))
        print(budget_line(shared), file=sys.stderr, flush=True)
    steps = Chain(run, chosen, parameters, jobs, force=force, own=own, kernel_name=kernel_name)
    announce_estimate(steps, work, shared)
    del dataset
    try:
        executed = steps.run_all()
    except NotebookFailed as e:
        raise SystemExit(str(e)) from None
    wall = time.perf_counter() - started
    timings = {p.stem: steps.timings[p.stem] for p in chosen}  # in notebook order
    (run / "timings.json").write_text(json.dumps(timings, indent=2))
    analysis = answers.read(chosen)  # from notebooks/: an answer is prose and re-runs nothing
    report = report_notebook(executed, replace(config, minutes=minutes), timings, wall=wall,
                             jobs=jobs,
                             provenance=steps.provenance(), author=author, course=course,
                             analysis=analysis)
    draft = submission.draft(author, course, analysis, run / "notebooks")  # None: final
    write_html(submission.marked(report, draft), run / "report.html", hide_code=True)
    notebook_to_pdf(report, run / "report.pdf", title="Character recognition with CNNs",
                    draft=draft)
    steps.save_index()  # only now: a run that failed leaves nothing to reuse
    point_latest(run)
    if (left := answers.warning(analysis)) is not None:
        print(left, file=sys.stderr)
    return run / "report.html"


# Without MINUTES= or EPOCHS=, each network trains until its validation accuracy stops
# improving, within a budget that gives every network time for up to DEFAULT_EPOCHS epochs at
# this machine's measured speed, a margin over the epochs early stopping needs (and over the
# estimate's error); without the speeds, FALLBACK_MINUTES.
DEFAULT = "default"
DEFAULT_EPOCHS = 25
FALLBACK_MINUTES = 20.0


def default_minutes(chosen: list[Path], work: estimate.Workload, jobs: int,
                    weights: dict[str, float] | None) -> float:
    """The default budget, in whole minutes: the rest of the run, then every training
    notebook's `DEFAULT_EPOCHS` epochs (at the seconds per epoch `weights` gives) and its time
    outside training, `jobs` at a time."""
    training = [p for p in chosen if trains(p)]
    if weights is None or not training:
        return FALLBACK_MINUTES
    networks = sum(1 for p in training if not p.stem.endswith("_ablation"))
    lanes = max(1, min(jobs, len(training)))
    stage = sum(DEFAULT_EPOCHS * weights[p.stem] + budget.OVERHEAD for p in training) / lanes
    return float(math.ceil((budget.other_stages(networks, work.test_images) + stage) / 60))


def default_budget_key(chosen: list[Path], parameters: dict, jobs: int) -> str:
    """What the default budget depends on besides the machine's speed: the notebooks, the
    parameters, the jobs and cores, `helpers` and the packages. A later run with the same key
    takes the earlier run's budget rather than measuring the speed again, since a budget a few
    seconds different would give every training notebook another MINUTES and re-run it."""
    given = {k: v for k, v in parameters.items() if k not in reuse.NOT_PARAMETERS}
    text = json.dumps({"notebooks": [p.name for p in chosen], "parameters": given,
                       "jobs": jobs, "cpus": cpu_count()}, sort_keys=True, default=str)
    return hashlib.sha256("\0".join([text, reuse.source_digest(),
                                     reuse.environment_digest()]).encode()).hexdigest()


def earlier_default(key: str) -> budget.Plan | None:
    """The default budget of the newest complete run (one with its reuse index) whose
    `default_budget_key` was `key`; None when there is none."""
    runs = sorted((p for p in paths.outputs_dir().glob("*/budget.json")
                   if (p.parent / reuse.INDEX).exists() and not p.parent.is_symlink()),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for path in runs:
        try:
            saved = json.loads(path.read_text()).get("default") or {}
            if saved.get("key") == key:
                return budget.Plan(saved["minutes"], saved["lanes"], saved["training_stage"],
                                   saved["training_minutes"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


def budget_line(shared: budget.Plan) -> str:
    each = sorted(shared.training_minutes.values())
    spread = (f"{each[0]:.1f} min" if each[0] == each[-1]
              else f"{each[0]:.1f}-{each[-1]:.1f} min")
    return (f"time budget {shared.minutes:g} min: {shared.training_stage / 60:.1f} min of "
            f"training, {shared.lanes} notebook{'s' if shared.lanes != 1 else ''} at a time, "
            f"{spread} of training each ({len(each)} notebooks)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.report",
        description="Execute the notebooks in notebooks/ in order and render the report into "
                    "outputs/<run>/ (also reachable as outputs/latest). Before the first "
                    "notebook it says how long the run will take at this machine's measured "
                    "speed, and what --minutes would give.")
    parser.add_argument("--dataset", default="glyphs", choices=sorted(SOURCES),
                        help="dataset to use (default: glyphs, built in and offline)")
    parser.add_argument("--data-dir", help="folder (EMNIST/MNIST) or file/folder (az-csv, folder) "
                                           "holding the data")
    parser.add_argument("--epochs", type=positive_int,
                        help="at most this many epochs per network (default: until its "
                             "validation accuracy stops improving, within --minutes)")
    parser.add_argument("--limit", type=positive_int,
                        help="use a stratified sample of this many images")
    parser.add_argument("--seed", type=int, default=0, help="seed for every random choice")
    parser.add_argument("--seeds", type=positive_int,
                        help="train each network this many times (seeds SEED, SEED+1, …) and "
                             "report the mean ± standard deviation (default 1)")
    parser.add_argument("--models", help="comma-separated architecture names")
    parser.add_argument("--balance", help="nearmiss, class-weights or none")
    parser.add_argument("--minutes", type=positive_float, metavar="M",
                        help="finish in about M minutes: the training notebooks share what the "
                             "rest of the run leaves (in proportion to each network's measured "
                             "time per epoch); each network trains until its validation "
                             "accuracy stops improving or its share ends (default without "
                             f"--epochs: time for up to {DEFAULT_EPOCHS} epochs of each network "
                             "at this machine's measured speed; with --epochs and no --minutes, "
                             "no time limit)")
    parser.add_argument("--download", action="store_true",
                        help="download the dataset (EMNIST splits, MNIST) into --data-dir or "
                             "data/raw/<source> first when it is not there, checked by SHA-256")
    parser.add_argument("--out", type=Path, help="run folder (default outputs/<time>-<dataset>)")
    parser.add_argument("--no-ablation", dest="ablation", action="store_false",
                        help="leave out the ablation notebook (balancing and augmentation "
                             "measured on one fast network)")
    parser.add_argument("--force", action="store_true",
                        help="run every notebook, even those an earlier run executed with the "
                             "same code, parameters, helpers and packages (by default those "
                             "are reused from it)")
    parser.add_argument("--author", help="your name, for the report's title page (shown as a "
                                          "placeholder when not given)")
    parser.add_argument("--course", help="the course the report is handed in for, for its "
                                         "title page")
    parser.add_argument("--kernel", default=KERNEL, metavar="NAME",
                        help=f"the Jupyter kernel that runs the notebooks (default: {KERNEL}, "
                             "which keeps TensorFlow's C++ start-up lines out of the cells; "
                             "python3 on Colab or in a Jupyter without it)")
    parser.add_argument("--jobs", type=positive_int, default=min(2, cpu_count()),
                        help="notebooks run at once within a stage, each with its share of the "
                             "cores (default: 2, or 1 on a single core)")
    return parser.parse_args(argv)


def fetch(dataset: str, data_dir: str | None) -> None:
    """`--download`: the dataset's files into `data_dir` (or its default folder) when they are
    not there, with a progress bar and checksum; a dataset with nothing to download is an
    error that says so."""
    from helpers.data import dataset_options, load_dataset

    if "download" not in dataset_options(dataset):
        downloadable = ", ".join(n for n in sorted(SOURCES) if "download" in dataset_options(n))
        raise ConfigError(f"DOWNLOAD=1: {dataset} is not downloaded (it is built in or read "
                          f"from your own files); the datasets it fetches: {downloadable}")
    load_dataset(dataset, data_dir=data_dir, download=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The kernels inherit this: TensorFlow's start-up chatter would fill the report otherwise.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # And this: two notebooks training at once share a GPU only if neither takes all of its
    # memory when it starts (this process's TensorFlow included).
    for name, value in SHARED_GPU.items():
        os.environ.setdefault(name, value)
    with filtered_stderr(), warnings_as_lines():
        return _main(args)


def _main(args: argparse.Namespace) -> int:
    from helpers.experiment import RunConfig  # imports TensorFlow

    # The notebooks run inside notebooks/, so a relative location is resolved here, against the
    # folder the command was started in.
    data_dir = str(Path(args.data_dir).expanduser().resolve()) if args.data_dir else None
    parameters = {"DATASET": args.dataset, "DATA_DIR": data_dir, "EPOCHS": args.epochs,
                  "LIMIT": args.limit, "SEED": args.seed, "MODELS": args.models,
                  "BALANCE": args.balance, "SEEDS": args.seeds}
    if args.minutes is None and args.epochs is None:
        args.minutes = DEFAULT  # measured on this machine before the first notebook
    parameters = {k: v for k, v in parameters.items() if v is not None}
    run = args.out or paths.outputs_dir() / f"{datetime.now():%Y%m%d-%H%M%S}-{args.dataset}"
    parameters["RUN_DIR"] = str(run.resolve())
    try:
        config = RunConfig.from_parameters(**parameters)
    except BundleError as e:
        raise SystemExit(f"error: {e}") from None
    if args.download:
        try:
            fetch(args.dataset, data_dir)
        except BundleError as e:
            raise SystemExit(f"error: {e}") from None
    if args.kernel == kernel.NAME:  # a spec from before kept TensorFlow's C++ lines in the cells
        kernel.ensure()
    started = time.perf_counter()
    report = run_chain(config, parameters, jobs=args.jobs, ablation=args.ablation,
                       force=args.force, author=args.author, course=args.course,
                       minutes=args.minutes, kernel_name=args.kernel)
    print(f"report: {report} ({time.perf_counter() - started:.0f} s)")
    return 0

