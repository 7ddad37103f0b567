from otter.test_files import test_case

from helpers.exercises import equal

OK_FORMAT = False
name = "unstrided_field"


@test_case(success_message="With stride 1 everywhere each layer adds only its kernel − 1 "
                           "pixels, and seven convolutions see less than the character. A "
                           "stride of 2 doubles what every later layer adds: that is how this "
                           "network sees the whole image without a dense layer.",
           failure_message="Hint: with stride 1 each k×k convolution adds k − 1 pixels to what "
                           "the layer below it saw; start from one pixel and go down the list "
                           "of convolutions.")
def test_unstrided_field(unstrided_field, run):
    from helpers.exercises.variants import rebuilt
    from helpers.learn.anatomy import receptive_fields

    rows = receptive_fields(rebuilt(run.model, Conv2D={"strides": 1}))
    last = [row for row in rows if row["kind"] == "convolution"][-1]
    equal(unstrided_field, int(last["receptive field"].split("×")[0]), "unstrided_field")
