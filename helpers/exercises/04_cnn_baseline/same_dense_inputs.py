from otter.test_files import test_case

from helpers.exercises import equal

OK_FORMAT = False
name = "same_dense_inputs"


@test_case(success_message="Padding keeps the convolution's map as large as the image, the "
                           "pooling halves it, and Flatten lines up every position of every "
                           "map: a border of zeros makes the dense layer, which weighs each of "
                           "them, that much larger.",
           failure_message="Hint: `padding=\"same\"` keeps the convolution's output as large as "
                           "its input; then follow the pooling and Flatten as the list under "
                           "the network does.")
def test_same_dense_inputs(same_dense_inputs, run):
    from helpers.exercises.variants import flattened, rebuilt

    padded = rebuilt(run.model, Conv2D={"padding": "same"})
    equal(same_dense_inputs, flattened(padded), "same_dense_inputs")
