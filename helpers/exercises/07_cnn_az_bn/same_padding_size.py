from otter.test_files import test_case

from helpers.exercises import equal

OK_FORMAT = False
name = "same_padding_size"


@test_case(success_message="Right: padding='same' adds a border of zeros so the map keeps the "
                           "input's size; only the pooling shrinks it.",
           failure_message="Hint: without padding a 3×3 convolution loses a pixel at each edge; "
                           "'same' pads them back.")
def test_same_padding_size(same_padding_size, run):
    from helpers.learn.anatomy import conv_layers

    equal(same_padding_size, int(conv_layers(run.model)[0].output.shape[1]), "same_padding_size")
