from otter.test_files import test_case

from helpers.exercises import equal

OK_FORMAT = False
name = "last_map_size_32"


@test_case(success_message="Each block's unpadded 3×3 convolution loses two pixels and its "
                           "pooling halves what is left, rounding down; what Flatten hands on "
                           "grows with the square of that last size.",
           failure_message="Hint: go block by block as the list under the network does, "
                           "starting from 32: two pixels fewer, then half, rounded down.")
def test_last_map_size_32(last_map_size_32, run):
    from helpers.exercises.variants import rebuilt
    from helpers.learn.anatomy import receptive_fields

    channels = run.model.input_shape[-1]
    last = receptive_fields(rebuilt(run.model, input_shape=(32, 32, channels)))[-1]
    equal(last_map_size_32, int(last["output"].split("×")[0]), "last_map_size_32")
