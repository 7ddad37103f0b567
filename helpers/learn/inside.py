"""What a trained network sees: its first layer's filters, the maps they make of one character,
and which pixels decided an answer (gradient saliency and Grad-CAM).

Saliency is the size of the gradient of a class's score with respect to each input pixel, where
a small change of ink would change the answer most (averaged over noisy copies, SmoothGrad).
Grad-CAM (Selvaraju et al. 2017) weights a late convolution's maps by the mean gradient of the
class score over each map and keeps the positive part: coarser, but it shows the regions the
network's own features respond to.
Both are computed for any class, so a wrong answer can be explained against the right one.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from helpers.errors import ConfigError
from helpers.learn import stats
from helpers.learn.anatomy import conv_layers, last_spatial_conv
from helpers.learn.inputs import to_input


def first_filters(model: keras.Model) -> np.ndarray:
    """The first convolution's kernels as F×H×W (the input has one channel)."""
    convs = conv_layers(model)
    if not convs:
        raise ConfigError(f"{model.name} has no convolution")
    kernel = np.asarray(convs[0].kernel, dtype=np.float32)  # H×W×1×F
    return np.moveaxis(kernel[:, :, 0, :], -1, 0)


def _forward(model: keras.Model, x, layer):
    """(`layer`'s output, the model's output) for the input batch `x`, at inference.

    A Sequential network is run layer by layer (a loaded one's `layer.output` may belong to
    another call of the layer than its outputs); any other network through a probe model.
    """
    if isinstance(model, keras.Sequential):
        maps, out = None, x
        for step in model.layers:
            out = step(out, training=False)
            if step is layer:
                maps = out
        return maps, out
    probe = keras.Model(model.inputs[0], [layer.output, model.outputs[0]])
    maps, out = probe(x, training=False)
    return maps, out


def feature_maps(model: keras.Model, image: np.ndarray, layer=None) -> np.ndarray:
    """The maps (C×H×W) a convolution (by default the first) makes of one uint8 28×28 image."""
    layer = layer if layer is not None else conv_layers(model)[0]
    maps, _ = _forward(model, tf.constant(to_input(np.asarray(image)[None])), layer)
    return np.moveaxis(np.asarray(tf.cast(maps, tf.float32))[0], -1, 0)


def _class_scores(model: keras.Model, x: tf.Tensor, classes: np.ndarray) -> tf.Tensor:
    """Each image's log-probability of its class (softmax outputs): a smooth score."""
    probabilities = tf.cast(model(x, training=False), tf.float32)
    picked = tf.gather(probabilities, classes, axis=1, batch_dims=1)
    return tf.math.log(picked + 1e-9)


def saliency(model: keras.Model, images: np.ndarray, classes, *, samples: int = 16,
             noise: float = 0.1, seed: int = 0) -> np.ndarray:
    """|∂ log p(class) / ∂ pixel| for each uint8 image and its class, averaged over `samples`
    copies with Gaussian noise of `noise` (SmoothGrad, Smilkov et al. 2017: a single gradient
    is speckled), scaled to 0..1 per image (N×28×28)."""
    x = to_input(np.asarray(images))
    classes = np.asarray(classes, dtype=np.int32)
    rng = np.random.default_rng(seed)
    total = np.zeros(x.shape[:3], np.float32)
    for _ in range(samples):
        noisy = tf.constant(x + rng.normal(0, noise, x.shape).astype(np.float32))
        with tf.GradientTape() as tape:
            tape.watch(noisy)
            scores = _class_scores(model, noisy, classes)
        total += np.abs(np.asarray(tape.gradient(scores, noisy), np.float32))[..., 0]
    return _unit(total / samples)


def grad_cam(model: keras.Model, images: np.ndarray, classes, layer=None) -> np.ndarray:
    """Grad-CAM heat maps (N×28×28, 0..1 per image) of each image for its class, at `layer`
    (by default the last map of at least 7×7 pixels), resized to the input."""
    layer = layer if layer is not None else last_spatial_conv(model, minimum=7)
    x = tf.constant(to_input(np.asarray(images)))
    classes = np.asarray(classes, dtype=np.int32)
    with tf.GradientTape() as tape:
        maps, probabilities = _forward(model, x, layer)
        picked = tf.gather(tf.cast(probabilities, tf.float32), classes, axis=1, batch_dims=1)
        scores = tf.math.log(picked + 1e-9)
    gradient = tf.cast(tape.gradient(scores, maps), tf.float32)
    maps = tf.cast(maps, tf.float32)
    weights = tf.reduce_mean(gradient, axis=(1, 2), keepdims=True)
    cam = tf.nn.relu(tf.reduce_sum(weights * maps, axis=-1, keepdims=True))
    cam = tf.image.resize(cam, images.shape[1:3], method="bilinear")[..., 0]
    return _unit(np.asarray(cam, np.float32))


