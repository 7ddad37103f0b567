"""Low-latency prediction for one image (or a few) at a time.

`model.predict` sets up a whole data pipeline on every call, which costs milliseconds before any
arithmetic. `Predictor` traces the model once into a graph for a fixed input shape and reuses it,
so a warm single-image call costs about what the network's arithmetic costs.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from helpers.inputs import INPUT_SHAPE, to_input


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
        return self._forward(tf.constant(to_input(images))).numpy()
