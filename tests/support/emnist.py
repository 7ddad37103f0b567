"""Where the tests and benchmarks find NIST's real EMNIST files: $OCR_EMNIST_DIR, else the
user's `data/raw/emnist`, else `../shared/data/emnist` beside the checkout (this repository's
CI layout). Never a download."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CI_FOLDER = REPO.parent / "shared" / "data" / "emnist"


def location() -> Path:
    if os.environ.get("OCR_EMNIST_DIR"):
        return Path(os.environ["OCR_EMNIST_DIR"])
    own = REPO / "data" / "raw" / "emnist"
    return own if any(own.glob("emnist-*-images-idx3-ubyte*")) else CI_FOLDER
