from otter.test_files import test_case

from helpers.exercises import equal

OK_FORMAT = False
name = "colour_conv_parameters"


@test_case(success_message="Each filter now has k·k weights for each of three channels, so the "
                           "weights triple while the biases, one per filter, stay: colour "
                           "costs the first layer little and the layers after it nothing.",
           failure_message="Hint: a k×k convolution from c channels to f filters has k·k·c·f "
                           "weights plus f biases; of those, only c changes.")
def test_colour_conv_parameters(colour_conv_parameters, run):
    from helpers.exercises.variants import rebuilt
    from helpers.learn.anatomy import conv_layers

    height, width = run.model.input_shape[1:3]
    colour = rebuilt(run.model, input_shape=(height, width, 3))
    equal(colour_conv_parameters, conv_layers(colour)[0].count_params(),
          "colour_conv_parameters")
