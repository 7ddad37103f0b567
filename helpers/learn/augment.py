"""Augmentation as Keras preprocessing layers inside a tf.data pipeline.

The same transformations as the write-ups' ImageDataGenerator (rotation ±10°, width/height shift
0.1, shear 0.1, zoom 0.1, no flip: a mirrored character is a different or no character), run as
layers on whole batches so they overlap with training instead of looping in Python.
ImageDataGenerator reads `shear_range=0.1` in degrees, so the write-ups' shear is a barely
visible slant; RandomShear takes the shear factor (the tangent), so that angle is converted.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from helpers.learn.inputs import SCALE, check_images

ROTATION = 10 / 360  # RandomRotation takes a fraction of a full turn
SHIFT = 0.1
SHEAR = 0.1  # degrees, as ImageDataGenerator's shear_range
ZOOM = 0.1


def augmentation(seed: int = 0) -> keras.Sequential:
    """The random transformations, applied only when called with training=True."""
    return keras.Sequential([
        keras.layers.RandomRotation(ROTATION, fill_mode="constant", seed=seed),
        keras.layers.RandomTranslation(SHIFT, SHIFT, fill_mode="constant", seed=seed + 1),
        keras.layers.RandomShear(math.tan(math.radians(SHEAR)), fill_mode="constant",
                                 seed=seed + 2),
        keras.layers.RandomZoom(ZOOM, ZOOM, fill_mode="constant", seed=seed + 3),
    ], name="augmentation")


def pipeline(images: np.ndarray, labels: np.ndarray, *, batch_size: int = 128,
             augment: bool | keras.Sequential = False, shuffle: bool = False, seed: int = 0,
             threads: int = 0) -> tf.data.Dataset:
    """uint8 images and labels -> batches of (float32 N×28×28×1 in [0, 1], int labels),
    augmented when `augment` is True (`augmentation(seed)`) or is the layers to apply.

    Images stay uint8 until a batch is formed (4× less memory than floats); scaling and
    augmentation run per batch, and the next batches are prepared while the model trains, on
    tf.data's own pool (a thread per core) or, with `threads`, a pool of that many. (Holding the
    pipeline to the kernels' one thread while two notebooks train at once did not help:
    `bench_train.py --only two-at-once`.)
    """
    images = check_images(images)
    labels = np.asarray(labels, dtype=np.int64)
    data = tf.data.Dataset.from_tensor_slices((images[..., None], labels))
    if shuffle:
        data = data.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    data = data.batch(batch_size)
    scale = tf.constant(SCALE, tf.float32)
    if augment:
        layers = augment if isinstance(augment, keras.Sequential) else augmentation(seed)
        data = data.map(lambda x, y: (layers(tf.cast(x, tf.float32) * scale, training=True), y),
                        num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    else:
        data = data.map(lambda x, y: (tf.cast(x, tf.float32) * scale, y),
                        num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if threads:
        options = tf.data.Options()
        options.threading.private_threadpool_size = threads
        data = data.with_options(options)
    return data.prefetch(tf.data.AUTOTUNE)


def augmented_samples(images: np.ndarray, copies: int = 8, seed: int = 0) -> np.ndarray:
    """Each image followed by `copies` augmented versions: uint8 N×(copies+1)×28×28."""
    images = check_images(images)
    layers = augmentation(seed)
    batch = np.repeat(images[:, None], copies + 1, axis=1).reshape(-1, 28, 28, 1)
    out = np.array(layers(batch.astype(np.float32), training=True))
    out = out.reshape(len(images), copies + 1, 28, 28)
    out[:, 0] = images  # the originals, untouched
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
