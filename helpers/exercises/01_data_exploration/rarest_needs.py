from otter.test_files import test_case

from helpers.exercises import class_counts, equal

OK_FORMAT = False
name = "rarest_needs"


@test_case(success_message="To bring the ratio down to 2 the rarest class needs at least half "
                           "the largest class's images. Collecting that many is rarely "
                           "possible, which is why the next notebook balances the classes "
                           "instead.",
           failure_message="Hint: the ratio is largest / smallest. Find the smallest count of "
                           "the rarest class that makes it at most 2 (round up), then subtract "
                           "what the rarest class has now.")
def test_rarest_needs(rarest_needs, dataset):
    import math

    counts = class_counts(dataset)
    right = max(0, math.ceil(counts.max() / 2) - int(counts.min()))
    equal(rarest_needs, right, "rarest_needs")
