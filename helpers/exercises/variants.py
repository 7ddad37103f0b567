"""Variants of a notebook's network for the self-checks: the same layers with one setting
changed (padding, kernel size, strides, the input's size, the number of outputs), built fresh
from the network's Keras configuration, so a check asks about a network the page does not
show and computes the answer from Keras itself. Nothing here trains.
"""

from __future__ import annotations

import copy

import keras

from helpers.errors import ConfigError


def rebuilt(model: keras.Model, *, input_shape: tuple[int, ...] | None = None,
            outputs: int | None = None, **settings: dict) -> keras.Model:
    """A fresh, untrained copy of `model` with `settings` changed on every layer of a class,
    e.g. `rebuilt(model, Conv2D={"padding": "same"})`, its input of `input_shape` (height,
    width, channels) and, with `outputs`, its last dense layer of that many units."""
    try:
        config = copy.deepcopy(model.get_config())
    except (NotImplementedError, TypeError) as e:
        raise ConfigError(f"{model.name}: a network whose layers Keras cannot list "
                          f"(get_config: {e}); build it with keras.Sequential or "
                          "keras.Model(inputs, outputs)") from None
    layers = config.get("layers") or []
    config.pop("build_input_shape", None)
    dense = [entry for entry in layers if entry["class_name"] == "Dense"]
    for entry in layers:
        entry.pop("build_config", None)  # built again for the new shapes
        entry["config"].update(settings.get(entry["class_name"], {}))
        if entry["class_name"] == "InputLayer" and input_shape is not None:
            entry["config"]["batch_shape"] = (None, *input_shape)
    if outputs is not None:
        if not dense:
            raise ConfigError(f"{model.name} has no dense layer to give {outputs} outputs")
        dense[-1]["config"]["units"] = outputs
    return type(model).from_config(config)


def flattened(model: keras.Model) -> int:
    """How many numbers the model's Flatten layer hands on."""
    found = [layer for layer in model.layers if isinstance(layer, keras.layers.Flatten)]
    if not found:
        raise ConfigError(f"{model.name} has no Flatten layer")
    return int(found[0].output.shape[-1])
