"""What a test score can and cannot show: intervals on accuracy and macro-F1, and paired tests
between networks scored on the same test images.

The statistics come from the libraries that define them: Wilson's interval for a proportion
(`statsmodels.stats.proportion.proportion_confint`), the percentile bootstrap
(`scipy.stats.bootstrap`) for macro-F1, which has no closed-form interval, and McNemar's exact
test (`statsmodels.stats.contingency_tables.mcnemar`) for two networks' answers to the same
images: only the images one got right and the other wrong count. The best network is tested
against each other one, so those p-values are corrected for the number of tests by Holm's
step-down method (`statsmodels.stats.multitest.multipletests`): with six tests, a single
p = 0.014 is not enough.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import bootstrap, spearmanr
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from helpers.errors import DataError

LEVEL = 0.95  # confidence of every interval
ALPHA = 0.05  # significance level of the paired tests
RESAMPLES = 1000  # bootstrap resamples of the test images
SEED = 0  # the bootstrap's, so a report's intervals do not change between renderings


def p_value(p: float) -> str:
    """A p-value as a table shows it: "0.038", or "< 0.001" below that (an exact test's tiny
    p-values are not worth more digits, and may underflow to 0)."""
    return "< 0.001" if p < 0.001 else f"{p:.2g}"


def p_text(p: float) -> str:
    """A p-value as a sentence writes it: "p = 0.038" or "p < 0.001"."""
    shown = p_value(p)
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"


def score_text(value: float, places: int = 3) -> str:
    """A score between 0 and 1 with `places` decimals, never rounded up to a perfect one:
    0.9996 is "> 0.999", not "1.000" (which only a perfect 1 shows)."""
    shown = f"{value:.{places}f}"
    top = 1 - 10 ** -places
    return f"> {top:.{places}f}" if value < 1 and float(shown) >= 1 else shown


def correlation(x, y) -> dict | None:
    """Spearman's rank correlation of `y` with `x`: rho, its two-sided p-value and the number
    of pairs n; None where it is undefined (fewer than three pairs, or either side constant)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    result = spearmanr(x, y)
    if np.isnan(result.statistic):
        return None
    return {"rho": float(result.statistic), "p_value": float(result.pvalue), "n": len(x)}


def correlation_text(what: str, found: dict | None, alpha: float = ALPHA) -> str:
    """A rank correlation of accuracy with `what` as a sentence that claims no cause: its
    sign where the test says there is one, "cannot be told apart from no relation" where it
    does not; n and the p-value either way."""
    if found is None:
        return ""
    shown = (f"Spearman's ρ = {found['rho']:.2f} over {found['n']} networks, "
             f"{p_text(found['p_value'])}")
    if found["p_value"] >= alpha:
        weak = ("; so few networks give the test little power, so this is no evidence of no "
                "relation either" if alpha <= found["p_value"] < 2 * alpha else "")
        return (f"the ranks of accuracy and of {what} cannot be told apart from no relation "
                f"({shown}{weak})")
    way = "rises" if found["rho"] > 0 else "falls"
    return f"accuracy {way} with {what} across these networks ({shown})"


def percent(bounds) -> str:
    """An interval of shares, (0.856, 0.875), as the report writes it: "85.6–87.5%"."""
    low, high = bounds
    return f"{100 * low:.1f}–{100 * high:.1f}%"


def accuracy_interval(correct: int, total: int, level: float = LEVEL) -> tuple[float, float]:
    """Wilson's interval for an accuracy of `correct` out of `total` test images."""
    if total < 1 or not 0 <= correct <= total:
        raise DataError(f"an accuracy needs 0 <= correct <= total and total >= 1, got "
                        f"{correct} of {total}")
    low, high = proportion_confint(correct, total, alpha=1 - level, method="wilson")
    return float(low), float(high)


