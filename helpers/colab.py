"""Google Colab: every notebook's first two cells, the README's links, and the install.

Colab opens one notebook from GitHub without the rest of the repository. Its first code cell
(`SETUP`) clones the repository into /content/<name> once per session, runs
`python -m helpers.colab install`, puts the checkout on `sys.path` and works in its
`notebooks/` folder; anywhere else it does nothing. `install` keeps what Colab's runtime is
built on (`KEPT`: TensorFlow, Keras, numpy, pandas and the Jupyter packages, those installed)
at the versions installed: pip gets them as constraints, and the bundle's TensorFlow
requirement is read as one on the TensorFlow distribution already there (Colab's `tensorflow`,
not the `tensorflow-cpu` a Linux install would add beside it).

`python -m helpers.colab links [--repo owner/name]` writes the cells and the README's table
from the repository address in pyproject.toml (`[project.urls] Repository`); with `--repo` it
sets that address first, so a fork re-points every link with one command
(`make colab-links REPO=owner/name`).

Standard library only: Colab runs this module from the fresh clone before anything is installed.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What Colab's runtime is built on, and google-colab's own pins that the bundle's requirements
# could move: installed ones stay at their version.
KEPT = ("tensorflow", "tensorflow-cpu", "keras", "numpy", "pandas", "ipykernel", "ipython",
        "jupyter-client", "notebook", "tornado", "requests")
# Distributions that all install the `tensorflow` package: only one may be installed.
TENSORFLOW = ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-intel",
              "tensorflow-macos")
TAG = "colab"
CONTENT = "/content"  # where Colab keeps a session's files
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
README_START, README_END = "<!-- colab-links: start -->", "<!-- colab-links: end -->"

LINK = """\
[![Open In Colab]({badge})]({url})

On Google Colab the next cell fetches the bundle and installs what it needs (Colab's own
TensorFlow, numpy and pandas stay as they are); anywhere else it does nothing."""

SETUP = """\
# On Google Colab only (anywhere else this cell does nothing): once per session, clone the
# bundle into CHECKOUT and install what it needs beside Colab's own TensorFlow, numpy and
# pandas (`helpers.colab.setup`); the notebook then runs as it does on your machine. Its
# results go to CHECKOUT/outputs, which Colab deletes when the session ends: download that
# folder (or copy it to Google Drive) to keep them.
import os
import subprocess
import sys

if "google.colab" in sys.modules:
    REPOSITORY = "{repository}"
    CHECKOUT = "{checkout}"
    if not os.path.isdir(CHECKOUT):
        clone = subprocess.run(["git", "clone", "--depth=1", REPOSITORY, CHECKOUT],
                               capture_output=True, text=True)  # Colab shows no child's output
        if clone.returncode:
            raise RuntimeError(f"could not clone {{REPOSITORY}}:\\n{{clone.stderr}}")
    if CHECKOUT not in sys.path:  # the running kernel never reads the editable install's .pth
        sys.path.insert(0, CHECKOUT)
    from helpers import colab

    colab.setup(CHECKOUT)"""


def setup(checkout: str | Path) -> None:
    """The setup cell's work once the checkout is there: install the bundle when it is not
    installed (pip's output shown in the cell as it comes), stop when that replaced a package
    the session had already imported, and work in the checkout's notebooks/ folder."""
    checkout = Path(checkout)
    try:
        metadata.version(project(checkout)["name"])
    except metadata.PackageNotFoundError:
        before = versions()
        if install(checkout) != 0:
            raise RuntimeError("the bundle was not installed: pip's messages are above") from None
        importlib.invalidate_caches()  # the packages just installed are importable at once
        refuse_stale(before)
    os.chdir(checkout / "notebooks")


def running() -> bool:
    """Whether this Python runs on Colab: its kernel has imported `google.colab`, or (a command
    started from a cell) the package is installed."""
    if "google.colab" in sys.modules:
        return True
    try:
        return importlib.util.find_spec("google.colab") is not None
    except (ImportError, ValueError):
        return False


def versions() -> dict[str, str]:
    """Every installed distribution's version, by normalised name."""
    return {normalized(d.metadata["Name"]): d.version for d in metadata.distributions()
            if d.metadata["Name"]}


def stale(before: dict[str, str], after: dict[str, str],
          imported: Sequence[str], provides: dict[str, list[str]]) -> list[str]:
    """The distributions whose version changed between `before` and `after` while one of their
    modules (`provides`: module -> distributions) was already `imported`: this kernel still
    runs the old code beside the new files."""
    changed = {name for name, version in after.items()
               if name in before and before[name] != version}
    found = {normalized(d) for module in imported if "." not in module
             for d in provides.get(module, ()) if normalized(d) in changed}
    return sorted(f"{name} {before[name]} → {after[name]}" for name in found)


def refuse_stale(before: dict[str, str]) -> None:
    """Stop the setup cell when the install replaced a package this kernel had imported (Colab
    imports some, e.g. matplotlib, when the session starts): the old modules would run beside
    the new files. A restarted session finds the bundle installed and imports the new ones."""
    replaced = stale(before, versions(), list(sys.modules), metadata.packages_distributions())
    if replaced:
        raise RuntimeError(
            f"the install replaced {', '.join(replaced)}, which this session had already "
            "imported. Restart the session (Runtime → Restart session) and run the notebook "
            "again from the top; the bundle stays installed.")


# --- the links -------------------------------------------------------------------------------


def project(root: Path = ROOT) -> dict:
    return tomllib.loads((root / "pyproject.toml").read_text())["project"]


def repository(root: Path = ROOT) -> str:
    """The repository's address: pyproject.toml's `[project.urls] Repository`."""
    url = project(root).get("urls", {}).get("Repository")
    if not url:
        raise SystemExit(f"error: {root / 'pyproject.toml'} has no [project.urls] Repository")
    return url.rstrip("/").removesuffix(".git")


def owner_and_name(url: str) -> str:
    """`owner/name` of a GitHub address."""
    match = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+)", url)
    if not match:
        raise SystemExit(f"error: the repository {url!r} is not https://github.com/<owner>/<name>; "
                         "Colab opens notebooks from GitHub")
    return match.group(1)


