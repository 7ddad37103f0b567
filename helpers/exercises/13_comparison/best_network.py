from otter.test_files import test_case

from helpers.exercises import equal

OK_FORMAT = False
name = "best_network"


@test_case(success_message="Right: the highest test accuracy. Whether it is really better than "
                           "the runner-up is what the paired tests answer.",
           failure_message="Hint: the comparison table's accuracy column; give the network's name "
                           "as text, e.g. \"deep\".")
def test_best_network(best_network, metrics):
    best = max(metrics, key=lambda m: m["accuracy"])
    equal(best_network, best["model"], "best_network")
