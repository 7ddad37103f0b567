from otter.test_files import test_case

from helpers.exercises import close

OK_FORMAT = False
name = "dropout_scale"


@test_case(success_message="Keras multiplies the inputs it keeps by 1 / (1 − rate) during "
                           "training, so their sum stays the same on average; at test time "
                           "nothing is dropped and nothing scaled, and the next layer sees "
                           "sums of the size it was trained on.",
           failure_message="Hint: the kept inputs make up for the dropped ones, so that the sum "
                           "stays the same on average. Or call `keras.layers.Dropout(0.2)` on a "
                           "batch of ones with `training=True` and look.")
def test_dropout_scale(dropout_scale):
    import keras
    import numpy as np

    kept = np.asarray(keras.layers.Dropout(0.2, seed=0)(np.ones(1000, "float32"), training=True))
    close(dropout_scale, float(kept.max()), "dropout_scale", within=0.01)
