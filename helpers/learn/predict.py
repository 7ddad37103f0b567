"""Class probabilities of uint8 images from a trained network, two ways.

`probabilities(model, images)` scores a whole array (a test split) in batches. `Predictor` is
for one image (or a few) at a time, as a reader or a web server asks: `model.predict` sets up a
whole data pipeline on every call, which costs milliseconds before any arithmetic, so `Predictor`
traces the model once into a graph for a fixed input shape and reuses it, and a warm
single-image call costs about what the network's arithmetic costs.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from helpers.errors import ConfigError, DataError
from helpers.learn.inputs import INPUT_SHAPE, check_images, to_input


class Predictor:
    """Call with uint8 images (N×28×28) to get class probabilities (N×K, float32)."""

    def __init__(self, model: keras.Model):
        self.model = model
        self._forward = tf.function(
            lambda x: tf.cast(model(x, training=False), tf.float32),
            input_signature=[tf.TensorSpec((None, *INPUT_SHAPE), tf.float32)],
            reduce_retracing=True)
        self._forward(tf.zeros((1, *INPUT_SHAPE)))  # trace now, not on the first request

    def __call__(self, images: np.ndarray) -> np.ndarray:
        images = np.asarray(images)
        if images.ndim == 2:
            images = images[None]
        inputs = to_input(images)
        if not len(inputs):  # no rows, not a call: convolutions refuse an empty batch
            return np.zeros((0, self.model.output_shape[-1]), np.float32)
        return self._forward(tf.constant(inputs)).numpy()


def probabilities(model, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Class probabilities (N×K float32) of a whole array of raw uint8 N×28×28 images.

    Scales one batch at a time (no float copy of the whole set) and calls `predict_on_batch`,
    which measured faster than `model.predict` and `model(x)` on CPU. A model ending in logits
    rather than softmax gets a softmax here, so rows always sum to 1.
    """
    images = check_images(images)
    if len(images) == 0:
        raise DataError("no images to predict (got an empty array)")
    if batch_size < 1:
        raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
    parts = [np.asarray(model.predict_on_batch(to_input(images[i:i + batch_size])))
             for i in range(0, len(images), batch_size)]
    proba = np.concatenate(parts).astype(np.float32, copy=False)
    if proba.ndim != 2:
        raise DataError(f"model output must be one score per class (N×K), got shape {proba.shape}")
    if proba.min() < 0 or not np.allclose(proba.sum(axis=1), 1, atol=1e-3):
        shifted = np.exp(proba - proba.max(axis=1, keepdims=True))
        proba = shifted / shifted.sum(axis=1, keepdims=True)
    return proba
