from otter.test_files import test_case

from helpers.exercises import close

OK_FORMAT = False
name = "majority_accuracy"


@test_case(success_message="A network that has learned nothing but the class sizes scores that. "
                           "Compare it with a random guess's 1 / (number of classes): the larger "
                           "the most frequent class, the more an accuracy can flatter, and the "
                           "higher the bar a real network must clear.",
           failure_message="Hint: find the class with the most training images "
                           "(`dataset.y_train`), then the share of the test images "
                           "(`dataset.y_test`) that belong to it, as a fraction between 0 and 1.")
def test_majority_accuracy(majority_accuracy, dataset):
    import numpy as np

    largest = np.bincount(dataset.y_train, minlength=dataset.num_classes).argmax()
    right = float(np.mean(np.asarray(dataset.y_test) == largest))
    close(majority_accuracy, right, "majority_accuracy", within=0.005)
