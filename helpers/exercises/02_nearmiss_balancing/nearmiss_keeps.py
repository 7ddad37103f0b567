from otter.test_files import test_case

from helpers.exercises import equal

OK_FORMAT = False
name = "nearmiss_keeps"


@test_case(success_message="Right: NearMiss under-samples every class to the size of the smallest, "
                           "so the training set shrinks to that number times the classes.",
           failure_message="Hint: NearMiss keeps, for every class, as many images as the smallest "
                           "class has; balanced.before counts them.")
def test_nearmiss_keeps(nearmiss_keeps, balanced):
    before = balanced.before[balanced.before > 0]
    equal(nearmiss_keeps, int(before.min()), "nearmiss_keeps")
