from otter.test_files import test_case

from helpers.exercises import number, wrong

OK_FORMAT = False
name = "rotation_factor"


@test_case(success_message="Keras' RandomRotation takes a fraction of a full turn, either way, "
                           "not an angle. Turned that far, many characters no longer look like "
                           "anything a person would write, and some look like another class.",
           failure_message="Hint: the factor is a fraction of a full turn of 360°; the table "
                           "shows the angle this notebook's factor gives.")
def test_rotation_factor(rotation_factor):
    import keras

    factor = number(rotation_factor, "rotation_factor")
    largest = max(abs(f) for f in keras.layers.RandomRotation(factor).factor) * 360
    if abs(largest - 45) > 0.5:
        wrong(rotation_factor, "rotation_factor")
