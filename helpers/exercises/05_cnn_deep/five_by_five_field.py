from otter.test_files import test_case

from helpers.exercises import equal

OK_FORMAT = False
name = "five_by_five_field"


@test_case(success_message="Each further k×k convolution with stride 1 widens the field by "
                           "k − 1 pixels. Two 5×5 layers see as far as four 3×3 ones, with "
                           "more weights (2·25 against 4·9 per pair of channels) and fewer "
                           "non-linearities: why stacks of 3×3 convolutions are the rule.",
           failure_message="Hint: a unit of the first k×k convolution sees k×k pixels; each "
                           "further one with stride 1 adds k − 1.")
def test_five_by_five_field(five_by_five_field, run):
    from helpers.exercises.variants import rebuilt
    from helpers.learn.anatomy import receptive_fields

    rows = receptive_fields(rebuilt(run.model, Conv2D={"kernel_size": 5}))
    second = [row for row in rows if row["kind"] == "convolution"][1]
    equal(five_by_five_field, int(second["receptive field"].split("×")[0]),
          "five_by_five_field")
