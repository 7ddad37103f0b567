from otter.test_files import test_case

from helpers.exercises import equal

OK_FORMAT = False
name = "your_parameters"


@test_case(success_message="Right: the count Keras reports is the sum over the layers of the "
                           "parameters table, weights and biases alike.",
           failure_message="Hint: work it out layer by layer (k·k·c·f + f for a convolution, "
                           "n·u + u for a dense layer), then compare with the table.")
def test_your_parameters(your_parameters, run):
    equal(your_parameters, run.model.count_params(), "your_parameters")
