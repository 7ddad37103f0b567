from otter.test_files import test_case

from helpers.exercises import close

OK_FORMAT = False
name = "augmentation_points"


@test_case(success_message="Right: that is the augmentation's effect on this run's network and "
                           "data; its interval says whether the test set can tell it from zero.",
           failure_message="Hint: subtract the accuracy of the last row (no augmentation) from "
                           "the first row's (the run's own method), in percentage points.")
def test_augmentation_points(augmentation_points, rows):
    right = 100 * (rows[0]["accuracy"] - rows[-1]["accuracy"])
    close(augmentation_points, right, "augmentation_points", within=0.15)
