"""Reuse the executed notebooks of an earlier run whose inputs have not changed.

A notebook's key (`notebook_key`) is a SHA-256 of what decides its results:
- its code cells (markdown is left out: a text edit re-renders the report without re-running);
- the parameters it declares, less `RUN_DIR` and those its metadata `helpers.ignores` names
  (the exploration notebook does not depend on `EPOCHS`, say), and the files under `DATA_DIR`
  by name, size and modification time;
- the source of `helpers` (`source_digest`), less the modules that only render the report or
  serve the command line and the web page (`RENDERING`): any other edit re-runs everything;
- the installed packages and Python's version, and the `OCR_*` and `ONEDNN_*` environment
  variables (precision and instruction set change the numbers);
- the keys of the notebooks whose outputs it reads (the chain says which: `upstream`).

A run that completes writes `reuse.json` into its folder: per notebook its key, how long it
ran, the run it ran in, and the files it wrote (its metadata `helpers.writes`: patterns under
the run folder) with their SHA-256. A later run looks each key up among the run folders in
outputs/, newest first (`find`); an entry whose files are missing or differ from their hashes
is passed over. `restore` copies the files and the executed notebook, with the markdown of the
notebook as it is now, into the new run; a copy that fails midway is removed again. A failed
run writes no `reuse.json`, so nothing of it is ever reused.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from helpers import paths
from helpers.data.cache import atomic_path, fingerprint
from helpers.data.download import sha256_of

INDEX = "reuse.json"
VERSION = 1
# Modules (under helpers/) that no notebook runs: editing them does not re-run the notebooks.
RENDERING = ("report/writeup.py", "report/layout.py", "report/pdf.py",
             "report/answers.py", "report/estimate.py", "report/training.py", "learn/speed.py",
             "report/chain.py", "report/console.py", "report/reuse.py", "report/__main__.py",
             "report/submission.py",
             "cli.py", "__main__.py", "web/")
ENVIRONMENT_PREFIXES = ("OCR_", "ONEDNN_")
NOT_PARAMETERS = ("RUN_DIR",)


def _sha(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def source_digest(root: Path | None = None) -> str:
    """SHA-256 of every file of the `helpers` package the notebooks may run (not RENDERING)."""
    root = root or Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root).as_posix()
        if "__pycache__" in relative or relative.startswith(RENDERING):
            continue
        h.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def environment_digest() -> str:
    """SHA-256 of Python's version, every installed package's version and the environment
    variables that change the numbers."""
    packages = sorted(f"{d.metadata['Name']}=={d.version}"
                      for d in importlib.metadata.distributions() if d.metadata["Name"])
    variables = sorted(f"{k}={v}" for k, v in os.environ.items()
                       if k.startswith(ENVIRONMENT_PREFIXES))
    return _sha(platform.python_version(), *packages, *variables)


def data_stamp(location: str | None) -> str:
    """The files under a data folder (or one file) by name, size and modification time."""
    if not location:
        return ""
    path = Path(location)
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return fingerprint(*files)


def metadata(notebook: Path | nbformat.NotebookNode) -> dict:
    nb = nbformat.read(notebook, as_version=4) if isinstance(notebook, Path) else notebook
    return nb.metadata.get("helpers", {})


def code_of(nb: nbformat.NotebookNode) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def notebook_key(notebook: Path, parameters: dict, upstream: list[str], common: str) -> str:
    """The key of one notebook (see the module's docstring); `common` is `source_digest()`
    and `environment_digest()` together, computed once per run."""
    nb = nbformat.read(notebook, as_version=4)
    ignored = set(metadata(nb).get("ignores", [])) | set(NOT_PARAMETERS)
    declared = {k: v for k, v in sorted(parameters.items()) if k not in ignored}
    return _sha(str(VERSION), common, json.dumps(code_of(nb)),
                json.dumps(declared, sort_keys=True, default=str),
                data_stamp(parameters.get("DATA_DIR")), *sorted(upstream))


@dataclass
class Entry:
    """What a complete run knows of one of its notebooks."""

    key: str
    seconds: float  # how long it ran when it was executed
    ran_in: str  # the run folder it was executed in
    files: dict[str, str] = field(default_factory=dict)  # run-relative path -> SHA-256


def written_files(run: Path, patterns: list[str]) -> list[Path]:
    return sorted({p for pattern in patterns for p in run.glob(pattern) if p.is_file()})


def describe(run: Path, notebook: Path, key: str, seconds: float, ran_in: str) -> Entry:
    """The entry of a notebook whose outputs are now in `run`: its executed copy and the
    files its `helpers.writes` patterns match, hashed."""
    files = [run / "notebooks" / notebook.name,
             *written_files(run, metadata(notebook).get("writes", []))]
    return Entry(key, seconds, ran_in,
                 {p.relative_to(run).as_posix(): sha256_of(p) for p in files})


def save(run: Path, entries: dict[str, Entry]) -> None:
    """Write the run's `reuse.json`; only a run that completed calls this."""
    with atomic_path(run / INDEX) as tmp:
        tmp.write_text(json.dumps({"version": VERSION,
                                   "notebooks": {k: asdict(e) for k, e in entries.items()}},
                                  indent=1))


def entries_of(run: Path) -> dict[str, Entry]:
    """A run's entries; none when its `reuse.json` is missing, damaged or of another version."""
    try:
        index = json.loads((run / INDEX).read_text())
        if index.get("version") != VERSION:
            return {}
        return {name: Entry(**e) for name, e in index["notebooks"].items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def runs(outputs: Path | None = None, *, besides: Path | None = None) -> list[Path]:
    """Run folders in outputs/ with a `reuse.json`, newest first (not `latest`, not `besides`)."""
    outputs = outputs or paths.outputs_dir()
    if not outputs.is_dir():
        return []
    found = [p for p in outputs.iterdir() if p.is_dir() and not p.is_symlink()
             and (p / INDEX).is_file() and (besides is None or p.resolve() != besides.resolve())]
    return sorted(found, key=lambda p: (p / INDEX).stat().st_mtime_ns, reverse=True)


def intact(run: Path, entry: Entry) -> bool:
    """Every file of the entry is present in `run` with the hash it was recorded with."""
    try:
        return all(sha256_of(run / name) == sha for name, sha in entry.files.items())
    except OSError:
        return False


def find(name: str, key: str, *, besides: Path) -> tuple[Path, Entry] | None:
    """The newest intact entry for notebook `name` with `key`, and the run holding it."""
    for run in runs(besides.parent, besides=besides):
        entry = entries_of(run).get(name)
        if entry is not None and entry.key == key and intact(run, entry):
            return run, entry
    return None


def with_current_text(executed: nbformat.NotebookNode,
                      source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The source notebook's cells (its markdown as it is now) with the outputs of the executed
    copy's code cells, which have the same code; papermill's injected cell kept in its place."""
    tags = lambda c: set(c.metadata.get("tags", []))  # noqa: E731
    injected = [c for c in executed.cells if "injected-parameters" in tags(c)]
    ran = iter([c for c in executed.cells
                if c.cell_type == "code" and "injected-parameters" not in tags(c)])
    cells, placed = [], False
    for cell in source.cells:
        if cell.cell_type != "code":
            cells.append(cell)
            continue
        old = next(ran)
        cells.append(nbformat.from_dict({**cell, "outputs": old.get("outputs", []),
                                         "execution_count": old.get("execution_count"),
                                         "metadata": {**old.metadata, **cell.metadata}}))
        if "parameters" in tags(cell) and not placed:
            cells += injected
            placed = True
    if not placed:
        cells[:0] = injected
    merged = nbformat.from_dict(dict(executed))
    merged.cells = cells
    return merged


def restore(source_run: Path, entry: Entry, run: Path, notebook: Path) -> bool:
    """Copy a notebook's files from `source_run` into `run` and write its executed copy with
    today's markdown. All or nothing: False, with nothing left behind, if any copy fails."""
    copied: list[Path] = []
    executed_name = f"notebooks/{notebook.name}"
    try:
        for name in entry.files:
            if name == executed_name:
                continue
            target = run / name
            with atomic_path(target) as tmp:
                shutil.copy2(source_run / name, tmp)
            copied.append(target)
        executed = nbformat.read(source_run / executed_name, as_version=4)
        merged = with_current_text(executed, nbformat.read(notebook, as_version=4))
        _renamed_run(merged, source_run, run)
        with atomic_path(run / executed_name) as tmp:
            nbformat.write(merged, tmp)
        copied.append(run / executed_name)
        return True
    except (OSError, ValueError, StopIteration, KeyError):
        for path in copied:
            path.unlink(missing_ok=True)
        return False


def _renamed_run(nb: nbformat.NotebookNode, old: Path, new: Path) -> None:
    """Papermill's record of the parameters names the run folder: name the new one."""
    old_dir, new_dir = str(old.resolve()), str(new.resolve())
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = cell.source.replace(old_dir, new_dir)
    parameters = nb.metadata.get("papermill", {}).get("parameters", {})
    if parameters.get("RUN_DIR") == old_dir:
        parameters["RUN_DIR"] = new_dir
