"""The method's own choices, measured: one fast network trained once per way of balancing the
training split (NearMiss-1, -2 and -3, class weights, none) and once without augmentation, each
scored on the same untouched test split with intervals, and paired against the method as the
write-ups use it (NearMiss-1 with augmentation) by McNemar's exact test.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from helpers.data import Dataset
from helpers.errors import DataError
from helpers.learn import stats
from helpers.learn.balance import balance
from helpers.learn.evaluate import evaluate
from helpers.learn.recipe import Recipe, fit

# (name, balancing method, its options, augmentation); the first is the reference.
ARMS = (
    ("NearMiss-1", "nearmiss", {"version": 1}, True),
    ("NearMiss-2", "nearmiss", {"version": 2}, True),
    ("NearMiss-3", "nearmiss", {"version": 3}, True),
    ("class weights", "class-weights", {}, True),
    ("no balancing", "none", {}, True),
    ("NearMiss-1, no augmentation", "nearmiss", {"version": 1}, False),
)
NETWORK, EPOCHS = "baseline", 3  # the fastest network, a few epochs: cheap enough for a report


def run(dataset: Dataset, *, network: str = NETWORK, epochs: int = EPOCHS, seed: int = 0,
        arms=ARMS, progress: Callable[[str], None] | None = None) -> list[dict]:
    """One row per arm: training images kept, seconds (balancing and training), test accuracy
    and macro F1 with their intervals, and the paired test against the first arm. An arm whose
    balancing cannot run on this dataset (NearMiss needs a few images of every class) is left
    out, and `progress` is told why."""
    rows, answers, skipped = [], [], []
    for name, method, options, augment in arms:
        if progress:
            progress(name)
        started = time.perf_counter()
        try:
            balanced = balance(dataset, method, seed=seed, **options)
        except DataError as e:  # e.g. NearMiss-3 on classes with too few images
            skipped.append({"arm": name, "reason": str(e)})
            continue
        model, _ = fit(Recipe(network, epochs, augment=augment), balanced.dataset, seed=seed,
                       class_weight=balanced.class_weight)
        seconds = time.perf_counter() - started
        metrics = evaluate(model, balanced.dataset).metrics
        answers.append(np.asarray(metrics["predictions"]) == np.asarray(metrics["labels"]))
        rows.append({"arm": name, "balancing": method, "augmentation": augment,
                     "train_images": len(balanced.dataset.x_train), "seconds": seconds,
                     **{k: metrics[k] for k in ("accuracy", "accuracy_interval", "macro_f1",
                                                "macro_f1_interval", "test_images")}})
    for row, right in zip(rows[1:], answers[1:], strict=True):
        test = stats.paired_test(answers[0], right)
        row["against_reference"] = {"only_reference": test["only_first"],
                                    "only_this": test["only_second"],
                                    "p_value": test["p_value"]}
    if skipped and progress:
        for arm in skipped:
            progress(f"{arm['arm']} left out: {arm['reason']}")
    return rows


def effect(rows: list[dict], arm: str) -> str | None:
    """The sentence the discussion quotes: what the reference arm gained or lost against `arm`,
    in points of accuracy, with the paired test's p-value."""
    if not rows:
        return None
    reference = rows[0]
    other = next((r for r in rows[1:] if r["arm"] == arm), None)
    if other is None:
        return None
    points = 100 * (reference["accuracy"] - other["accuracy"])
    p = other["against_reference"]["p_value"]
    verdict = "" if p < stats.ALPHA else "; on these test images the two cannot be told apart"
    if other["balancing"] == reference["balancing"]:  # the same balancing: augmentation differs
        subject = "augmentation" if reference["augmentation"] else "leaving out augmentation"
        against = ""
    else:
        subject, against = reference["arm"], f" against {other['arm']}"
    change = "gained" if points > 0 else "cost"
    return (f"{subject} {change} {abs(points):.1f} points of accuracy{against} here "
            f"(McNemar {stats.p_text(p)}{verdict})")


def summary(rows: list[dict]) -> str:
    """The ablation's findings in a few sentences, for the notebook and the report."""
    effects = [text for arm in ("class weights", "no balancing", "NearMiss-1, no augmentation")
               if (text := effect(rows, arm))]
    if not effects:
        return "Too few arms could run on this dataset to compare them."
    text = "; ".join(effects)
    return text[:1].upper() + text[1:] + "."
