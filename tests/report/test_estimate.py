"""The estimate before training: measured speeds, each network's epochs and time, the lanes."""

import json
import subprocess

import nbformat
import pytest
from conftest import REPO

from helpers.learn import MOST_EPOCHS, hardware
from helpers.learn import speed as speed_module
from helpers.report import budget, chain, estimate

KERNEL = {"name": chain.KERNEL, "display_name": "k", "language": "python"}
# A machine where a batch of 128 takes 0.1 s, tracing 2 s and inference 1 ms per image.
SPEED = {"batch_seconds": 0.1, "tracing_seconds": 2.0, "batch_size": 128,
         "inference_seconds_per_image": 0.001}


def work(**changes) -> estimate.Workload:
    fields = {"train_images": 12800, "test_images": 1000, "shape": (28, 28), "classes": 10,
              "kept": 1.0, "arm_shares": (1.0, 0.5), "epochs": 2, "seeds": 1}
    return estimate.Workload(**{**fields, **changes})


def notebook(folder, name, share=None):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "MINUTES = None", metadata={"tags": ["parameters"]})])
    nb.metadata["kernelspec"] = KERNEL
    if share is not None:
        nb.metadata["helpers"] = {"share": share, "stage": "training"}
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


# An epoch as `SPEED` times it: 11,520 images to fit, 90 batches of 128; 1,280 held out, each
# inferred in 1 ms; as a notebook's fit runs it, `EPOCH_COST` times that.
EPOCH = estimate.EPOCH_COST * (90 * 0.1 + 1.28)


def test_an_epoch_is_the_training_batches_and_the_validation_images():
    found = estimate.training("deep", SPEED, 12800, 1000, epochs=3)
    assert found.epoch_seconds == pytest.approx(EPOCH) and estimate.EPOCH_COST > 1
    assert found.epochs == 3
    overhead = estimate.notebook_overhead(1000)
    assert found.notebook_seconds == pytest.approx(overhead + 2 + 1.0 + 3 * EPOCH)


