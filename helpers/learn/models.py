"""The networks, one short function each, plus saving and loading them with their classes.

Every network takes float32 28×28×1 images in [0, 1] (see `helpers.learn.inputs`) and ends in a
softmax over the classes. The first six are the stacks of the write-ups this bundle reproduces;
`resnet` is the stronger network of this bundle.
"""

from __future__ import annotations

import json
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
from keras import layers

from helpers import paths
from helpers.data.cache import atomic_path
from helpers.errors import ConfigError, DataError
from helpers.learn.hardware import PRECISIONS, strategy
from helpers.learn.inputs import INPUT_SHAPE, PREPROCESSING, Framing

# Keras' default 0.99 needs thousands of steps before the running statistics used at inference
# forget their initial values; runs of a few hundred steps (small sets, few epochs on a CPU)
# then predict from wrong statistics. 0.9 (PyTorch's default) settles within ~50 steps.
BN_MOMENTUM = 0.9


def batch_norm() -> layers.BatchNormalization:
    return layers.BatchNormalization(momentum=BN_MOMENTUM)


def baseline(num_classes: int) -> keras.Model:
    """One convolution, one pooling, one dense layer (697,316 parameters for 36 classes)."""
    return keras.Sequential([
        keras.Input(INPUT_SHAPE),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(num_classes, activation="softmax", dtype="float32"),
    ], name="baseline")


def deep(num_classes: int) -> keras.Model:
    """Two convolutions before the pooling and a wider dense layer (2,387,620 for 36)."""
    return keras.Sequential([
        keras.Input(INPUT_SHAPE),
        layers.Conv2D(32, 3, activation="relu"),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(256, activation="relu"),
        layers.Dense(num_classes, activation="softmax", dtype="float32"),
    ], name="deep")


def dropout_bn(num_classes: int) -> keras.Model:
    """`deep` with batch normalisation after the first convolution and dropout 0.5 (2,387,748)."""
    return keras.Sequential([
        keras.Input(INPUT_SHAPE),
        layers.Conv2D(32, 3, activation="relu"),
        batch_norm(),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Dropout(0.5),
        layers.Flatten(),
        layers.Dense(256, activation="relu"),
        layers.Dense(num_classes, activation="softmax", dtype="float32"),
    ], name="dropout_bn")


def az_bn(num_classes: int) -> keras.Model:
    """75-50-25 filters with batch normalisation and dropout (265,075 parameters for 26)."""
    def block(filters: int, dropout: float = 0.0) -> list:
        return [layers.Conv2D(filters, 3, padding="same", activation="relu"),
                *([layers.Dropout(dropout)] if dropout else []),
                batch_norm(),
                layers.MaxPooling2D(2, strides=2, padding="same")]
    return keras.Sequential([
        keras.Input(INPUT_SHAPE),
        *block(75), *block(50, dropout=0.2), *block(25),
        layers.Flatten(),
        layers.Dense(512, activation="relu"),
        layers.Dropout(0.3),
        layers.Dense(num_classes, activation="softmax", dtype="float32"),
    ], name="az_bn")


def nist47(num_classes: int) -> keras.Model:
    """Seven convolutions with batch normalisation; strided 5×5 convolutions replace pooling."""
    def conv(filters: int, size: int, strides: int = 1) -> list:
        return [layers.Conv2D(filters, size, strides=strides, activation="relu",
                              padding="same" if strides > 1 else "valid"),
                batch_norm()]
    return keras.Sequential([
        keras.Input(INPUT_SHAPE),
        *conv(32, 3), *conv(32, 3), *conv(32, 5, strides=2), layers.Dropout(0.4),
        *conv(64, 3), *conv(64, 3), *conv(64, 5, strides=2), layers.Dropout(0.4),
        *conv(128, 4),
        layers.Flatten(),
        layers.Dropout(0.4),
        layers.Dense(num_classes, activation="softmax", dtype="float32"),
    ], name="nist47")


