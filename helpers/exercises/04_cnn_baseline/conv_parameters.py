from otter.test_files import test_case

from helpers.exercises import equal

OK_FORMAT = False
name = "conv_parameters"


@test_case(success_message="Right: each of the 32 filters has 3·3·1 weights (one input channel) "
                           "and one bias.",
           failure_message="Hint: a k×k convolution from c channels to f filters has k·k·c·f "
                           "weights plus f biases; a grey image has one channel.")
def test_conv_parameters(conv_parameters, run):
    from helpers.learn.anatomy import conv_layers

    equal(conv_parameters, conv_layers(run.model)[0].count_params(), "conv_parameters")
