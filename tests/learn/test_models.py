"""Architectures, augmentation pipeline, training, saving."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from support.training import bars, train_for

from helpers.data import DataError, load_dataset
from helpers.errors import ConfigError
from helpers.learn.augment import augmented_samples, pipeline
from helpers.learn.inputs import to_input
from helpers.learn.models import ARCHITECTURES, build_model, load_model, save_model
from helpers.learn.train import set_seed

# The parameter counts the write-ups report for their stacks.
SEED_COUNTS = [("baseline", 36, 697_316), ("deep", 36, 2_387_620), ("dropout_bn", 36, 2_387_748),
               ("az_bn", 26, 265_075), ("digits_small", 10, 118_154)]


@pytest.mark.parametrize(("name", "classes", "count"), SEED_COUNTS)
def test_parameter_counts_match_the_write_ups(name, classes, count):
    assert build_model(name, classes).count_params() == count


def test_nist47_is_seven_convolutions_with_batch_norm():
    model = build_model("nist47", 47)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [32, 32, 32, 64, 64, 64, 128]
    assert [c.kernel_size for c in convs][2] == (5, 5) and convs[2].strides == (2, 2)
    assert sum(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers) == 7
    assert model.output_shape == (None, 47)


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_every_architecture_trains_a_step(name):
    model = build_model(name, 5)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = to_input(np.random.default_rng(0).integers(0, 256, (8, 28, 28), dtype=np.uint8))
    before = [w.copy() for w in model.get_weights()]
    loss = model.train_on_batch(x, np.arange(8) % 5)
    assert np.isfinite(loss)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    assert model.predict(x, verbose=0).shape == (8, 5)


def test_unknown_model_and_bad_class_counts():
    with pytest.raises(ConfigError, match="unknown model 'vgg'.*baseline.*resnet"):
        build_model("vgg", 10)
    with pytest.raises(ConfigError, match="at least 2 classes"):
        build_model("deep", 1)


def test_pipeline_scales_batches_and_keeps_labels():
    d = bars()
    batches = list(pipeline(d.x_train, d.y_train, batch_size=64))
    x, y = batches[0]
    assert x.shape == (64, 28, 28, 1) and x.dtype.name == "float32"
    assert np.allclose(x.numpy()[..., 0], d.x_train[:64] / 255)
    assert np.array_equal(y.numpy(), d.y_train[:64])
    assert sum(len(b[1]) for b in batches) == len(d.x_train)


@pytest.mark.parametrize("threads", [0, 1, 3])
def test_pipeline_runs_on_the_threads_asked_for(threads):
    """`threads` sizes the input pipeline's own pool (0: tf.data's, a thread per core); the
    batches are the same either way, and augmented batches still come."""
    d = bars()
    augmented = pipeline(d.x_train, d.y_train, batch_size=64, augment=True, threads=threads)
    assert (augmented.options().threading.private_threadpool_size or 0) == threads
    assert sum(len(y) for _, y in augmented) == len(d.x_train)
    data = pipeline(d.x_train, d.y_train, batch_size=64, shuffle=True, seed=3, threads=threads)
    plain = pipeline(d.x_train, d.y_train, batch_size=64, shuffle=True, seed=3)
    for (x, y), (x0, y0) in zip(data, plain, strict=True):
        assert np.array_equal(y.numpy(), y0.numpy())
        assert np.allclose(x.numpy(), x0.numpy())


def test_pipeline_rejects_wrong_images():
    with pytest.raises(DataError, match="uint8"):
        pipeline(np.zeros((4, 28, 28), np.float32), np.zeros(4))
    with pytest.raises(DataError, match=r"\(N, 28, 28\)"):
        pipeline(np.zeros((4, 32, 32), np.uint8), np.zeros(4))


def test_augmentation_moves_ink_but_never_mirrors():
    d = bars()
    left = d.x_train[d.y_train == 0][:16]  # a bar on the left
    samples = augmented_samples(left, copies=6, seed=1)
    assert np.array_equal(samples[:, 0], left)
    changed = np.abs(samples[:, 1:].astype(int) - left[:, None].astype(int)).mean()
    assert changed > 5
    columns = samples[:, 1:].astype(float).mean(axis=(0, 1, 2))
    assert columns[:14].sum() > 3 * columns[14:].sum()  # still on the left: no flips


def test_short_real_training_beats_chance(emnist_dir):
    d = load_dataset("emnist-mnist", data_dir=str(emnist_dir), limit=3000, seed=0)
    set_seed(0)
    model = build_model("deep", d.num_classes)
    result = train_for(model, d, 2)
    accuracy = (model.predict(to_input(d.x_test), verbose=0).argmax(1) == d.y_test).mean()
    assert accuracy > 0.75  # chance is 0.10
    assert result.epochs_run == 2 and result.images_per_second > 0
    assert result.validation_images == 240  # 10% of the 2,400 training images, stratified


def test_training_is_deterministic_for_a_seed():
    def run():
        set_seed(3)
        model = build_model("baseline", 4)
        result = train_for(model, bars(), 2, batch_size=32)
        return result.history, model.predict(to_input(bars().x_test), verbose=0)
    (h1, p1), (h2, p2) = run(), run()
    assert h1 == h2 and np.array_equal(p1, p2)


def test_training_refuses_a_model_of_the_wrong_width():
    with pytest.raises(DataError, match="has 5 outputs but the data has 4 classes"):
        train_for(build_model("baseline", 5), bars(), 1)


class StopAfter(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.stop_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.stop_epoch:
            raise KeyboardInterrupt("simulated interruption")


def test_an_interrupted_run_continues_where_it_stopped(tmp_path):
    d = bars()
    set_seed(0)
    model = build_model("baseline", 4)
    with pytest.raises(KeyboardInterrupt):
        train_for(model, d, 4, run_dir=tmp_path, patience=10, callbacks=[StopAfter(1)])
    assert (tmp_path / "backup").exists()
    result = train_for(build_model("baseline", 4), d, 4, run_dir=tmp_path, patience=10)
    assert result.epochs_run == 2  # epochs 3 and 4 only
    assert history_epochs(tmp_path) == ["0", "1", "2", "3"]  # appended to, not restarted
    assert (tmp_path / "logs").exists()


def history_epochs(run_dir) -> list[str]:
    rows = (run_dir / "history.csv").read_text().strip().splitlines()
    assert rows[0].startswith("epoch,")
    return [r.split(",")[0] for r in rows[1:]]


def test_a_new_training_in_the_same_folder_starts_a_new_history(tmp_path):
    d = bars()
    train_for(build_model("baseline", 4), d, 2, run_dir=tmp_path, patience=10)
    first_logs = set((tmp_path / "logs").rglob("*.tfevents.*"))
    assert history_epochs(tmp_path) == ["0", "1"] and first_logs
    assert not (tmp_path / "backup").exists()  # a finished training leaves nothing to resume
    result = train_for(build_model("baseline", 4), d, 2, run_dir=tmp_path, patience=10)
    assert result.epochs_run == 2 and history_epochs(tmp_path) == ["0", "1"]
    later_logs = set((tmp_path / "logs").rglob("*.tfevents.*"))
    assert later_logs and not later_logs & first_logs


def test_save_and_load_round_trip(tmp_path):
    d = bars()
    model = build_model("az_bn", 4)
    x = to_input(d.x_test)
    before = model.predict(x, verbose=0)
    path = save_model(model, tmp_path / "m", d.classes, dataset="bars")
    assert path.name == "m.keras" and not list(tmp_path.glob(".*"))
    loaded, info = load_model(path)
    assert np.array_equal(loaded.predict(x, verbose=0), before)
    assert info["classes"] == list("ABCD") and info["dataset"] == "bars"
    assert info["preprocessing"]["scale"] == pytest.approx(1 / 255)


def test_load_model_errors_name_the_file(tmp_path):
    with pytest.raises(DataError, match="no such model file"):
        load_model(tmp_path / "missing.keras")
    path = save_model(build_model("baseline", 4), tmp_path / "m", "ABCD")
    path.with_suffix(".json").unlink()
    with pytest.raises(DataError, match="m.json: the classes file of m.keras is missing"):
        load_model(path)
    junk = tmp_path / "junk.keras"
    junk.write_bytes(b"not a model")
    junk.with_suffix(".json").write_text(json.dumps({"classes": ["A", "B"]}))
    with pytest.raises(DataError, match="junk.keras: not a Keras model file"):
        load_model(junk)
    with pytest.raises(DataError, match="predicts 4 classes but 3 class names"):
        save_model(build_model("baseline", 4), tmp_path / "x", "ABC")


MIRRORED = textwrap.dedent("""
    import numpy as np, tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from helpers.data import Dataset
    from helpers.learn.models import build_model
    from support.training import bars, train_for
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (96, 28, 28), dtype=np.uint8)
    y = np.arange(96) % 3
    d = Dataset(x[:64], y[:64], x[64:], y[64:], classes=("a", "b", "c"), name="m")
    with strategy.scope():
        model = build_model("baseline", 3)
    result = train_for(model, d, 1, batch_size=16)
    print(strategy.num_replicas_in_sync, model.distribute_strategy is strategy,
          np.isfinite(result.history["loss"][0]))
    # Where several GPUs are seen, build_model builds under a MirroredStrategy of its own
    # (here over the one CPU: MirroredStrategy() takes the GPUs, else the CPU).
    from helpers.learn import hardware
    hardware.distributes = lambda gpus: True
    wired = build_model("baseline", 3)
    result = train_for(wired, d, 1, batch_size=16)
    print(type(wired.distribute_strategy).__name__, np.isfinite(result.history["loss"][0]))
""")


def test_a_real_training_step_under_mirrored_strategy():
    tests = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", MIRRORED], capture_output=True, text=True,
                         timeout=300, env={**os.environ, "PYTHONPATH": tests})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["2", "True", "True", "MirroredStrategy", "True"]


def test_predictor_matches_the_model_for_one_and_many_images():
    from helpers.learn.predict import Predictor

    d = bars()
    model = build_model("digits_small", 4)
    predictor = Predictor(model)
    expected = model.predict(to_input(d.x_test), verbose=0)
    assert np.allclose(predictor(d.x_test), expected, atol=1e-6)
    assert np.allclose(predictor(d.x_test[0]), expected[:1], atol=1e-6)
    with pytest.raises(DataError, match="uint8"):
        predictor(d.x_test.astype(np.float32))