def colab_url(url: str, notebook: str) -> str:
    return (f"https://colab.research.google.com/github/{owner_and_name(url)}/blob/main/"
            f"notebooks/{notebook}")


def checkout(url: str) -> str:
    """Where the setup cell clones the repository on Colab."""
    return f"{CONTENT}/{owner_and_name(url).split('/')[1]}"


def first_cells(url: str, notebook: str) -> list[dict]:
    """The two cells every notebook opens with: the Colab link, then the setup (`SETUP`)."""
    link = LINK.format(badge=BADGE, url=colab_url(url, notebook))
    setup = SETUP.format(repository=url, checkout=checkout(url))
    tags = {"tags": [TAG]}
    return [{"cell_type": "markdown", "id": "colab-link", "metadata": tags, "source": lines(link)},
            {"cell_type": "code", "execution_count": None, "id": "colab-setup", "metadata": tags,
             "outputs": [], "source": lines(setup)}]


def lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def write_notebook(path: Path, url: str) -> bool:
    """Put the Colab cells first in a notebook, replacing those it has; True when it changed.
    Written as nbformat writes it, so that an unchanged notebook stays byte for byte."""
    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    kept = [c for c in nb["cells"] if TAG not in c.get("metadata", {}).get("tags", [])]
    nb["cells"] = first_cells(url, path.name) + kept
    new = json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def readme_table(url: str, notebooks: Sequence[str]) -> str:
    rows = [f"| `{Path(n).stem}` | [![Open In Colab]({BADGE})]({colab_url(url, n)}) |"
            for n in notebooks]
    return "\n".join(["| notebook | on Colab |", "|---|---|", *rows])


def write_readme(path: Path, url: str, notebooks: Sequence[str]) -> bool:
    """The table of Colab links between the README's marker comments; True when it changed."""
    text = path.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        raise SystemExit(f"error: {path} has no {README_START} … {README_END} markers "
                         "for the Colab table")
    before, rest = text.split(README_START, 1)
    after = rest.split(README_END, 1)[1]
    new = f"{before}{README_START}\n{readme_table(url, notebooks)}\n{README_END}{after}"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def set_repository(root: Path, url: str) -> None:
    """Point pyproject.toml's `[project.urls] Repository` at `url`."""
    path = root / "pyproject.toml"
    text = path.read_text()
    new, count = re.subn(r'(?m)^Repository = ".*"$', f'Repository = "{url}"', text)
    if count != 1:
        raise SystemExit(f"error: {path} has no single `Repository = \"…\"` line under "
                         "[project.urls]")
    path.write_text(new)


def links(root: Path = ROOT, repo: str | None = None) -> list[Path]:
    """Write every notebook's Colab cells and the README's table; `repo` (owner/name) first
    sets the repository address. Returns the files that changed."""
    if repo is not None:
        url = f"https://github.com/{repo.strip('/')}"
        owner_and_name(url)  # refuses what is not owner/name
        set_repository(root, url)
    url = repository(root)
    notebooks = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    changed = [p for p in notebooks if write_notebook(p, url)]
    if write_readme(root / "README.md", url, [p.name for p in notebooks]):
        changed.append(root / "README.md")
    return changed


