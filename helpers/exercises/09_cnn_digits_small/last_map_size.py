from otter.test_files import test_case

from helpers.exercises import equal

OK_FORMAT = False
name = "last_map_size"


@test_case(success_message="Right: each block's unpadded convolution loses two pixels and its "
                           "pooling halves what is left (rounding down).",
           failure_message="Hint: 28 → 26 → 13 is the first block; go on block by block.")
def test_last_map_size(last_map_size, run):
    from helpers.learn.anatomy import receptive_fields

    last = receptive_fields(run.model)[-1]
    equal(last_map_size, int(last["output"].split("×")[0]), "last_map_size")
