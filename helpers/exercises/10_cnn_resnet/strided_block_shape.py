from otter.test_files import test_case

from helpers.exercises import equal

OK_FORMAT = False
name = "strided_block_shape"


@test_case(success_message="Stride 2 halves the map and the block's convolutions give it as "
                           "many channels as it has filters; the skip needs a 1×1 convolution "
                           "with the same stride, so that the two can be added.",
           failure_message="Hint: a block with `strides=2` and 64 filters on a 28×28×32 input: "
                           "what does the stride change, and what the filters? Give (height, "
                           "width, channels).")
def test_strided_block_shape(strided_block_shape):
    import keras

    inputs = keras.Input((28, 28, 32))
    outputs = keras.layers.Conv2D(64, 3, strides=2, padding="same")(inputs)
    equal(strided_block_shape, tuple(outputs.shape[1:]), "strided_block_shape")