def digits_small(num_classes: int) -> keras.Model:
    """Convolutions 32/64/128 with pooling and dropout, then dense 64-128-64 (118,154 for 10)."""
    def block(filters: int) -> list:
        return [layers.Conv2D(filters, 3, activation="relu"), layers.MaxPooling2D(2),
                layers.Dropout(0.25)]
    return keras.Sequential([
        keras.Input(INPUT_SHAPE),
        *block(32), *block(64), *block(128),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(128, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(num_classes, activation="softmax", dtype="float32"),
    ], name="digits_small")


def resnet(num_classes: int, width: int = 32, skip: bool = True) -> keras.Model:
    """A small pre-activation residual network (He et al. 2016) sized for a CPU.

    Three stages of two residual blocks at 14×14, 7×7 and 4×4 (width, 2×width, 4×width
    filters): every stage halves the resolution, so most arithmetic happens on small maps.
    Global average pooling instead of a large dense layer, then dropout. `skip=False` builds
    the same stack without the identity shortcuts (to see what they change).
    """
    def residual(x, filters: int, strides: int = 1):
        shortcut = x
        x = batch_norm()(x)
        x = layers.Activation("relu")(x)
        if strides > 1 or shortcut.shape[-1] != filters:
            shortcut = layers.Conv2D(filters, 1, strides=strides, use_bias=False)(x)
        x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
        x = batch_norm()(x)
        x = layers.Activation("relu")(x)
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        return layers.Add()([x, shortcut]) if skip else x

    inputs = keras.Input(INPUT_SHAPE)
    x = layers.Conv2D(width, 3, padding="same", use_bias=False)(inputs)
    for filters in (width, 2 * width, 4 * width):
        x = residual(x, filters, strides=2)
        x = residual(x, filters)
    x = batch_norm()(x)
    x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="resnet")


ARCHITECTURES: dict[str, Callable[[int], keras.Model]] = {
    "baseline": baseline,
    "deep": deep,
    "dropout_bn": dropout_bn,
    "az_bn": az_bn,
    "nist47": nist47,
    "digits_small": digits_small,
    "resnet": resnet,
}


def build_model(name: str, num_classes: int, *, precision: str = "float32",
                builder: Callable[[int], keras.Model] | None = None) -> keras.Model:
    """A fresh, uncompiled network by name (see ARCHITECTURES), or the one `builder` returns
    (a network written in a notebook; `check_network` says first whether it fits the data).

    `precision` is the Keras dtype policy it computes in (`hardware.precision()` picks this
    machine's): "mixed_float16" or "mixed_bfloat16" compute in 16 bits and keep the weights
    and the softmax in float32, which roughly doubles speed where the hardware has that
    arithmetic. Where several GPUs are visible it is built under MirroredStrategy
    (`hardware.strategy`), and `fit` trains it under the same.
    """
    if builder is None and name not in ARCHITECTURES:
        raise ConfigError(f"unknown model {name!r}; the architectures are "
                          f"{', '.join(ARCHITECTURES)}")
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ConfigError(f"a classifier needs at least 2 classes, got num_classes={num_classes!r}")
    if precision not in PRECISIONS:
        raise ConfigError(f"unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}")
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        with strategy().scope():
            return (builder or ARCHITECTURES[name])(num_classes)
    finally:
        keras.config.set_dtype_policy(previous)


def check_network(builder: Callable[[int], keras.Model], num_classes: int,
                  image_shape: tuple[int, int, int] = (28, 28, 1)) -> keras.Model:
    """Build `builder(num_classes)` once, in float32, and say before any training what keeps it
    from fitting the data: not a Keras model, no or another input shape, another number of
    outputs, outputs that are not probabilities (no softmax at the end). Returns the model."""
    label = getattr(builder, "__name__", "the network function")
    try:
        model = builder(num_classes)
    except Exception as e:
        raise ConfigError(f"{label}({num_classes}) failed while building the network: "
                          f"{type(e).__name__}: {e}") from e
    if not isinstance(model, keras.Model):
        raise ConfigError(f"{label}({num_classes}) returned {type(model).__name__}, not a "
                          "keras.Model; return keras.Sequential([...]) or "
                          "keras.Model(inputs, outputs)")
    try:
        takes = tuple(model.input_shape[1:])
    except (AttributeError, ValueError):
        raise ConfigError(f"{label}: the network has no input shape; start it with "
                          f"keras.Input({image_shape})") from None
    if takes != image_shape:
        raise ConfigError(f"{label} takes inputs of shape {takes}, but the images are "
                          f"{image_shape} (28×28 pixels, one grey channel); start it with "
                          f"keras.Input({image_shape})")
    gives = tuple(model.output_shape[1:])
    if gives != (num_classes,):
        raise ConfigError(f"{label} ends in outputs of shape {gives}, but the dataset has "
                          f"{num_classes} classes: end it with layers.Dense({num_classes}, "
                          "activation=\"softmax\") (Dense(num_classes, ...) in the function)")
    probe = np.random.default_rng(0).random((4, *image_shape), dtype=np.float32)
    out = np.asarray(model(probe, training=False), dtype=np.float64)
    sums = out.sum(axis=1)
    if (out < 0).any() or not np.allclose(sums, 1.0, atol=1e-3):
        raise ConfigError(f"{label}'s outputs are not probabilities (on random images they sum "
                          f"to {sums.min():.2f} to {sums.max():.2f}, not 1): the last layer needs "
                          "activation=\"softmax\"; the training's loss expects one probability "
                          "per class")
    return model


