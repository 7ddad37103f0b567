from otter.test_files import test_case

from helpers.exercises import close

OK_FORMAT = False
name = "dropped_at_test"


@test_case(success_message="Right: dropout is active only in training; at test time every unit "
                           "is kept (Keras scales the kept units up during training instead, so "
                           "the sums match).",
           failure_message="Hint: call the Dropout layer on a batch of ones with training=False "
                           "and count the zeros.")
def test_dropped_at_test(dropped_at_test, run):
    import keras
    import numpy as np

    dropout = next(layer for layer in run.model.layers if isinstance(layer, keras.layers.Dropout))
    out = np.asarray(dropout(np.ones((64, 32), "float32"), training=False))
    close(dropped_at_test, float((out == 0).mean()), "dropped_at_test", within=0.01)
