"""The device that trains, the precision it trains in, the strategy over several GPUs, and a
real training in mixed float16 (on the CPU, slowly, as on a GPU)."""

import math
import warnings
from dataclasses import replace

import keras
import numpy as np
import pytest
import tensorflow as tf
from support.training import bars

from helpers.errors import ConfigError
from helpers.learn import hardware
from helpers.learn.models import build_model, load_model, save_model
from helpers.learn.recipe import BEST, Recipe, train_network

H100 = {"device_name": "NVIDIA H100 80GB HBM3", "compute_capability": (9, 0)}
V100 = {"device_name": "Tesla V100-SXM2-16GB", "compute_capability": (7, 0)}
P100 = {"device_name": "Tesla P100-PCIE-16GB", "compute_capability": (6, 0)}
GTX1080 = {"device_name": "NVIDIA GeForce GTX 1080", "compute_capability": (6, 1)}
SAPPHIRE = "flags : fpu avx512f avx512_bf16 amx_bf16 amx_tile"
ZEN4 = "flags : fpu avx2 avx512f avx512_bf16"
SKYLAKE = "flags : fpu avx2 avx512f avx512_vnni"


def test_a_gpu_with_tensor_cores_trains_in_mixed_float16_an_older_one_in_float32():
    assert hardware.choose_precision(None, [H100], SKYLAKE) == "mixed_float16"
    assert hardware.choose_precision(None, [V100], SAPPHIRE) == "mixed_float16"  # the edge: 7.0
    assert hardware.choose_precision(None, [GTX1080], SAPPHIRE) == "float32"  # 6.1: the GPU's
    assert hardware.choose_precision(None, [P100], SKYLAKE) == "float32"
    # Several GPUs train in one precision: float16 only if every one has tensor cores.
    assert hardware.choose_precision(None, [H100, GTX1080], SKYLAKE) == "float32"
    assert hardware.choose_precision(None, [H100, V100], SKYLAKE) == "mixed_float16"
    assert hardware.choose_precision(None, [{"device_name": "?"}], SKYLAKE) == "float32"


def test_a_cpu_trains_in_bfloat16_only_with_bfloat16_instructions():
    assert hardware.choose_precision(None, [], SAPPHIRE) == "mixed_bfloat16"
    assert hardware.choose_precision(None, [], ZEN4) == "mixed_bfloat16"
    assert hardware.choose_precision(None, [], SKYLAKE) == "float32"
    assert hardware.choose_precision(None, [], "") == "float32"
    # A flag is a whole word: avx512_bf16x is not avx512_bf16.
    assert hardware.choose_precision(None, [], "flags : avx512_bf16x") == "float32"


def test_ocr_precision_overrides_the_hardware_and_a_wrong_value_names_the_variable():
    assert hardware.choose_precision("float32", [H100], SAPPHIRE) == "float32"
    assert hardware.choose_precision(" mixed_float16 ", [], SKYLAKE) == "mixed_float16"
    assert hardware.choose_precision("", [], SAPPHIRE) == "mixed_bfloat16"  # unset
    with pytest.raises(ConfigError, match=r"OCR_PRECISION='bfloat16' is not a precision; use "
                                          r"one of float32, mixed_bfloat16, mixed_float16"):
        hardware.choose_precision("bfloat16", [H100], SAPPHIRE)


def test_this_machines_precision_reads_the_environment(monkeypatch):
    monkeypatch.setattr(hardware, "gpu_details", lambda: [GTX1080])
    monkeypatch.delenv(hardware.PRECISION_ENV, raising=False)
    assert hardware.precision() == "float32"
    monkeypatch.setattr(hardware, "gpu_details", lambda: [V100])
    assert hardware.precision() == "mixed_float16"
    monkeypatch.setenv(hardware.PRECISION_ENV, "float32")
    assert hardware.precision() == "float32"
    monkeypatch.setenv(hardware.PRECISION_ENV, "1")
    with pytest.raises(ConfigError, match="OCR_PRECISION='1'"):
        hardware.precision()


