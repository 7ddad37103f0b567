from otter.test_files import test_case

from helpers.exercises import class_counts, close

OK_FORMAT = False
name = "imbalance_ratio"


@test_case(success_message="Right: the most frequent class has that many times the images of the "
                           "rarest. A network that always guessed the frequent classes would "
                           "already be right more often than chance.",
           failure_message="Hint: divide the training images of the most frequent class by those "
                           "of the rarest (the data facts table gives the ratio too).")
def test_imbalance_ratio(imbalance_ratio, dataset):
    counts = class_counts(dataset)
    close(imbalance_ratio, counts.max() / counts.min(), "imbalance_ratio", within=0.05)
