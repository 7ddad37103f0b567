from otter.test_files import test_case

from helpers.exercises import equal

OK_FORMAT = False
name = "smallest_tie"


@test_case(success_message="On these test images a network the paired test cannot tell from "
                           "the best is as good as the best; the smaller one is cheaper to run "
                           "and to ship. That is an argument from the paired tests, not from "
                           "the accuracy column.",
           failure_message="Hint: take the networks the paired tests cannot tell from the best, "
                           "and the best itself; of those, the one with the fewest parameters "
                           "in the comparison table. Give its name as text, e.g. `\"deep\"`.")
def test_smallest_tie(smallest_tie, metrics):
    from helpers.learn.stats import against_best

    tests = against_best(metrics)
    best = tests[0]["best"] if tests else max(metrics, key=lambda m: m["accuracy"])["model"]
    alike = {best} | {t["model"] for t in tests if not t["significant"]}
    right = min((m for m in metrics if m["model"] in alike), key=lambda m: m["parameters"])
    equal(smallest_tie, right["model"], "smallest_tie")
