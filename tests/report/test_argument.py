"""helpers.report.argument: the discussion's sentences follow the numbers they are given, and
turn over when the numbers do."""

import re

import numpy as np

from helpers.report import argument

CLASSES = ["0", "1", "O", "I", "A"]


def network(name, right, *, batch_norm=0, skips=0, convolutions=2, dropout=0, parameters=1000,
            seed_runs=None, history=None):
    """A network's metrics whose first `right` of 400 test answers are correct; its wrong
    answers confuse 0 with O, so the look-alike pairs explain them."""
    labels = np.array([0, 1, 2, 3, 4] * 80)
    predictions = labels.copy()
    wrong = np.arange(400) >= right
    predictions[wrong & (labels == 0)] = 2
    predictions[wrong & (labels != 0)] = 4
    predictions[wrong & (labels == 4)] = 0
    accuracy = float(np.mean(predictions == labels))
    per_class = {c: float(np.mean(predictions[labels == i] == i)) for i, c in enumerate(CLASSES)}
    return {"model": name, "accuracy": accuracy, "macro_f1": accuracy - 0.01,
            "parameters": parameters, "labels": labels.tolist(),
            "predictions": predictions.tolist(), "classes": CLASSES,
            "per_class_accuracy": per_class, "test_images": 400,
            "accuracy_interval": [accuracy - 0.02, min(1.0, accuracy + 0.02)],
            "layers": {"convolutions": convolutions, "batch_norm": batch_norm, "skips": skips,
                       "dropout": dropout},
            "history": history or {}, "seed_runs": seed_runs}


def test_the_ranking_names_the_order_the_batch_normalised_share_and_the_skips():
    metrics = [network("deep", 330, convolutions=4, parameters=5000),
               network("dropout_bn", 380, convolutions=4, batch_norm=4, dropout=2,
                       parameters=5100),
               network("resnet", 396, convolutions=9, batch_norm=9, skips=4, parameters=3000),
               network("baseline", 250, convolutions=1, parameters=9000)]
    text = argument.ranking(metrics)
    assert text.startswith("Ranked by test accuracy ({{ref:comparison}}): resnet 99.0%, "
                           "dropout_bn 95.0%, deep 82.5%, baseline 62.5%.")
    assert "The 2 networks with batch normalisation (resnet and dropout_bn) average 97.0%" in text
    assert "the 2 without (deep and baseline) 72.5%" in text
    assert "resnet is the only network with skip connections (4 of them, 9 convolutions): it " \
           "ranks 1st of 4." in text
    # Four networks: a rank correlation of 0.95 is within what chance gives, and said so.
    assert ("the ranks of accuracy and of the number of convolutions cannot be told apart from "
            "no relation (Spearman's ρ = 0.95 over 4 networks, p = 0.051; so few networks give "
            "the test little power, so this is no evidence of no relation either)") in text
    assert "not effects of depth or size" in text and "keeps the gradients" not in text
    assert "The largest, baseline (9,000 parameters" in text and "ranks 4th." in text
    # dropout_bn against the network it was built from, tested on the same images.
    assert "dropout_bn is deep with batch normalisation and dropout added: 95.0% against 82.5% " \
           "(McNemar p" in text and "a gain of 12.5 points" in text


def test_a_derived_network_that_matches_its_parent_is_called_a_tie():
    metrics = [network("deep", 380), network("dropout_bn", 381, batch_norm=4)]
    text = argument.ranking(metrics)
    assert "a tie on these test images" in text and "a gain" not in text


