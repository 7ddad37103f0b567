from otter.test_files import test_case

from helpers.exercises import equal

OK_FORMAT = False
name = "two_conv_field"


@test_case(success_message="Right: the second 3×3 convolution looks at 3×3 units of the first, "
                           "each of which saw 3×3 pixels, overlapping: 3 + (3 − 1) = 5.",
           failure_message="Hint: each further k×k convolution (stride 1) widens the receptive "
                           "field by k − 1 pixels; the first one sees 3×3.")
def test_two_conv_field(two_conv_field, run):
    from helpers.learn.anatomy import receptive_fields

    second = receptive_fields(run.model)[1]
    equal(two_conv_field, int(second["receptive field"].split("×")[0]), "two_conv_field")
