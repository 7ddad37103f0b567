"""helpers.learn.stats on small hand-made prediction tables, checked against the formulas and
against scipy's and statsmodels' own functions."""

import math

import numpy as np
import pytest
from scipy.stats import binomtest
from sklearn.metrics import f1_score
from statsmodels.stats.proportion import proportion_confint

from helpers.errors import DataError
from helpers.learn import stats

# Ten test images: network a gets 8 right, b gets 5; a alone is right on 4, b alone on 1.
TRUTH = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 2])
A = np.array([0, 0, 0, 1, 1, 1, 2, 2, 1, 0])
B = np.array([0, 1, 2, 1, 0, 0, 2, 2, 2, 1])


def test_wilson_interval_matches_the_formula_and_statsmodels():
    low, high = stats.accuracy_interval(8, 10)
    z, p, n = 1.959963984540054, 0.8, 10
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert (low, high) == pytest.approx((centre - half, centre + half), abs=1e-9)
    assert (low, high) == pytest.approx(proportion_confint(8, 10, method="wilson"))
    with pytest.raises(DataError, match="correct <= total"):
        stats.accuracy_interval(11, 10)


def test_mcnemar_is_the_exact_binomial_test_on_the_images_only_one_got_right():
    test = stats.paired_test(A == TRUTH, B == TRUTH)
    assert (test["only_first"], test["only_second"], test["images"]) == (4, 1, 10)
    assert test["p_value"] == pytest.approx(binomtest(1, 5, 0.5).pvalue)  # 0.375
    assert stats.verdict("a", "b", test) == \
        "a and b cannot be told apart on these 10 test images (McNemar p = 0.38)"
    # The same split on 30 times as many images is no longer chance.
    many = stats.paired_test(np.tile(A == TRUTH, 30), np.tile(B == TRUTH, 30))
    assert many["p_value"] == pytest.approx(binomtest(30, 150, 0.5).pvalue)
    assert stats.verdict("a", "b", many).startswith("a is better than b on these 300 test")
    swapped = stats.paired_test(np.tile(B == TRUTH, 30), np.tile(A == TRUTH, 30))
    assert stats.verdict("b", "a", swapped).startswith("a is better than b")
    with pytest.raises(DataError, match="same test images"):
        stats.paired_test(A == TRUTH, (B == TRUTH)[:5])


def test_macro_f1_matches_scikit_learn_and_its_bootstrap_interval_holds_it():
    labels = np.union1d(TRUTH, A)
    assert stats.macro_f1_of(TRUTH, A, labels) == pytest.approx(
        f1_score(TRUTH, A, average="macro", labels=labels, zero_division=0))
    batch = np.stack([A, B])  # a batch of answers is scored at once
    assert stats.macro_f1_of(TRUTH, batch, labels) == pytest.approx(
        [f1_score(TRUTH, x, average="macro", zero_division=0) for x in batch])
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 5, 400)
    answers = np.where(rng.random(400) < 0.8, truth, rng.integers(0, 5, 400))
    low, high = stats.macro_f1_interval(truth, answers)
    point = f1_score(truth, answers, average="macro")
    assert low < point < high and high - low < 0.15
    assert stats.macro_f1_interval(truth, answers) == (low, high)  # a fixed seed
    assert stats.macro_f1_interval(truth, truth) == (1.0, 1.0)


def test_the_best_network_is_tested_against_each_other_one():
    metrics = [{"model": "a", "accuracy": 0.8, "labels": TRUTH.tolist(), "predictions": A},
               {"model": "b", "accuracy": 0.5, "labels": TRUTH.tolist(), "predictions": B}]
    (row,) = stats.against_best(metrics)
    assert row["best"] == "a" and row["model"] == "b" and not row["significant"]
    assert "cannot be told apart" in row["verdict"]
    metrics[1]["labels"] = TRUTH[::-1].tolist()
    with pytest.raises(DataError, match="same test images"):
        stats.against_best(metrics)
    assert stats.against_best(metrics[:1]) == []


def test_holm_corrects_the_best_against_each_other_one():
    reject, corrected = stats.holm([0.01, 0.04, 0.03])
    assert reject == [True, False, False]
    assert corrected == pytest.approx([0.03, 0.06, 0.06])
    # Six networks that each miss the same 7 of 200 images the best gets right: each McNemar
    # p = 2 / 2**7 = 0.016 alone, but 6 × 0.016 = 0.094 after Holm's correction: a tie.
    truth = np.zeros(200, int)
    best = {"model": "best", "accuracy": 1.0, "labels": truth.tolist(),
            "predictions": truth.tolist()}
    missing = truth.copy()
    missing[:7] = 1
    others = [{"model": f"n{i}", "accuracy": 0.965, "labels": truth.tolist(),
               "predictions": missing.tolist()} for i in range(6)]
    rows = stats.against_best([best, *others])
    assert all(r["p_value"] == pytest.approx(2 / 2 ** 7) for r in rows)
    assert all(r["p_holm"] == pytest.approx(6 * 2 / 2 ** 7) for r in rows)
    assert not any(r["significant"] for r in rows)
    assert "cannot be told apart" in rows[0]["verdict"]
    assert "McNemar p = 0.016, Holm-corrected p = 0.094" in rows[0]["verdict"]
    rows = stats.against_best([best, *others[:1]])  # one test: nothing to correct
    assert rows[0]["significant"] and "best is better than n0" in rows[0]["verdict"]


def test_p_values_are_written_with_two_digits_or_as_below_a_thousandth():
    assert stats.p_text(0.375) == "p = 0.38" and stats.p_text(0.0) == "p < 0.001"
    assert stats.p_value(2e-9) == "< 0.001" and stats.p_value(0.0123) == "0.012"


def test_merged_accuracy_counts_look_alike_confusions_as_right():
    classes = ["0", "1", "A", "I", "O", "o"]
    assert stats.lookalikes(classes) == [("0", "O"), ("1", "I"), ("o", "O")]
    labels = [0, 4, 5, 1, 2, 2]  # 0, O, o, 1, A, A
    predictions = [4, 5, 0, 3, 2, 4]  # O, o, 0, I, A, O
    assert stats.merged_accuracy(labels, predictions, classes, []) == pytest.approx(1 / 6)
    # 0→O, O→o and o→0 are one group; 1→I another; A→O stays wrong.
    merged = stats.merged_accuracy(labels, predictions, classes, stats.lookalikes(classes))
    assert merged == pytest.approx(5 / 6)
    with pytest.raises(DataError, match="one prediction per test label"):
        stats.merged_accuracy([0], [0, 1], classes, [])
