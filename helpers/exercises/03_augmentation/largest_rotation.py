from otter.test_files import test_case

from helpers.exercises import close

OK_FORMAT = False
name = "largest_rotation"


@test_case(success_message="Right: RandomRotation takes a fraction of a full turn, so its factor "
                           "times 360 is the largest angle, either way.",
           failure_message="Hint: the augmentation table lists RandomRotation's factor, a "
                           "fraction of 360 degrees.")
def test_largest_rotation(largest_rotation):
    from helpers.learn.augment import ROTATION

    close(largest_rotation, ROTATION * 360, "largest_rotation", within=0.5)
