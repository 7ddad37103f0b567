"""MINUTES=: the run's time shared out among the training notebooks, and DOWNLOAD=1."""

import hashlib
import heapq
import math
from pathlib import Path

import nbformat
import pytest
from conftest import REPO
from support.idx_files import write_emnist_split, write_nist_zip

from helpers.data import emnist
from helpers.errors import ConfigError
from helpers.experiment import RunConfig
from helpers.learn import MOST_EPOCHS
from helpers.report import budget, chain, estimate, writeup

KERNEL = {"name": chain.KERNEL, "display_name": "k", "language": "python"}


def training_notebook(folder, name, share=None):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "MINUTES = None", metadata={"tags": ["parameters"]})])
    nb.metadata["kernelspec"] = KERNEL
    if share is not None:
        nb.metadata["helpers"] = {"share": share}
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def makespan(seconds: list[float], lanes: int) -> float:
    """When the last of these notebooks ends, run largest first on `lanes` lanes."""
    ends = [0.0] * lanes
    for s in sorted(seconds, reverse=True):
        heapq.heapreplace(ends, ends[0] + s)
    return max(ends)


def test_seven_networks_and_two_half_shares_fill_two_lanes(tmp_path):
    names = [f"{i:02d}_cnn_n{i}" for i in range(4, 11)]
    training = [training_notebook(tmp_path, n) for n in names]
    training += [training_notebook(tmp_path, "11_your_network", 0.5),
                 training_notebook(tmp_path, "12_ablation", 0.5)]
    shared = budget.plan(30, training, lanes=2, other_seconds=120)
    assert shared.training_stage == 30 * 60 - 120
    minutes = shared.training_minutes
    assert len({round(minutes[n], 6) for n in names}) == 1  # the seven get the same time
    assert minutes["11_your_network"] == pytest.approx(minutes[names[0]] / 2)  # its training
    walls = [m * 60 + budget.OVERHEAD for m in minutes.values()]
    # Packed largest first, the lanes end within one notebook's overhead of the stage's end.
    assert abs(makespan(walls, 2) - shared.training_stage) <= budget.OVERHEAD
    assert shared.as_dict()["training_stage_minutes"] == pytest.approx(28.0)


def test_a_budget_smaller_than_the_rest_of_the_run_still_trains_a_little(tmp_path):
    training = [training_notebook(tmp_path, "04_cnn_baseline")]
    shared = budget.plan(1, training, lanes=2, other_seconds=300)
    assert shared.lanes == 1 and shared.training_minutes["04_cnn_baseline"] == budget.LEAST_MINUTES


def test_the_bundles_own_network_and_ablation_take_half_a_share():
    names = {p.stem: budget.weight(p) for p in sorted((REPO / "notebooks").glob("*.ipynb"))
             if chain.trains(p)}
    assert names.pop("11_your_network") == names.pop("12_ablation") == 0.5
    assert set(names.values()) == {1.0} and len(names) == 7


def test_a_notebook_gets_its_own_minutes_only_where_it_declares_them(tmp_path):
    timed = training_notebook(tmp_path, "04_cnn_baseline")
    other = tmp_path / "13_comparison.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "DATASET = 'glyphs'", metadata={"tags": ["parameters"]})])
    nb.metadata["kernelspec"] = KERNEL
    nbformat.write(nb, other)
    steps = chain.Chain(tmp_path, [timed, other], {"DATASET": "digits"}, 2,
                        own={"04_cnn_baseline": {"MINUTES": 2.5}})
    assert steps.parameters_of(timed) == {"MINUTES": 2.5}
    assert steps.parameters_of(other) == {"DATASET": "digits"}


def test_by_default_every_network_trains_until_it_stops_improving_within_the_default_time(
        monkeypatch, tmp_path):
    seen = {}

    def fake_chain(config, parameters, **options):
        seen.clear()
        seen.update(parameters, minutes=options["minutes"], epochs=config.epochs)
        return tmp_path / "report.html"

    monkeypatch.setattr(chain, "run_chain", fake_chain)
    chain.main(["--dataset", "digits", "--out", str(tmp_path / "run")])
    assert seen["minutes"] == chain.DEFAULT and "EPOCHS" not in seen  # measured, then shared
    assert seen["epochs"] == MOST_EPOCHS  # at most: early stopping ends each training
    chain.main(["--dataset", "digits", "--minutes", "12", "--out", str(tmp_path / "run")])
    assert seen["minutes"] == 12 and "EPOCHS" not in seen
    chain.main(["--dataset", "digits", "--epochs", "3", "--out", str(tmp_path / "run")])
    assert seen["EPOCHS"] == 3 and seen["minutes"] is None  # a number of epochs, no clock
    chain.main(["--dataset", "digits", "--minutes", "12", "--epochs", "3",
                "--out", str(tmp_path / "run")])
    assert seen["EPOCHS"] == 3 and seen["minutes"] == 12
    assert f"time for up to {chain.DEFAULT_EPOCHS} epochs of each" in " ".join(
        (REPO / "Makefile").read_text().replace('@echo "', "").replace('"\n', " ").split())


