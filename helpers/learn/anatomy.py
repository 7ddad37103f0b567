"""What a network is made of, read from the network itself: the code that builds it, where its
parameters sit and how each layer's count comes about, and how far each layer sees.

Everything here is computed from `helpers.learn.models` (the builder's source, a built model's
layers), so the notebooks and the report can show it without a second copy that could drift.
"""

from __future__ import annotations

import inspect

import keras
from keras import layers

from helpers.errors import ConfigError
from helpers.learn import models


def source(name: str) -> str:
    """The Python source of the function that builds network `name`, with the helper it uses
    for batch normalisation when it uses one: what `build_model(name, …)` runs."""
    if name not in models.ARCHITECTURES:
        raise ConfigError(f"unknown model {name!r}; the architectures are "
                          f"{', '.join(models.ARCHITECTURES)}")
    code = inspect.getsource(models.ARCHITECTURES[name])
    if "batch_norm()" in code:
        helper = inspect.getsource(models.batch_norm)
        code = f"BN_MOMENTUM = {models.BN_MOMENTUM}\n\n\n{helper}\n\n{code}"
    return code


def function_source(function) -> str | None:
    """The source of a function written anywhere, a notebook cell included (IPython keeps the
    cells' code where `inspect` finds it); None where there is none to find."""
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return None


def _kernel(layer) -> tuple[int, int]:
    size = layer.kernel_size
    return (size, size) if isinstance(size, int) else tuple(size)


def _stride(layer) -> int:
    strides = getattr(layer, "strides", 1)
    strides = strides if strides is not None else getattr(layer, "pool_size", 1)
    return strides if isinstance(strides, int) else int(strides[0])


def parameter_arithmetic(layer) -> str | None:
    """How `layer`'s parameter count comes about, e.g. "3·3·1·32 + 32 = 320"; None for layers
    without parameters."""
    count = layer.count_params()
    if not count:
        return None
    if isinstance(layer, layers.Conv2D):
        kh, kw = _kernel(layer)
        inputs = layer.input.shape[-1]
        text = f"{kh}·{kw}·{inputs}·{layer.filters}"
        if layer.use_bias:
            text += f" + {layer.filters}"
    elif isinstance(layer, layers.Dense):
        inputs = layer.input.shape[-1]
        text = f"{inputs}·{layer.units}" + (f" + {layer.units}" if layer.use_bias else "")
    elif isinstance(layer, layers.BatchNormalization):
        text = f"4·{layer.input.shape[-1]}"  # scale, shift, moving mean, moving variance
    else:
        return f"{count:,}"
    return f"{text} = {count:,}"


def kind_of(layer) -> str:
    """"convolution", "dense", "batch normalisation" or the layer's class name."""
    if isinstance(layer, layers.Conv2D):
        return "convolution"
    if isinstance(layer, layers.Dense):
        return "dense"
    if isinstance(layer, layers.BatchNormalization):
        return "batch normalisation"
    return type(layer).__name__


def layer_table(model: keras.Model) -> list[dict]:
    """One row per layer with parameters: its name, kind, output shape, parameters and how the
    count comes about."""
    return [{"layer": layer.name, "kind": kind_of(layer),
             "output": "×".join(str(d) for d in layer.output.shape[1:]),
             "parameters": layer.count_params(), "arithmetic": parameter_arithmetic(layer)}
            for layer in model.layers if layer.count_params()]


def parameters_by_kind(model: keras.Model) -> dict[str, int]:
    """Parameters of the network summed per kind of layer (convolution, dense, …)."""
    totals: dict[str, int] = {}
    for row in layer_table(model):
        totals[row["kind"]] = totals.get(row["kind"], 0) + row["parameters"]
    return totals


def receptive_fields(model: keras.Model) -> list[dict]:
    """How many input pixels each convolution or pooling layer's units see, layer by layer
    (for a chain of layers, as the Sequential networks are): the receptive field grows by
    (kernel − 1) × the product of the strides before it."""
    size, jump, rows = 1, 1, []
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            kernel = _kernel(layer)[0]
        elif isinstance(layer, layers.MaxPooling2D | layers.AveragePooling2D):
            pool = layer.pool_size
            kernel = pool if isinstance(pool, int) else pool[0]
        else:
            continue
        size += (kernel - 1) * jump
        jump *= _stride(layer)
        shape = layer.output.shape
        rows.append({"layer": layer.name, "kind": kind_of(layer), "kernel": kernel,
                     "stride": _stride(layer), "output": f"{shape[1]}×{shape[2]}",
                     "receptive field": f"{min(size, 28)}×{min(size, 28)}",
                     "sees": min(1.0, size * size / 28**2)})
    return rows


def conv_layers(model: keras.Model) -> list:
    """The model's convolutions in order (the layers whose filters and maps can be shown)."""
    return [layer for layer in model.layers if isinstance(layer, layers.Conv2D)]


def last_spatial_conv(model: keras.Model, minimum: int = 4):
    """The last layer with a spatial output of at least `minimum`×`minimum` pixels and
    channels (where Grad-CAM looks): a convolution, or in a residual network the addition
    that ends a block."""
    found = None
    for layer in model.layers:
        shape = getattr(layer, "output", None)
        shape = getattr(shape, "shape", None)
        if (shape is not None and len(shape) == 4 and shape[1] >= minimum
                and isinstance(layer, layers.Conv2D | layers.Add | layers.Activation)):
            found = layer
    if found is None:
        raise ConfigError(f"{model.name} has no layer with a {minimum}×{minimum} or larger map")
    return found


def multiply_adds(model: keras.Model) -> int:
    """Multiply-adds of one image's forward pass through the convolutions and dense layers,
    which hold nearly all of a CNN's arithmetic: per output position, a convolution does
    kh·kw·C_in/groups multiply-adds for each of its filters, a dense layer C_in for each unit.
    Training costs about three times this per image (forward, plus the gradients of the
    inputs and of the weights), and each multiply-add is two floating-point operations."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D | layers.Dense):
            positions = 1
            for size in layer.output.shape[1:-1]:
                positions *= int(size)
            weights = 1
            for size in layer.kernel.shape:
                weights *= int(size)
            total += positions * weights
    return total


def training_flops(model: keras.Model) -> int:
    """Floating-point operations to train on one image: 2 per multiply-add, three passes."""
    return 6 * multiply_adds(model)


def traits(model: keras.Model) -> dict[str, int]:
    """What a network has, counted from its layers, for a report to argue from: convolutions,
    dense layers (the output included), batch normalisations, dropout layers, pooling layers,
    skip connections (additions), and its multiply-adds per image."""
    def count(*kinds) -> int:
        return sum(isinstance(layer, kinds) for layer in model.layers)

    return {"convolutions": count(layers.Conv2D), "dense": count(layers.Dense),
            "batch_norm": count(layers.BatchNormalization), "dropout": count(layers.Dropout),
            "pooling": count(layers.MaxPooling2D, layers.AveragePooling2D,
                             layers.GlobalAveragePooling2D),
            "skips": count(layers.Add), "multiply_adds": multiply_adds(model)}