def test_a_budget_fits_the_whole_epochs_that_fit_at_most_the_runs_epochs():
    fitted = estimate.training("deep", SPEED, 12800, 1000, epochs=50, minutes=1)
    assert fitted.epochs == int((60 - 3) // EPOCH) == 4
    assert fitted.notebook_seconds - estimate.notebook_overhead(1000) <= 60
    assert estimate.training("deep", SPEED, 12800, 1000, epochs=2, minutes=10).epochs == 2
    assert estimate.training("deep", SPEED, 12800, 1000, epochs=50, minutes=0.01).epochs == 1
    # Three seeds share the minutes: each trains a third of the epochs.
    assert estimate.training("deep", SPEED, 12800, 1000, epochs=50, minutes=3,
                             seeds=3).epochs == int((60 - 3) // EPOCH)


def test_a_notebook_spends_longer_outside_its_training_beside_a_larger_test_split():
    small, large = estimate.notebook_overhead(359), estimate.notebook_overhead(23264)
    assert 8 < small < 10 and 13 < large < 21  # as measured on digits and EMNIST bymerge


def test_notebooks_are_packed_largest_first_into_the_lanes():
    assert estimate.lanes_time([2, 3, 4, 3], 2) == 6  # 4 + 2 beside 3 + 3
    assert estimate.lanes_time([5, 4, 3], 1) == 12
    assert estimate.lanes_time([7], 4) == 7


def test_each_notebook_trains_what_its_network_and_the_balancing_say(tmp_path):
    speeds = {"baseline": SPEED, "digits_small": SPEED, "my_cnn": SPEED}
    digits = estimate.notebook_training(tmp_path / "09_cnn_digits_small.ipynb", speeds, work())
    assert digits.name == "digits_small" and digits.epochs == 2  # the run's, as every network
    own = estimate.notebook_training(tmp_path / "11_your_network.ipynb", speeds, work())
    assert own.name == "my_cnn" and own.epochs == 2
    kept = estimate.notebook_training(tmp_path / "04_cnn_baseline.ipynb", speeds,
                                      work(kept=0.25))
    assert kept.epoch_seconds < digits.epoch_seconds / 3
    # The ablation trains the fast network once per arm, each on the images its arm keeps.
    arms = estimate.notebook_training(tmp_path / "12_ablation.ipynb", speeds, work())
    whole = estimate.training("baseline", SPEED, 12800, 1000, 2)
    half = estimate.training("baseline", SPEED, 6400, 1000, 2)
    assert arms.name == "ablation" and arms.epochs == 2
    assert arms.notebook_seconds == pytest.approx(
        whole.notebook_seconds + half.notebook_seconds - estimate.notebook_overhead(1000))


def test_the_estimate_adds_the_lanes_to_the_rest_of_the_run_and_offers_budgets(
        tmp_path, monkeypatch):
    monkeypatch.setattr(estimate, "speeds", lambda names, *a, **k: {n: SPEED for n in names})
    training = [notebook(tmp_path, f"{i:02d}_cnn_{n}")
                for i, n in enumerate(("baseline", "deep", "resnet"), 4)]
    found, offered = estimate.estimate(training, work(), lanes=2, cpus=2, hints=(1, 10, 30))
    seconds = [t.notebook_seconds for t in found.networks]
    assert found.training_stage == estimate.lanes_time(seconds, 2)
    assert found.total == pytest.approx(found.training_stage + budget.other_stages(3, 1000),
                                        abs=1)
    # One minute cannot hold the rest of the run: it is not offered.
    assert sorted(offered) == [10, 30]
    assert all(t.epochs == MOST_EPOCHS for t in offered[30])  # time to spare: the most epochs
    assert max(t.epochs for t in offered[10]) < MOST_EPOCHS
    # Once every network has its most epochs, a longer budget is not offered.
    _, offered = estimate.estimate(training, work(), lanes=2, cpus=2, hints=(10, 30, 90))
    assert sorted(offered) == [10, 30]
    lines = found.lines(offered)
    assert lines[0].startswith("estimate at this machine's speed: about ")
    assert "2 notebooks at a time" in lines[0]
    assert f"baseline 2×{EPOCH:.0f} s" in lines[1]
    assert lines[2].startswith("  MINUTES=10 would give ")
    assert json.loads(json.dumps(found.as_dict()))["networks"]["resnet"]["epochs"] == 2


def test_with_a_budget_the_estimate_takes_each_notebooks_minutes_from_the_plan(
        tmp_path, monkeypatch):
    monkeypatch.setattr(estimate, "speeds", lambda names, *a, **k: {n: SPEED for n in names})
    training = [notebook(tmp_path, "04_cnn_baseline"), notebook(tmp_path, "05_cnn_deep"),
                notebook(tmp_path, "11_your_network", share=0.5),
                notebook(tmp_path, "12_ablation", share=0.5)]
    plan = budget.plan(5, training, 2, budget.other_stages(2, 1000))
    found, offered = estimate.estimate(training, work(epochs=MOST_EPOCHS), 2, 2, plan=plan)
    assert offered == {}
    assert found.minutes == 5 and "epochs in MINUTES=5" in found.lines()[1]
    for t, path in zip(found.networks, training, strict=True):
        assert t.notebook_seconds <= plan.training_minutes[path.stem] * 60 + budget.OVERHEAD
    assert found.total <= 5 * 60 + 1  # the budget holds the whole run
    assert not any("too short" in line for line in found.lines())
    huge = work(train_images=2_000_000, epochs=MOST_EPOCHS)
    found, _ = estimate.estimate(training, huge, 2, 2, plan=plan)
    assert found.total > 5 * 60 and all(t.epochs == 1 for t in found.networks)
    assert found.lines()[2].startswith(
        "  MINUTES=5 is too short for these data: one epoch of baseline, deep, my_cnn, ablation")


def fake_measuring(calls):
    def run(command, **options):
        calls.append(options["env"]["TF_NUM_INTRAOP_THREADS"])
        names = command[command.index("helpers.learn.speed") + 1].split(",")
        return subprocess.CompletedProcess(command, 0, json.dumps({n: SPEED for n in names}), "")
    return run


def test_the_estimate_names_the_device_and_precision_it_was_measured_in(tmp_path, monkeypatch):
    gpu = {**SPEED, "device": "NVIDIA H100 80GB HBM3 (GPU)", "precision": "mixed_float16"}
    monkeypatch.setattr(estimate, "speeds", lambda names, *a, **k: {n: gpu for n in names})
    training = [notebook(tmp_path, "04_cnn_baseline"), notebook(tmp_path, "05_cnn_deep")]
    found, _ = estimate.estimate(training, work(), lanes=2, cpus=2)
    assert found.lines()[0].startswith("estimate at this machine's speed (NVIDIA H100 80GB HBM3 "
                                       "(GPU), mixed_float16): about ")
    assert found.as_dict()["trained_on"] == "NVIDIA H100 80GB HBM3 (GPU), mixed_float16"
    cpu = {**SPEED, "device": "AMD EPYC (CPU)", "precision": "float32"}
    assert estimate.measured_on({"a": gpu, "b": cpu, "c": gpu}) == (
        "NVIDIA H100 80GB HBM3 (GPU), mixed_float16; AMD EPYC (CPU), float32")
    assert estimate.measured_on({"a": SPEED}) == ""  # nothing said where nothing was measured
    monkeypatch.setattr(estimate, "speeds", lambda names, *a, **k: {n: SPEED for n in names})
    found, _ = estimate.estimate(training, work(), lanes=2, cpus=2)
    assert found.lines()[0].startswith("estimate at this machine's speed: about ")


def test_speeds_share_a_gpu_and_are_measured_again_in_another_precision(monkeypatch):
    seen = []

    def run(command, **options):
        seen.append(options["env"].get("TF_FORCE_GPU_ALLOW_GROWTH"))
        names = command[command.index("helpers.learn.speed") + 1].split(",")
        return subprocess.CompletedProcess(command, 0, json.dumps({n: SPEED for n in names}), "")

    monkeypatch.setattr(estimate.subprocess, "run", run)
    monkeypatch.delenv("TF_FORCE_GPU_ALLOW_GROWTH", raising=False)
    monkeypatch.setenv("OCR_PRECISION", "float32")
    estimate.speeds(["deep"], (28, 28), 10, lanes=1, cpus=2)
    assert seen == ["true"]  # two measured at once do not each take the whole GPU
    estimate.speeds(["deep"], (28, 28), 10, lanes=1, cpus=2)
    assert len(seen) == 1  # the cache
    monkeypatch.setenv("OCR_PRECISION", "mixed_bfloat16")
    monkeypatch.setenv("TF_FORCE_GPU_ALLOW_GROWTH", "false")  # the caller's choice is kept
    estimate.speeds(["deep"], (28, 28), 10, lanes=1, cpus=2)
    assert seen == ["true", "false"]


def test_speeds_are_measured_once_per_machine_threads_and_shape(monkeypatch):
    calls = []
    monkeypatch.setattr(estimate.subprocess, "run", fake_measuring(calls))
    first = estimate.speeds(["baseline", "deep", "resnet"], (28, 28), 10, lanes=2, cpus=2)
    assert set(first) == {"baseline", "deep", "resnet"} and calls == ["1", "1"]  # two lanes
    assert estimate.speeds(["deep", "baseline"], (28, 28), 10, lanes=2, cpus=2) == {
        "deep": first["deep"], "baseline": first["baseline"]}
    assert len(calls) == 2  # from the cache
    estimate.speeds(["deep"], (28, 28), 10, lanes=1, cpus=2)  # two threads: measured anew
    estimate.speeds(["deep"], (32, 32), 10, lanes=2, cpus=2)  # another shape too
    assert calls == ["1", "1", "2", "1"]


def test_a_network_is_timed_on_this_machine():
    found = speed_module.measure_one("baseline", (28, 28), 5, batch_size=16, steps=2)
    assert 0 < found["batch_seconds"] < 5 and found["batch_size"] == 16
    assert found["tracing_seconds"] > found["batch_seconds"]
    assert 0 < found["inference_seconds_per_image"] < found["batch_seconds"]
    assert found["device"] == hardware.device_text()
    assert found["precision"] == hardware.precision()


def test_your_network_is_the_function_its_cell_defines():
    builder = speed_module.own_builder(REPO / "notebooks" / "11_your_network.ipynb")
    model = builder(7)
    assert model.output_shape[-1] == 7


def test_the_chain_says_the_estimate_before_training_and_not_for_reused_notebooks(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(estimate, "speeds", lambda names, *a, **k: {n: SPEED for n in names})
    trained = notebook(tmp_path, "04_cnn_baseline")
    steps = chain.Chain(tmp_path / "run", [trained], {}, 2)
    (tmp_path / "run").mkdir()
    chain.announce_estimate(steps, work(), None)
    said = capsys.readouterr().err
    assert "estimate at this machine's speed" in said and "MINUTES=10 would give" in said
    assert json.loads((tmp_path / "run" / "estimate.json").read_text())["lanes"] == 1
    monkeypatch.setattr(chain.Chain, "will_run", lambda self, p: False)
    chain.announce_estimate(steps, work(), None)
    assert "every training notebook is reused" in capsys.readouterr().err


def test_a_network_that_cannot_be_timed_leaves_a_warning_not_a_failure(
        tmp_path, monkeypatch, capsys):
    def broken(*args, **options):
        raise subprocess.CalledProcessError(1, "speed", "", "SyntaxError")

    monkeypatch.setattr(estimate.subprocess, "run", broken)
    steps = chain.Chain(tmp_path, [notebook(tmp_path, "11_your_network", share=0.5)], {}, 1)
    chain.announce_estimate(steps, work(), None)
    assert "warning: no estimate of the run's time (CalledProcessError" in capsys.readouterr().err
    assert not (tmp_path / "estimate.json").exists()