# --- the install -----------------------------------------------------------------------------


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed(names: Sequence[str]) -> dict[str, str]:
    """The installed version of each of `names` that is installed."""
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def requirements(root: Path, extras: Sequence[str], tensorflow: str | None) -> list[str]:
    """The bundle's requirements with `extras`; a requirement on any TensorFlow distribution
    becomes one on `tensorflow`, the distribution installed (its range and marker kept, its
    extras dropped: they would pull in another build's libraries)."""
    meta = project(root)
    optional = meta.get("optional-dependencies", {})
    unknown = [e for e in extras if e not in optional]
    if unknown:
        raise SystemExit(f"error: no extra {', '.join(unknown)} in {root / 'pyproject.toml'}; "
                         f"it has {', '.join(sorted(optional)) or 'none'}")
    wanted = [*meta.get("dependencies", []), *(r for e in extras for r in optional[e])]
    if tensorflow is None:
        return wanted
    read = []
    for requirement in wanted:
        name, rest = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?(.*)",
                              requirement).groups()
        read.append(tensorflow + rest if normalized(name) in TENSORFLOW else requirement)
    return read


def pip(command: list[str]) -> tuple[int, str]:
    """Run pip, showing its output as it comes; returns its exit status and output."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, bufsize=1)
    output = []
    for line in process.stdout:
        print(line, end="", flush=True)
        output.append(line)
    return process.wait(), "".join(output)


def moved(output: str, kept: dict[str, str]) -> list[str]:
    """The kept packages pip names in the conflict it could not resolve."""
    if "conflict is caused by" not in output:
        return []
    cause = output.split("conflict is caused by", 1)[1].split("\n\n", 1)[0]
    mentioned = {normalized(m) for m in re.findall(r"[A-Za-z0-9][A-Za-z0-9._-]*", cause)}
    return [name for name in kept if normalized(name) in mentioned]


def refusal(names: list[str], kept: dict[str, str], output: str) -> str:
    """What to say when pip cannot install the bundle beside the kept packages."""
    if not names:
        return "error: pip could not install the bundle; its message is above"
    needs = {}
    for name in names:
        wanted = re.findall(rf"(?:depends on|requested) {re.escape(name)}([^\s;,]*)", output,
                            re.IGNORECASE)
        needs[name] = wanted[0] if wanted and wanted[0] else None
    said = ", ".join(f"{n} {kept[n]}" + (f" (the bundle asks for {n}{needs[n]})" if needs[n]
                                         else "") for n in names)
    return (f"error: the bundle cannot be installed without replacing what this runtime keeps: "
            f"{said}. Colab's own versions stay; a bundle whose requirements admit them "
            "installs here")


def install(root: Path = ROOT, extras: Sequence[str] = (), pip_args: Sequence[str] = (), *,
            run: Callable[[list[str]], tuple[int, str]] = pip) -> int:
    """Install the bundle's requirements (with `extras`) under constraints that keep the
    installed `KEPT` packages, then the checkout itself, editable; `pip_args` go to both pip
    calls. Returns pip's exit status."""
    kept = installed(KEPT)
    tensorflow = next(iter(installed(TENSORFLOW)), None)
    with tempfile.TemporaryDirectory() as folder:
        constraints = Path(folder) / "constraints.txt"
        constraints.write_text("".join(f"{n}=={v}\n" for n, v in kept.items()))
        wanted = Path(folder) / "requirements.txt"
        wanted.write_text("".join(f"{r}\n" for r in requirements(root, extras, tensorflow)))
        print(f"keeping {', '.join(f'{n} {v}' for n, v in kept.items()) or 'nothing'}",
              flush=True)
        status, output = run([sys.executable, "-m", "pip", "install", "-r", str(wanted),
                              "-c", str(constraints), *pip_args])
        if status != 0:
            print(refusal(moved(output, kept), kept, output), file=sys.stderr)
            return status
        status, _ = run([sys.executable, "-m", "pip", "install", "--no-deps", "-e", str(root),
                         *pip_args])
        return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.colab", allow_abbrev=False,
                                     description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    setup = commands.add_parser(
        "install", allow_abbrev=False,
        help="install the checkout, editable, keeping this runtime's TensorFlow, Keras, numpy, "
             "pandas and Jupyter packages; other arguments go to pip")
    setup.add_argument("--extras", default="", help="comma-separated extras of the bundle")
    write = commands.add_parser("links", help="write the notebooks' Colab cells and the "
                                              "README's table of Colab links")
    write.add_argument("--repo", metavar="OWNER/NAME",
                       help="the GitHub repository to point at (sets pyproject.toml's address)")
    args, rest = parser.parse_known_args(argv)
    if args.command == "links":
        if rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        for path in links(ROOT, args.repo):
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    extras = [e.strip() for e in args.extras.split(",") if e.strip()]
    return install(ROOT, extras, rest)


if __name__ == "__main__":
    sys.exit(main())
