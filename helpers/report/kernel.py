"""The project's Jupyter kernel, `char-recognition`, as JupyterLab and papermill start it.

TensorFlow's C++ core writes its start-up lines ("All log messages before
absl::InitializeLog() …", the oneDNN notice, "NodeDef mentions attribute …") straight to the
process's file descriptor 2. ipykernel normally copies everything written there into the cell
that is running, so those lines would fill the first cells of every notebook. This kernel does
not capture the descriptors (`--IPKernelApp.capture_fd_output=False`): those lines go to the
terminal that started JupyterLab (or to `make report`'s console, which filters them), while
everything Python prints or warns — `warnings.warn`, `print(..., file=sys.stderr)` — still shows
in the cell.

`python -m helpers.report.kernel` installs it into the running Python's prefix (what `make
venv` does); `ensure()` reinstalls it where an older spec lacks the flag.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

NAME = "char-recognition"
DISPLAY_NAME = f"Python ({NAME})"
ARGUMENTS = ["--IPKernelApp.capture_fd_output=False"]


def spec_path(prefix: str | None = None) -> Path:
    return Path(prefix or sys.prefix) / "share" / "jupyter" / "kernels" / NAME / "kernel.json"


def install(prefix: str | None = None) -> Path:
    """Write the kernel spec under `prefix` (default: this Python's) and return its file."""
    from ipykernel.kernelspec import install as install_kernel
    from jupyter_client.kernelspec import KernelSpecManager

    folder = Path(install_kernel(KernelSpecManager(), kernel_name=NAME, display_name=DISPLAY_NAME,
                                 prefix=prefix or sys.prefix))
    spec = json.loads((folder / "kernel.json").read_text())
    spec["argv"] = [*spec["argv"], *[a for a in ARGUMENTS if a not in spec["argv"]]]
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1))
    return folder / "kernel.json"


def current(prefix: str | None = None) -> bool:
    """Whether the installed spec starts this Python with the kernel's arguments."""
    try:
        argv = json.loads(spec_path(prefix).read_text())["argv"]
    except (OSError, ValueError, KeyError):
        return False
    return bool(argv) and argv[0] == sys.executable and all(a in argv for a in ARGUMENTS)


def ensure(prefix: str | None = None) -> None:
    """Install the kernel where it is missing or out of date (a virtual environment made before
    the spec changed)."""
    if not current(prefix):
        install(prefix)


if __name__ == "__main__":
    print(f"Installed kernelspec {NAME} in {install().parent}")


# What a notebook's metadata keeps of the kernel's language: JupyterLab fills in the running
# Python's version, lexer and MIME type, which differ from machine to machine.
LANGUAGE_INFO = {"name": "python"}


def save_as_committed(model: dict, **_) -> None:
    """JupyterLab's pre-save hook (`make lab`): a notebook is saved with the language metadata
    it is committed with, so opening and saving one you did not change leaves git clean."""
    if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
        metadata = model["content"].setdefault("metadata", {})
        if "language_info" in metadata:
            metadata["language_info"] = dict(LANGUAGE_INFO)