def macro_f1_of(y_true: np.ndarray, y_pred: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Macro-averaged F1 over `labels` (scikit-learn's `f1_score(average="macro")` with those
    labels and zero_division=0), for arrays whose last axis is the test images: one value per
    leading index, so a batch of bootstrap resamples is scored at once."""
    scores = []
    for k in labels:
        truth, answer = y_true == k, y_pred == k
        hits = np.sum(truth & answer, axis=-1)
        wrong = np.sum(truth ^ answer, axis=-1)  # false positives plus false negatives
        denominator = 2 * hits + wrong
        scores.append(np.divide(2 * hits, denominator, out=np.zeros(denominator.shape),
                                where=denominator > 0))
    return np.mean(scores, axis=0)


def macro_f1_interval(y_true, y_pred, *, level: float = LEVEL, resamples: int = RESAMPLES,
                      seed: int = SEED) -> tuple[float, float]:
    """Percentile-bootstrap interval of macro-F1 over the test images (resampled in pairs of
    truth and answer), over the classes present in either."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if len(y_true) != len(y_pred) or len(y_true) < 2:
        raise DataError(f"need one answer per test image and at least two images; got "
                        f"{len(y_true)} labels and {len(y_pred)} answers")
    labels = np.union1d(y_true, y_pred)
    if np.array_equal(y_true, y_pred):  # every resample scores 1: nothing to bootstrap
        return 1.0, 1.0
    result = bootstrap((y_true, y_pred), lambda t, p, axis=-1: macro_f1_of(t, p, labels),
                       paired=True, vectorized=True, n_resamples=resamples,
                       confidence_level=level, method="percentile", batch=100,
                       rng=np.random.default_rng(seed))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def paired_test(right_a, right_b) -> dict:
    """McNemar's exact test of two networks on the same test images, from whether each got
    each image right: the images only `a` got right, only `b`, and the two-sided p-value."""
    right_a, right_b = np.asarray(right_a, bool), np.asarray(right_b, bool)
    if right_a.shape != right_b.shape or right_a.ndim != 1:
        raise DataError(f"paired answers must cover the same test images, got shapes "
                        f"{right_a.shape} and {right_b.shape}")
    only_a, only_b = int(np.sum(right_a & ~right_b)), int(np.sum(~right_a & right_b))
    table = [[int(np.sum(right_a & right_b)), only_a], [only_b, int(np.sum(~right_a & ~right_b))]]
    result = mcnemar(table, exact=True)
    return {"only_first": only_a, "only_second": only_b, "images": int(right_a.size),
            "p_value": float(result.pvalue)}


def verdict(first: str, second: str, test: dict, alpha: float = ALPHA) -> str:
    """The sentence a report should write about two networks from their paired test; where the
    test is one of several (`p_holm`), the corrected p-value decides."""
    p, n = test.get("p_holm", test["p_value"]), test["images"]
    shown = (f"McNemar {p_text(test['p_value'])}, Holm-corrected {p_text(p)}"
             if "p_holm" in test else f"McNemar {p_text(p)}")
    if p >= alpha:
        return f"{first} and {second} cannot be told apart on these {n:,} test images ({shown})"
    better, worse = (first, second) if test["only_first"] > test["only_second"] else \
        (second, first)
    return f"{better} is better than {worse} on these {n:,} test images ({shown})"


def holm(p_values: list[float], alpha: float = ALPHA) -> tuple[list[bool], list[float]]:
    """Holm's step-down correction of several tests: which reject at `alpha` overall, and the
    corrected p-values (each at most 1)."""
    if not p_values:
        return [], []
    reject, corrected, _, _ = multipletests(p_values, alpha=alpha, method="holm")
    return [bool(r) for r in reject], [float(c) for c in corrected]


def against_best(metrics: list[dict], alpha: float = ALPHA) -> list[dict]:
    """The most accurate network against each other one, paired on the test images both
    answered (`predictions` and `labels` of `helpers.learn.evaluate`): a row per other network
    with its McNemar test, the p-value corrected by Holm's method over all these tests
    (`p_holm`), whether the corrected test rejects (`significant`) and the verdict."""
    scored = [m for m in metrics if m.get("predictions") is not None]
    if len(scored) < 2:
        return []
    best = max(scored, key=lambda m: m["accuracy"])
    truth = np.asarray(best["labels"])
    rows = []
    for other in scored:
        if other is best:
            continue
        if not np.array_equal(np.asarray(other["labels"]), truth):
            raise DataError(f"{best['model']} and {other['model']} were not scored on the same "
                            f"test images; a paired test needs the same ones")
        test = paired_test(np.asarray(best["predictions"]) == truth,
                           np.asarray(other["predictions"]) == truth)
        rows.append({"best": best["model"], "model": other["model"], **test})
    reject, corrected = holm([r["p_value"] for r in rows], alpha)
    for row, rejected, p in zip(rows, reject, corrected, strict=True):
        row.update(p_holm=p, significant=rejected)
        row["verdict"] = verdict(row["best"], row["model"], row, alpha)
    return rows


def best_verdict(tests: list[dict], alpha: float = ALPHA) -> str:
    """One sentence on the best network against all the others (`against_best`), worded by
    the Holm-corrected tests: which it cannot be told apart from, and which it beats."""
    best, images, count = tests[0]["best"], tests[0]["images"], len(tests)
    alike = [t for t in tests if not t["significant"]]
    beaten = [t for t in tests if t["significant"]]
    corrected = (f"after Holm's correction for the {count} comparisons" if count > 1
                 else "by McNemar's test")
    if not alike:
        largest = max(t["p_holm"] for t in tests)
        return (f"On these {images:,} test images {best} is better than every other network, "
                f"{corrected} (largest corrected {p_text(largest)}).")
    ties = ", ".join(f"{t['model']} (corrected {p_text(t['p_holm'])})" for t in alike)
    text = (f"On these {images:,} test images, {corrected}, {best} cannot be told apart from "
            f"{ties}")
    if beaten:
        text += (f"; it is better than the other {len(beaten)} (corrected "
                 f"p < {alpha:g} each)")
    return text + "."


# Characters that look alike in print and in handwriting: digits and letters, and the letters
# whose lower case is a smaller copy of the upper (NIST's reason to merge them in EMNIST).
LOOKALIKE_PAIRS = (("0", "O"), ("1", "I"), ("5", "S"), ("2", "Z"), ("8", "B"),
                   *((c, c.upper()) for c in "cijklmopsuvwxyz"))


def lookalikes(classes) -> list[tuple[str, str]]:
    """The look-alike pairs (`LOOKALIKE_PAIRS`) whose two characters are both classes."""
    present = set(classes)
    return [(a, b) for a, b in LOOKALIKE_PAIRS if a in present and b in present]


def merged_accuracy(labels, predictions, classes, pairs: list[tuple[str, str]]) -> float:
    """Accuracy when an answer that confuses the two characters of a look-alike pair counts as
    right: what the network would score if the pairs were one class each, the ceiling that
    the ambiguity of those shapes puts on the accuracy (from the same predictions, no
    retraining)."""
    group = {c: {c} for c in classes}
    for a, b in pairs:  # union of the two groups (0, O and o become one with both pairs)
        merged = group[a] | group[b]
        for c in merged:
            group[c] = merged
    names = np.array([min(group[c]) for c in classes])
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    if labels.shape != predictions.shape or not labels.size:
        raise DataError(f"need one prediction per test label, got {labels.shape} and "
                        f"{predictions.shape}")
    return float(np.mean(names[labels] == names[predictions]))
