from otter.test_files import test_case

from helpers.exercises import equal

OK_FORMAT = False
name = "valid_pool_inputs"


@test_case(success_message="A valid pooling drops the row and column that do not fill a window, "
                           "a same pooling pads them: on odd sizes the choice decides what the "
                           "network keeps of the character's edge, and the size of the dense "
                           "layer after Flatten.",
           failure_message="Hint: a 2×2 pooling with `padding=\"valid\"` rounds an odd size down, "
                           "one with `padding=\"same\"` rounds it up; follow the three blocks, "
                           "then count the last block's filters.")
def test_valid_pool_inputs(valid_pool_inputs, run):
    from helpers.exercises.variants import flattened, rebuilt

    valid = rebuilt(run.model, MaxPooling2D={"padding": "valid"})
    equal(valid_pool_inputs, flattened(valid), "valid_pool_inputs")
