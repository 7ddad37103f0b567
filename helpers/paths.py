"""Where the project keeps inputs, derived caches and run outputs."""

import os
from pathlib import Path


def project_root() -> Path:
    """The checkout this package lives in, or $OCR_PROJECT_DIR, or the working directory."""
    if env := os.environ.get("OCR_PROJECT_DIR"):
        return Path(env)
    here = Path(__file__).resolve().parents[1]
    return here if (here / "pyproject.toml").exists() else Path.cwd()


def raw_dir() -> Path:
    """Inputs as users brought or downloaded them; never modified by the code."""
    return project_root() / "data" / "raw"


def processed_dir() -> Path:
    """Derived caches (parsed CSVs, decoded image folders, balanced sets)."""
    return project_root() / "data" / "processed"


def outputs_dir() -> Path:
    """Executed notebooks, metrics, models and reports."""
    return project_root() / "outputs"
