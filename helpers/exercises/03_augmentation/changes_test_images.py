from otter.test_files import test_case

from helpers.exercises import equal

OK_FORMAT = False
name = "changes_test_images"


@test_case(success_message="Right: Keras' random layers act only when called with training=True; "
                           "at test time they pass the image through, so the test accuracy is "
                           "measured on the images as they are.",
           failure_message="Hint: call augmentation(0)(images, training=False) on a few test "
                           "images and compare with the images.")
def test_changes_test_images(changes_test_images, dataset):
    import numpy as np

    from helpers.learn.augment import augmentation

    images = dataset.x_test[:8, :, :, None].astype("float32") / 255
    out = np.asarray(augmentation(0)(images, training=False))
    equal(changes_test_images, not np.allclose(out, images), "changes_test_images")
