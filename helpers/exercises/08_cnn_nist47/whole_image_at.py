from otter.test_files import test_case

from helpers.exercises import equal

OK_FORMAT = False
name = "whole_image_at"


@test_case(success_message="Right: from that layer on, every unit can see the whole character, "
                           "and the strided convolutions are what got it there so early.",
           failure_message="Hint: read the receptive-field table down to the first row that "
                           "covers 28×28, counting only convolutions and poolings.")
def test_whole_image_at(whole_image_at, run):
    from helpers.learn.anatomy import receptive_fields

    rows = receptive_fields(run.model)
    right = next((i for i, row in enumerate(rows, 1) if row["sees"] >= 1), None)
    equal(whole_image_at, right, "whole_image_at")
