from otter.test_files import test_case

from helpers.exercises import close

OK_FORMAT = False
name = "images_for_half_width"


@test_case(success_message="An interval for a proportion narrows with the square root of the "
                           "number of images: half the width takes about four times as many. "
                           "Telling two close networks apart costs test images quickly.",
           failure_message="Hint: how does the width of an interval for an accuracy depend on "
                           "the number of test images n? Think of a standard error. Notebook 01 "
                           "counts this run's test images.")
def test_images_for_half_width(images_for_half_width, metrics):
    from helpers.learn.stats import accuracy_interval

    best = max(metrics, key=lambda m: m["accuracy"])
    n = int(best.get("test_images") or len(best["labels"]))

    def width(images: int) -> float:
        low, high = accuracy_interval(round(best["accuracy"] * images), images)
        return high - low

    target, low, high = width(n) / 2, n, 64 * n
    while high - low > 1:  # the fewest images whose interval is at most half as wide
        middle = (low + high) // 2
        low, high = (middle, high) if width(middle) > target else (low, middle)
    close(images_for_half_width, high, "images_for_half_width", within=0.1 * high)