def test_the_weakest_class_sentence_calls_a_rising_curve_under_trained_only_when_it_rises():
    rising = {"val_accuracy": [0.40, 0.55]}
    metrics = [network("resnet", 396), network("digits_small", 250, history=rising)]
    text = argument.weakest_classes(metrics)
    assert text.startswith("The weakest network, digits_small (1,000 parameters, 2 convolutions, "
                           "no batch normalisation), reads these classes worst: ")
    assert re.search(r"worst: \w \(\d+% right; resnet \d+%\)", text)  # accuracies, named so
    assert "still rising in the last epoch (40.0% → 55.0%)" in text
    flat = [network("resnet", 396), network("digits_small", 250,
                                            history={"val_accuracy": [0.55, 0.55]})]
    assert "still rising" not in argument.weakest_classes(flat)
    # Early stopping ended it: a last epoch's rise is within its rule, not under-training.
    converged = [network("resnet", 396), {**network("digits_small", 250, history=rising),
                                          "stopped_by": "early stopping"}]
    said = argument.weakest_classes(converged)
    assert "under-trained" not in said
    assert said.endswith("Early stopping ended it at its best validation accuracy of 55.0%: "
                         "converged by the run's rule.")
    timed = [network("resnet", 396), {**network("digits_small", 250, history=rising),
                                      "stopped_by": "time limit"}]
    assert "(40.0% → 55.0%) when the time limit ended it: how far more epochs would lift it, " \
        "this run did not measure." in argument.weakest_classes(timed)


def test_limitations_say_what_the_data_the_trainings_and_the_look_alikes_leave_open():
    found = {"metrics": [network("resnet", 390), network("deep", 300)],
             "dataset": {"name": "glyphs"}}
    text = argument.limitations(found)
    assert "**Printed, synthetic data.**" in text and "DATASET=emnist-letters" in text
    assert "**One training per network.**" in text and "`SEEDS=3`" in text
    assert "**The test set's size.** 400 test images put a 95% interval 4.0 points wide" in text
    # resnet's 10 errors: the two on 0 (read as O) are a look-alike pair, the rest are not.
    assert "0/O, 1/I" in text and "would score 98.0% instead of 97.5%: 20% of its errors" in text
    handwriting = argument.limitations({**found, "dataset": {"name": "emnist-letters"}})
    assert "Printed" not in handwriting


def test_across_seeds_the_limitation_says_whether_the_top_of_the_ranking_holds():
    held = [network("resnet", 390, seed_runs=[{"accuracy": 0.97}, {"accuracy": 0.96}]),
            network("deep", 300, seed_runs=[{"accuracy": 0.75}, {"accuracy": 0.77}])]
    text = argument.limitations({"metrics": held, "dataset": {}}, seeds=2)
    assert "Each network was trained 2 times. resnet, best in the first training, was best in " \
           "2 of the 2 trainings: the ranking's top holds across seeds." in text
    moved = [network("resnet", 390, seed_runs=[{"accuracy": 0.97}, {"accuracy": 0.90}]),
             network("deep", 300, seed_runs=[{"accuracy": 0.75}, {"accuracy": 0.95}])]
    text = argument.limitations({"metrics": moved, "dataset": {}}, seeds=2)
    assert "best in 1 of the 2 trainings (seed 0: resnet, seed 1: deep): the top of the " \
           "ranking depends on the seed." in text


def test_the_conclusion_answers_each_objective_with_the_runs_numbers():
    found = {"metrics": [network("resnet", 396), network("deep", 300)],
             "dataset": {"leakage": {"test_in_train": 12, "test_in_train_fraction": 0.03}},
             "ablation": {}}
    text = argument.conclusion(found, "class weights")
    lines = text.splitlines()
    assert [line.split("**")[1] for line in lines] == [
        "Data.", "Balancing and augmentation.", "Training and evaluation.",
        "The best architecture."]
    assert lines[0] == ("1. **Data.** The leakage audit found 12 test images (3.0%) identical "
                        "to a training image.")
    assert "unseen" not in text
    assert "2 architectures were trained" in lines[2] and "75.0% to 99.0%" in lines[2]
    assert lines[3].startswith("4. **The best architecture.** resnet (99.0%). On these 400 test "
                               "images resnet is better than every other network")
    assert argument.conclusion({"metrics": [], "dataset": {}}, "none").startswith("No network")
