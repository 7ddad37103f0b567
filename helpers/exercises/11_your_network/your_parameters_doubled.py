from otter.test_files import test_case

from helpers.exercises import equal

OK_FORMAT = False
name = "your_parameters_doubled"


@test_case(success_message="Only the output layer depends on the classes: one weight per input "
                           "and a bias for each new class. The layers that do the seeing are "
                           "the same for any number of classes.",
           failure_message="Hint: the number of classes is the units of your last `Dense` layer, "
                           "whose count is n·u + u (the table shows yours); the layers before "
                           "it do not change.")
def test_your_parameters_doubled(your_parameters_doubled, run):
    from helpers.exercises.variants import rebuilt

    classes = run.model.output_shape[-1]
    equal(your_parameters_doubled, rebuilt(run.model, outputs=2 * classes).count_params(),
          "your_parameters_doubled")
