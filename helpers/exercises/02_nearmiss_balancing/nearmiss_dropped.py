from otter.test_files import test_case

from helpers.exercises import close

OK_FORMAT = False
name = "nearmiss_dropped"


@test_case(success_message="NearMiss cuts every class to the size of the smallest, so the more "
                           "uneven the classes, the more of the training images it throws "
                           "away: the images the network never sees are its price.",
           failure_message="Hint: NearMiss keeps, of every class, as many images as the "
                           "smallest class has (the table's Before column). The share dropped "
                           "is 1 − kept / before, a fraction between 0 and 1.")
def test_nearmiss_dropped(nearmiss_dropped, balanced):
    before = balanced.before[balanced.before > 0]
    kept = int(before.min()) * len(before)
    close(nearmiss_dropped, 1 - kept / int(before.sum()), "nearmiss_dropped", within=0.005)
