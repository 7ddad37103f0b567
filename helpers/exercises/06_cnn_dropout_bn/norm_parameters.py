from otter.test_files import test_case

from helpers.exercises import equal

OK_FORMAT = False
name = "norm_parameters"


@test_case(success_message="Right: four numbers per channel: a learned scale and shift, and a "
                           "running mean and variance that are updated, not learned.",
           failure_message="Hint: count what batch normalisation keeps for each channel of the "
                           "layer before it (the parameters table lists it).")
def test_norm_parameters(norm_parameters, run):
    import keras

    norm = next(layer for layer in run.model.layers
                if isinstance(layer, keras.layers.BatchNormalization))
    equal(norm_parameters, norm.count_params(), "norm_parameters")