def test_the_default_budget_gives_every_network_time_for_its_epochs_here(tmp_path):
    notebooks = [tmp_path / f"{name}.ipynb" for name in ("04_cnn_a", "05_cnn_b", "12_ablation")]
    ablation = nbformat.v4.new_notebook()
    ablation.metadata["helpers"] = {"stage": "training", "share": 0.5}
    nbformat.write(ablation, notebooks[-1])
    work = estimate.Workload(10_000, 2_000, (28, 28), 10, 1.0, (1.0,), 50)
    weights = {"04_cnn_a": 3.0, "05_cnn_b": 9.0, "12_ablation": 6.0}  # seconds per epoch
    minutes = chain.default_minutes(notebooks, work, 2, weights)
    stage = (chain.DEFAULT_EPOCHS * 18 + 3 * budget.OVERHEAD) / 2
    assert minutes == math.ceil((budget.other_stages(2, 2_000) + stage) / 60)
    assert chain.default_minutes(notebooks, work, 2, None) == chain.FALLBACK_MINUTES
    # Shared by the same weights, each network has time for about DEFAULT_EPOCHS epochs.
    shared = budget.plan(minutes, notebooks, 2, budget.other_stages(2, 2_000), weights)
    for name, seconds in weights.items():
        epochs = shared.training_minutes[name] * 60 / seconds
        assert chain.DEFAULT_EPOCHS <= epochs < chain.DEFAULT_EPOCHS + 3, name


def test_a_budget_is_shared_by_each_networks_time_per_epoch(tmp_path):
    notebooks = []
    for name in ("04_cnn_a", "05_cnn_b", "12_ablation"):
        path = tmp_path / f"{name}.ipynb"
        nb = nbformat.v4.new_notebook()
        nb.metadata["helpers"] = {"share": 0.5} if "ablation" in name else {}
        nbformat.write(nb, path)
        notebooks.append(path)
    equal = budget.plan(10, notebooks, 2, 60.0)
    assert equal.training_minutes["04_cnn_a"] == equal.training_minutes["05_cnn_b"]
    weighed = budget.plan(10, notebooks, 2, 60.0,
                          weights={"04_cnn_a": 1.0, "05_cnn_b": 3.0, "12_ablation": 2.0})
    a, b = weighed.training_minutes["04_cnn_a"], weighed.training_minutes["05_cnn_b"]
    assert b == pytest.approx(3 * a)  # training time by weight, after each one's overhead
    # Without a weight for every notebook, the notebooks' own.
    assert budget.plan(10, notebooks, 2, 60.0, weights={"04_cnn_a": 1.0}) == equal


def test_a_run_config_checks_its_minutes_and_shares_them_over_seeds():
    config = RunConfig.from_parameters(MINUTES=6, SEEDS=3)
    assert config.minutes == 6 and config.budget() == 120
    assert RunConfig.from_parameters().budget() is None
    with pytest.raises(ConfigError, match="MINUTES must be more than 0"):
        RunConfig.from_parameters(MINUTES=0)


def test_download_fetches_the_dataset_before_the_chain(tmp_path, monkeypatch):
    source = tmp_path / "nist"
    write_emnist_split(source, "mnist", "0123456789", 30, 10)
    archive = write_nist_zip(tmp_path / "served.zip", source)
    monkeypatch.setattr(emnist, "URL", archive.as_uri())
    monkeypatch.setattr(emnist, "SHA256", hashlib.sha256(archive.read_bytes()).hexdigest())
    monkeypatch.setattr(chain, "run_chain", lambda *a, **k: tmp_path / "report.html")
    raw = tmp_path / "raw"
    assert chain.main(["--dataset", "emnist-mnist", "--data-dir", str(raw), "--download",
                       "--out", str(tmp_path / "run")]) == 0
    assert (raw / "emnist-mnist-train-images-idx3-ubyte.gz").exists()


def test_download_of_a_dataset_that_is_not_downloaded_says_which_are(tmp_path):
    with pytest.raises(SystemExit, match="DOWNLOAD=1: glyphs is not downloaded.*emnist-letters"):
        chain.main(["--dataset", "glyphs", "--download", "--out", str(tmp_path / "run")])


