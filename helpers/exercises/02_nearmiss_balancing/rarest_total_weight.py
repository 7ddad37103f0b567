from otter.test_files import test_case

from helpers.exercises import class_counts, close

OK_FORMAT = False
name = "rarest_total_weight"


@test_case(success_message="Every class's images weigh the same in total, whatever the class's "
                           "size: class weights make each class count as much in the loss as "
                           "any other, without dropping an image.",
           failure_message="Hint: multiply the rarest class's weight n / (k · n_c) by its n_c "
                           "training images; n and k are the training images and the classes "
                           "(the table's Before column has them all).")
def test_rarest_total_weight(rarest_total_weight, dataset):
    import numpy as np
    from sklearn.utils.class_weight import compute_class_weight

    y = np.asarray(dataset.y_train)
    present = np.unique(y)
    weights = compute_class_weight("balanced", classes=present, y=y)
    counts = class_counts(dataset)
    right = float(weights[counts.argmin()] * counts.min())
    close(rarest_total_weight, right, "rarest_total_weight", within=0.005 * right)