def _unit(maps: np.ndarray) -> np.ndarray:
    """Each map scaled to 0..1 (a map with no signal stays 0)."""
    top = maps.reshape(len(maps), -1).max(axis=1)
    return maps / np.where(top > 0, top, 1)[:, None, None]


def layer_outputs(model: keras.Model, images: np.ndarray, layer) -> np.ndarray:
    """What `layer` outputs for uint8 images (float32, as computed at inference)."""
    maps, _ = _forward(model, tf.constant(to_input(np.asarray(images))), layer)
    return np.asarray(tf.cast(maps, tf.float32))


def gradient_norms(model: keras.Model, images: np.ndarray, labels) -> list[tuple[str, float]]:
    """(layer, size of the loss gradient on its kernel) for every convolution wider than 1×1,
    input side first: how much of the training signal reaches each depth for one batch. (1×1
    projections on shortcuts are left out, so stacks with and without shortcuts line up.)"""
    x = tf.constant(to_input(np.asarray(images)))
    labels = tf.constant(np.asarray(labels, dtype=np.int32))
    loss = keras.losses.SparseCategoricalCrossentropy()
    convs = [layer for layer in conv_layers(model) if max(layer.kernel.shape[:2]) > 1]
    with tf.GradientTape() as tape:
        value = loss(labels, tf.cast(model(x, training=True), tf.float32))
    gradients = tape.gradient(value, [layer.kernel for layer in convs])
    return [(layer.name, float(tf.norm(tf.cast(g, tf.float32)))) for layer, g
            in zip(convs, gradients, strict=True) if g is not None]


INK = 64  # grey level above which a pixel is ink (the images are white on black, 0..255)


def near_ink(images: np.ndarray) -> np.ndarray:
    """Where each image (N×28×28) has ink or is one pixel from it."""
    from scipy.ndimage import maximum_filter

    return maximum_filter(np.asarray(images) > INK, size=(1, 3, 3))


def ink_share(maps: np.ndarray, images: np.ndarray) -> np.ndarray:
    """For each heat map (N×28×28), the share of its weight on the ink or one pixel from it."""
    ink = near_ink(images)
    total = maps.reshape(len(maps), -1).sum(axis=1)
    on = (maps * ink).reshape(len(maps), -1).sum(axis=1)
    return np.divide(on, total, out=np.zeros_like(total), where=total > 0)


def heat_map_reading(model: keras.Model, dataset, metrics: dict, n: int = 6) -> str:
    """What the Grad-CAM maps of the first `n` misclassified test images (those
    `plots.misclassified_heat_maps` shows) say (`attention_text`): how much of the weight for
    the answered class lies on the strokes against the share of the image they cover, and
    whether the network looked at the same places for the answered and the true class."""
    wrong = metrics.get("misclassified", [])[:n]
    if not wrong:
        return "There is no misclassified test image to explain."
    index = {c: i for i, c in enumerate(dataset.classes)}
    images = dataset.x_test[[w["index"] for w in wrong]]
    truth = [index[w["true"]] for w in wrong]
    answered = [index[w["predicted"]] for w in wrong]
    for_answer = grad_cam(model, images, answered)
    for_truth = grad_cam(model, images, truth)
    covered = near_ink(images).reshape(len(images), -1).mean(axis=1)
    flat_a, flat_t = for_answer.reshape(len(images), -1), for_truth.reshape(len(images), -1)
    alike = [float(np.corrcoef(a, t)[0, 1]) for a, t in zip(flat_a, flat_t, strict=True)
             if a.std() > 0 and t.std() > 0]
    return attention_text(ink_share(for_answer, images), covered, alike)


