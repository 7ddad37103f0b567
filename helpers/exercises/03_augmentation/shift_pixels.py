from otter.test_files import test_case

from helpers.exercises import close

OK_FORMAT = False
name = "shift_pixels"


@test_case(success_message="The factor is a share of the width, so the largest shift is that "
                           "share of the image's pixels, either way: about a stroke's width, "
                           "as far as handwritten characters wander in their frame.",
           failure_message="Hint: the table gives the shift as a share of the width; how many "
                           "pixels wide are the images?")
def test_shift_pixels(shift_pixels, dataset):
    import keras

    from helpers.learn.augment import augmentation

    shift = next(layer for layer in augmentation(0).layers
                 if isinstance(layer, keras.layers.RandomTranslation))
    factor = shift.width_factor
    largest = max(abs(f) for f in factor) if isinstance(factor, tuple | list) else abs(factor)
    close(shift_pixels, largest * dataset.x_train.shape[2], "shift_pixels", within=0.05)
