from otter.test_files import test_case

from helpers.exercises import equal

OK_FORMAT = False
name = "strided_block_shape"


@test_case(success_message="Right: stride 2 halves the map and the block widens it to its "
                           "filters; the skip needs a 1×1 convolution with the same stride so "
                           "the two can be added.",
           failure_message="Hint: a block with strides=2 and 64 filters on a 28×28×32 input: "
                           "what do the stride and the filters each change?")
def test_strided_block_shape(strided_block_shape):
    import keras

    inputs = keras.Input((28, 28, 32))
    outputs = keras.layers.Conv2D(64, 3, strides=2, padding="same")(inputs)
    answer = tuple(strided_block_shape) if isinstance(strided_block_shape, list | tuple) \
        else strided_block_shape
    equal(answer, tuple(outputs.shape[1:]), "strided_block_shape")