def attention_text(on_ink, covered, alike=()) -> str:
    """The heat maps' reading from their numbers: `on_ink` (each map's share of weight on or
    next to the strokes), `covered` (each image's share of pixels that are), `alike` (each
    image's correlation of the maps for the answered and the true class).

    Weight spread evenly would put on the strokes the share of the image they cover; the
    concentration is the ratio of the two. Whether the images put more weight on the strokes
    than that is decided by a sign test over the images (scipy's `binomtest`), so six images
    that lean both ways are said to be told apart from no preference only where they are."""
    from scipy.stats import binomtest

    on_ink, covered = np.asarray(on_ink, float), np.asarray(covered, float)
    n, weight, area = len(on_ink), float(np.mean(on_ink)), float(np.mean(covered))
    more = int(np.sum(on_ink > covered))
    less = int(np.sum(on_ink < covered))
    p = binomtest(more, more + less).pvalue if more + less else 1.0
    ratio = f"{weight / area:.1f}×" if area > 0 else "undefined"
    text = (f"On these {n} misclassified test images, {weight:.0%} of the Grad-CAM weight for "
            f"the class the network answered lies on the strokes or next to them, which cover "
            f"{area:.0%} of an image: a concentration of {ratio} on the strokes (1× is weight "
            f"spread evenly). {more} of the {n} maps put more of their weight on the strokes "
            f"than the strokes' share of the image (sign test {stats.p_text(p)}): ")
    if p >= stats.ALPHA:
        text += ("these maps cannot be told apart from weight spread evenly over the image.")
    elif more > less:
        text += "the maps are concentrated on the strokes, not spread over the background."
    else:
        text += "the maps lie more on the background than on the strokes."
    if alike:
        r = float(np.median(alike))
        text += (f" The maps for the answered and for the true class are alike (median "
                 f"correlation {r:.2f} over {len(alike)} images): the network looked at the "
                 "same places for both." if r >= 0.5 else
                 f" The maps for the answered and for the true class differ (median "
                 f"correlation {r:.2f} over {len(alike)} images): the network looked at other "
                 "places for the answered class than for the true one.")
    return text


def skip_gradient_reading(with_skips: list[list[tuple[str, float]]],
                          without: list[list[tuple[str, float]]]) -> str:
    """What `gradient_norms` of a stack with and without skip connections say, from the
    numbers of several batches (one list of (layer, norm) per batch, input side first): at how
    many depths which stack's gradient is larger (beyond the spread over the batches), and how
    much the gradient grows from the last convolution to the first in each, with its range
    over the batches; ranges that overlap cannot be told apart. It names no cause: the
    comparison holds for freshly initialised stacks and these batches only."""
    a = np.array([[v for _, v in batch] for batch in with_skips], float)
    b = np.array([[v for _, v in batch] for batch in without], float)
    if a.ndim != 2 or a.shape != b.shape or a.shape[1] < 2:
        raise ConfigError(f"need the same convolutions for both stacks over the same batches, "
                          f"got {a.shape} and {b.shape}")
    batches, depths = a.shape
    plain_larger = int(np.sum(b.min(axis=0) > a.max(axis=0)))
    skips_larger = int(np.sum(a.min(axis=0) > b.max(axis=0)))
    ratio = np.exp(np.mean(np.log(b / a), axis=0))  # plain over skips, per depth
    if plain_larger == depths:
        where = (f"At every one of the {depths} depths the plain stack's gradient is larger "
                 f"than with the skips ({ratio.min():.1f}× to {ratio.max():.1f}×)")
    elif skips_larger == depths:
        where = (f"At every one of the {depths} depths the gradient with the skips is larger "
                 f"than without them ({1 / ratio.max():.1f}× to {1 / ratio.min():.1f}×)")
    else:
        where = (f"The gradient is larger with the skips at {skips_larger} of the {depths} "
                 f"depths, larger without them at {plain_larger}, and the two overlap over "
                 f"the batches at {depths - plain_larger - skips_larger}")
    growth_a, growth_b = a[:, 0] / a[:, -1], b[:, 0] / b[:, -1]

    def grows(g: np.ndarray) -> str:
        return (f"{np.exp(np.mean(np.log(g))):.1f}-fold ({g.min():.1f} to {g.max():.1f} over "
                f"the {batches} batches)")

    text = (f"{where}. From the last convolution to the first, the gradient grows "
            f"{grows(growth_a)} with the skips and {grows(growth_b)} without them: ")
    if growth_a.min() > growth_b.max():
        text += "it grows more with the skips, over every batch."
    elif growth_b.min() > growth_a.max():
        text += "it grows more without the skips, over every batch."
    else:
        text += "over these batches the two cannot be told apart."
    if growth_b.min() >= 1:
        text += (" The plain stack's gradient does not fade on its way back to the first "
                 "convolution here, so at this depth, before training, there is no fading for "
                 "the skips to prevent.")
    return text
