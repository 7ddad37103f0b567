from otter.test_files import test_case

from helpers.exercises import close

OK_FORMAT = False
name = "augmentation_images"


@test_case(success_message="McNemar's test weighs just this: the test images one of the two "
                           "arms got right and the other wrong. Whether that difference is "
                           "large beside those images is what its p-value says.",
           failure_message="Hint: the two accuracies' difference times the number of test "
                           "images (`rows[0][\"test_images\"]`), rounded; negative when the arm "
                           "without augmentation got more right.")
def test_augmentation_images(augmentation_images, rows):
    first = rows[0]
    without = next(row for row in rows[1:] if row["augmentation"] != first["augmentation"])
    images = first["test_images"]
    right = round((first["accuracy"] - without["accuracy"]) * images)
    # The table's accuracies are rounded to 0.1%: an answer from them may be that far off.
    close(augmentation_images, right, "augmentation_images", within=0.001 * images + 0.5)
