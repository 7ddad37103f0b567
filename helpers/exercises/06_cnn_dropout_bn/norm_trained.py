from otter.test_files import test_case

from helpers.exercises import equal

OK_FORMAT = False
name = "norm_trained"


@test_case(success_message="Gradient descent trains a scale and a shift per channel; the running "
                           "mean and variance are averaged from the batches, not trained, and "
                           "stand in for the batch's own at test time.",
           failure_message="Hint: of the four numbers the layer keeps per channel, which are "
                           "learned from the loss and which are running averages? How many "
                           "channels does the convolution before it have?")
def test_norm_trained(norm_trained, run):
    import keras
    import numpy as np

    norm = next(layer for layer in run.model.layers
                if isinstance(layer, keras.layers.BatchNormalization))
    right = sum(int(np.prod(weight.shape)) for weight in norm.trainable_weights)
    equal(norm_trained, right, "norm_trained")