def test_the_budget_rows_say_the_runs_minutes_and_each_notebooks_share():
    rows = dict(writeup.budget_rows({"minutes": 30, "lanes": 2, "training_stage_minutes": 28.0,
                                     "training_minutes": {"04_cnn_baseline": 6.7}}))
    assert rows["time budget"].startswith("30 minutes for the whole run; 28.0 of them")
    assert rows["training minutes per notebook (at most)"] == "04_cnn_baseline 6.7"
    assert writeup.budget_rows({}) == []


def test_the_discussion_says_how_long_the_ablations_arms_trained():
    assert writeup.ablation_epochs({"epochs": [2]}) == "for 2 epochs"
    assert writeup.ablation_epochs({"epochs": [5, 1, 3], "minutes": 3.29}) == (
        "for 1 to 5 epochs, within 3.3 minutes shared by the arms")
    rows = [{"stopped_by": "early stopping"}] * 2 + [{"stopped_by": "time limit"}]
    assert writeup.ablation_epochs({"epochs": [5, 3], "rows": rows}) == (
        "for 3 to 5 epochs; early stopping ended 2 of the 3 arms, the time limit 1 (an arm "
        "cut short did not train as far as the others, so its comparisons say so)")
    assert writeup.ablation_epochs({"epochs": [4], "rows": [{"stopped_by": "epochs"}]}) == (
        "for 4 epochs; the epoch cap ended 1 of the 1 arms (an arm cut short did not train "
        "as far as the others, so its comparisons say so)")
    rows = [{"arm": "class weights", "accuracy": 0.9, "augmentation": True},
            {"arm": "no balancing", "accuracy": 0.8, "augmentation": True,
             "against_reference": {"only_reference": 9, "only_this": 1, "p_value": 0.02,
                                   "p_holm": 0.02}}]
    text = writeup.ablation_findings({"network": "baseline", "epochs": [1], "rows": rows})
    assert "trained baseline once per choice on this dataset, for 1 epoch." in text
    assert "[" not in text
    assert "Class weights gained 10.0 points of accuracy against no balancing" in text


def test_a_later_default_run_takes_the_earlier_runs_budget_exactly(private_project_dir):
    """Measuring the speed again would give every training notebook another MINUTES, and so
    re-run it; a run with the same notebooks, parameters, helpers and packages takes the
    budget an earlier complete run measured, to the last digit."""
    import json

    from helpers import paths
    from helpers.report import budget, chain

    notebooks = [Path("04_cnn_baseline.ipynb"), Path("05_cnn_deep.ipynb")]
    key = chain.default_budget_key(notebooks, {"DATASET": "glyphs", "RUN_DIR": "/a"}, 2)
    assert key == chain.default_budget_key(notebooks, {"DATASET": "glyphs", "RUN_DIR": "/b"}, 2)
    assert key != chain.default_budget_key(notebooks, {"DATASET": "digits"}, 2)
    assert key != chain.default_budget_key(notebooks[:1], {"DATASET": "glyphs"}, 2)
    plan = budget.Plan(29.0, 2, 1698.123456789, {"04_cnn_baseline": 3.14159265358979})
    outputs = paths.outputs_dir()
    for name, complete, saved_key in (("run1", True, key), ("run2", False, key),
                                      ("run3", True, "another")):
        run = outputs / name
        run.mkdir(parents=True)
        record = {"default": {"key": saved_key, "minutes": plan.minutes, "lanes": plan.lanes,
                              "training_stage": plan.training_stage,
                              "training_minutes": plan.training_minutes}}
        (run / "budget.json").write_text(json.dumps(record))
        if complete:
            (run / "reuse.json").write_text("{}")
    assert chain.earlier_default(key) == plan  # run2 never completed; run3 had another key
    assert chain.earlier_default("no such key") is None


def test_the_own_networks_speed_is_keyed_by_its_cell_not_the_notebooks_prose(tmp_path):
    import nbformat

    from helpers.report import estimate

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("def net(n):\n    return n", metadata={"tags": ["your-network"]}),
        nbformat.v4.new_markdown_cell("*Your answer here*", metadata={"tags": ["your-answer"]})])
    path = tmp_path / "11_your_network.ipynb"
    nbformat.write(nb, path)
    before = estimate._speed_key(estimate.OWN, (28, 28), 36, 1, path)
    nb.cells[1].source = "I kept the example because it is small."
    nbformat.write(nb, path)
    assert estimate._speed_key(estimate.OWN, (28, 28), 36, 1, path) == before
    nb.cells[0].source = "def net(n):\n    return n + 1"
    nbformat.write(nb, path)
    assert estimate._speed_key(estimate.OWN, (28, 28), 36, 1, path) != before