def test_the_device_is_named_by_its_gpus_else_its_cpu():
    assert hardware.device_text([H100]) == "NVIDIA H100 80GB HBM3 (GPU)"
    assert hardware.device_text([H100, H100]) == "2 × NVIDIA H100 80GB HBM3 (GPUs)"
    assert hardware.device_text([H100, V100]) == ("NVIDIA H100 80GB HBM3, Tesla V100-SXM2-16GB "
                                                  "(GPUs)")
    assert hardware.device_text([], cpu="AMD EPYC 9654") == "AMD EPYC 9654 (CPU)"
    # Here: this machine's CPU, as /proc/cpuinfo names it (TensorFlow sees no GPU in the tests).
    if not tf.config.list_physical_devices("GPU"):
        assert hardware.device_text() == f"{hardware.cpu_name()} (CPU)"


def test_training_is_split_among_gpus_only_where_there_are_several():
    assert not hardware.distributes([])
    assert not hardware.distributes(["/physical_device:GPU:0"])
    assert hardware.distributes(["/physical_device:GPU:0", "/physical_device:GPU:1"])
    if len(tf.config.list_physical_devices("GPU")) < 2:
        assert hardware.strategy() is tf.distribute.get_strategy()  # the default: one device
        assert build_model("baseline", 3).distribute_strategy is tf.distribute.get_strategy()


def test_a_network_is_built_in_the_precision_asked_for_its_softmax_in_float32():
    model = build_model("baseline", 3, precision="mixed_float16")
    assert model.dtype_policy.name == "mixed_float16"
    assert model.layers[0].compute_dtype == "float16" and model.layers[0].variable_dtype == \
        "float32"
    assert model.layers[-1].compute_dtype == "float32"
    assert keras.config.dtype_policy().name == "float32"  # the global policy is left alone
    with pytest.raises(ConfigError, match="unknown precision 'float16'"):
        build_model("baseline", 3, precision="float16")


def test_mixed_float16_trains_through_the_recipe_with_loss_scaling(monkeypatch, tmp_path):
    monkeypatch.setenv(hardware.PRECISION_ENV, "mixed_float16")
    dataset = bars(n=160)
    # The write-ups' recipe, its rate halved on a plateau (forced here: no fall counts).
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=0,
                                                min_delta=1e9)
    model, result = train_network("digits_small", Recipe(epochs=2, batch_size=32), dataset,
                                  callbacks=[plateau])
    # Keras wrapped the optimizer at compile: the loss is scaled so float16 gradients do not
    # underflow; the facts read the optimizer inside.
    assert type(model.optimizer).__name__ == "LossScaleOptimizer"
    assert result.facts["optimizer"] == "Adam" and result.facts["learning_rate"] == 0.001
    assert result.facts["mixed_precision"] == "mixed_float16"
    assert result.facts["device"] == hardware.device_text()
    assert result.epochs_run == 2 and all(math.isfinite(v) for v in result.history["loss"])
    assert float(model.optimizer.learning_rate) == pytest.approx(0.0005)  # the inner rate
    # The most accurate recipe: a cosine schedule and a moving average of the weights.
    model, result = train_network("digits_small", replace(BEST, epochs=1, batch_size=32),
                                  dataset)
    assert result.facts["schedule"]["name"] == "CosineDecay"
    assert math.isfinite(result.history["loss"][0])
    # Saved and loaded as the report reads it: the same probabilities.
    path = save_model(model, tmp_path / "m", dataset.classes)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing said about the optimizer it no longer needs
        again, _ = load_model(path)
    images = (dataset.x_test[:8].astype("float32") / 255)[..., None]
    assert np.allclose(again.predict(images, verbose=0), model.predict(images, verbose=0),
                       atol=1e-3)
