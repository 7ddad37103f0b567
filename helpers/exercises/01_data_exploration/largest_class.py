from otter.test_files import test_case

from helpers.exercises import class_counts, equal

OK_FORMAT = False
name = "largest_class"


@test_case(success_message="Right: the bar chart's tallest bar, counted on the training split.",
           failure_message="Hint: the class-balance figure counts the training images of each "
                           "class; dataset.y_train holds their labels.")
def test_largest_class(largest_class, dataset):
    equal(largest_class, int(class_counts(dataset).max()), "largest_class")
