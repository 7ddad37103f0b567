"""Shared fixtures: a private project dir for every test, and the real EMNIST files when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def private_project_dir(tmp_path_factory, monkeypatch):
    """Point data/processed and outputs/ at a temp dir so no test writes into the checkout."""
    root = tmp_path_factory.mktemp("project")
    monkeypatch.setenv("OCR_PROJECT_DIR", str(root))
    return root


def emnist_location() -> Path:
    return Path(os.environ.get("OCR_EMNIST_DIR") or REPO.parent / "shared" / "data" / "emnist")


@pytest.fixture(scope="session")
def emnist_dir() -> Path:
    """The real EMNIST test splits (NIST's files); skip when this machine does not have them."""
    folder = emnist_location()
    if not (folder / "emnist-byclass-test-images-idx3-ubyte.gz").exists():
        pytest.skip(f"real EMNIST files not found in {folder} (set OCR_EMNIST_DIR to their folder)")
    return folder
