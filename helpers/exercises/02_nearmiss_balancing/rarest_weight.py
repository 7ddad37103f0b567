from otter.test_files import test_case

from helpers.exercises import class_counts, close

OK_FORMAT = False
name = "rarest_weight"


@test_case(success_message="Right: 'balanced' weights are n / (k · n_c), so the rarest class's "
                           "errors count the most, and a class of average size weighs 1.",
           failure_message="Hint: with n training images, k classes and n_c images of class c, "
                           "the weight of c is n / (k · n_c); take the rarest class.")
def test_rarest_weight(rarest_weight, dataset):
    counts = class_counts(dataset)
    right = counts.sum() / (len(counts) * counts.min())
    close(rarest_weight, float(right), "rarest_weight", within=0.01)
