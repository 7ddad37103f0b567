from otter.test_files import test_case

from helpers.exercises import equal

OK_FORMAT = False
name = "significant_after_holm"


@test_case(success_message="Right: only those comparisons survive Holm's correction; for the "
                           "others the test set cannot tell the best from the network it faces.",
           failure_message="Hint: count the rows of the paired tests table whose corrected "
                           "p-value is below 0.05.")
def test_significant_after_holm(significant_after_holm, metrics):
    from helpers.learn.stats import against_best

    right = sum(row["significant"] for row in against_best(metrics))
    equal(significant_after_holm, right, "significant_after_holm")
