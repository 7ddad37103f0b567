"""Shared fixtures: a private project dir for every test, and the real EMNIST files when present."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import emnist

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def private_project_dir(tmp_path_factory, monkeypatch):
    """Point data/processed and outputs/ at a temp dir so no test writes into the checkout."""
    root = tmp_path_factory.mktemp("project")
    monkeypatch.setenv("OCR_PROJECT_DIR", str(root))
    return root


@pytest.fixture(scope="session")
def emnist_dir() -> Path:
    """The real EMNIST test splits (NIST's files); skip when this machine does not have them."""
    folder = emnist.location()
    if not (folder / "emnist-byclass-test-images-idx3-ubyte.gz").exists():
        pytest.skip(f"real EMNIST files not found in {folder} (set OCR_EMNIST_DIR to their folder)")
    return folder


@pytest.fixture(scope="session")
def reading_glyphs():
    """6,000 glyph images: what the reading and web tests train on and draw their images from,
    split at random (every face in both splits), so that a network of three short epochs reads
    the test characters well enough for the reading, not the network, to be tested."""
    from helpers.data import load_dataset

    return load_dataset("glyphs", limit=6000, seed=2, hold_out_fonts=False)


@pytest.fixture(scope="session")
def glyph_model(reading_glyphs, tmp_path_factory) -> Path:
    """A small network trained briefly on the glyphs, saved as `make report` saves them
    (`<run>/models/<name>.keras` + `.json`, with the run's `metrics/<name>.json` beside)."""
    import json

    from support.training import train_for

    from helpers.learn.inputs import framing_of
    from helpers.learn.models import build_model, save_model
    from helpers.learn.train import set_seed

    set_seed(0)
    model = build_model("digits_small", reading_glyphs.num_classes)
    train_for(model, reading_glyphs, 3, augment=False)
    run = tmp_path_factory.mktemp("run")
    (run / "metrics").mkdir()
    (run / "metrics" / "digits_small.json").write_text(json.dumps(
        {"model": "digits_small", "dataset": "glyphs", "accuracy": 0.777, "macro_f1": 0.7,
         "test_images": len(reading_glyphs.y_test), "parameters": model.count_params()}))
    return save_model(model, run / "models" / "digits_small", reading_glyphs.classes,
                      framing=framing_of(reading_glyphs.x_train), dataset="glyphs",
                      accuracy=0.5)


@pytest.fixture(scope="session")
def glyph_recognizer(glyph_model):
    """`glyph_model` loaded as the reading code and the web page load a model."""
    from helpers.reading import Recognizer

    return Recognizer.load(glyph_model)
