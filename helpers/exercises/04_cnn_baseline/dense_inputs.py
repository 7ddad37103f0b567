from otter.test_files import test_case

from helpers.exercises import equal

OK_FORMAT = False
name = "dense_inputs"


@test_case(success_message="Right: 13·13 positions times 32 maps. Each of the dense layer's units "
                           "weighs every one of them, which is why that layer holds almost all "
                           "the parameters.",
           failure_message="Hint: the unpadded 3×3 convolution turns 28×28 into 26×26, pooling "
                           "halves that; Flatten lines up every position of every map.")
def test_dense_inputs(dense_inputs, run):
    import keras

    flatten = next(layer for layer in run.model.layers if isinstance(layer, keras.layers.Flatten))
    equal(dense_inputs, int(flatten.output.shape[-1]), "dense_inputs")