def info_path(path: Path) -> Path:
    return path.with_suffix(".json")


def save_model(model: keras.Model, path: str | Path, classes, *,
               framing: Framing | None = None, **info) -> Path:
    """Write `<path>.keras` and beside it `<path>.json` with the classes and preprocessing.

    `framing` (`helpers.learn.inputs.framing_of` the training images) lets the photo reader frame
    characters the way this model saw them.
    """
    path = Path(path).with_suffix(".keras")
    classes = [str(c) for c in classes]
    if model.output_shape[-1] != len(classes):
        raise DataError(f"{model.name} predicts {model.output_shape[-1]} classes but "
                        f"{len(classes)} class names were given")
    with atomic_path(path, suffix=".keras") as tmp:
        model.save(tmp)
    preprocessing = dict(PREPROCESSING)
    if framing is not None:
        preprocessing["framing"] = framing.as_dict()
    meta = {"classes": classes, "architecture": model.name, "preprocessing": preprocessing,
            **info}
    with atomic_path(info_path(path)) as tmp:
        tmp.write_text(json.dumps(meta, indent=2))
    return path


def load_model(path: str | Path) -> tuple[keras.Model, dict]:
    """The model and its info (`classes`, `preprocessing`, …) as `save_model` wrote them."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such model file; train one with `make report` or "
                        "`python -m helpers train`")
    meta_path = info_path(path)
    if not meta_path.exists():
        raise DataError(f"{meta_path}: the classes file of {path.name} is missing; save models "
                        "with helpers.learn.models.save_model, which writes both")
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError) as e:
        raise DataError(f"{meta_path}: not a classes file ({e})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("classes"), list):
        raise DataError(f"{meta_path}: not a classes file (no list of classes in it)")
    classes = meta["classes"]
    try:
        with warnings.catch_warnings():
            # A mixed_float16 model was saved with its loss-scaling optimizer and is compiled on
            # loading with the plain one, whose state Keras then skips: it would matter only to
            # training the model on, and the bundle loads models to predict.
            warnings.filterwarnings("ignore", "Skipping variable loading for optimizer")
            model = keras.models.load_model(path)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as e:
        raise DataError(f"{path}: not a Keras model file ({e})") from None
    if model.output_shape[-1] != len(classes):
        raise DataError(f"{path}: the model predicts {model.output_shape[-1]} classes but "
                        f"{meta_path.name} lists {len(classes)}")
    return model, meta


NO_MODEL_HINT = ("run `make model` (the most accurate recipe on EMNIST) or `make report` (it "
                 "saves one model per network), or train one with `python -m helpers train "
                 "--dataset glyphs --model az_bn --out model.keras` and pass it with --model")

# Where `make model` saves the default reader, under outputs/.
DEFAULT_READER = Path("model") / "reader.keras"


def default_model() -> Path:
    """The model used when none is named: the reader `make model` trained, when there is one,
    else the most accurate model of the latest `make report` run."""
    reader = paths.outputs_dir() / DEFAULT_READER
    if reader.exists() and info_path(reader).exists():
        return reader
    return latest_model()


def latest_model(run: str | Path | None = None) -> Path:
    """The most accurate model of a report run, by default the latest (`outputs/latest`)."""
    run = Path(run) if run is not None else paths.outputs_dir() / "latest"
    found = []
    for meta_path in sorted((run / "models").glob("*.json")):
        try:
            accuracy = float(json.loads(meta_path.read_text()).get("accuracy", 0.0))
        except (OSError, ValueError, TypeError):
            continue
        if meta_path.with_suffix(".keras").exists():
            found.append((accuracy, meta_path.with_suffix(".keras")))
    if not found:
        raise DataError(f"no trained model in {run / 'models'}; {NO_MODEL_HINT}")
    return max(found, key=lambda f: f[0])[1]
