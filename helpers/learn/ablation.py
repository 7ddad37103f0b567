"""The method's own choices, measured: one fast network trained once per way of balancing the
training split (class weights, none, NearMiss-1, -2 and -3) and once without augmentation, each
scored on the same untouched test split with intervals, and paired against the run's own
method (its balancing, with augmentation) by McNemar's exact test, the p-values corrected for
their number by Holm's method.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from helpers.data import Dataset
from helpers.errors import DataError
from helpers.learn import MOST_EPOCHS, stats
from helpers.learn.balance import balance
from helpers.learn.evaluate import evaluate
from helpers.learn.recipe import Recipe, train_network
from helpers.learn.train import TimeLimit

# (name, balancing method, its options) of every way of balancing the ablation tries.
BALANCINGS = (
    ("class weights", "class-weights", {}),
    ("no balancing", "none", {}),
    ("NearMiss-1", "nearmiss", {"version": 1}),
    ("NearMiss-2", "nearmiss", {"version": 2}),
    ("NearMiss-3", "nearmiss", {"version": 3}),
)
# The arm that stands for a run's BALANCE (NearMiss means NearMiss-1, as the write-ups use it).
REFERENCE = {"class-weights": "class weights", "none": "no balancing", "nearmiss": "NearMiss-1"}


def arms_for(balance: str = "class-weights") -> tuple:
    """(name, balancing method, options, augmentation) of each arm: the run's own method with
    augmentation first (the reference), every other balancing with augmentation, then the
    run's method without augmentation."""
    reference = next(b for b in BALANCINGS if b[0] == REFERENCE[balance])
    others = [b for b in BALANCINGS if b is not reference]
    return ((*reference, True), *((*b, True) for b in others),
            (f"{reference[0]}, no augmentation", *reference[1:], False))


ARMS = arms_for("class-weights")
NETWORK = "baseline"  # the fastest network: cheap enough to train once per arm


def expected_share(method: str, dataset: Dataset) -> float:
    """The part of the training images an arm keeps, before it runs: NearMiss keeps about the
    smallest class's count of every class, the others keep all."""
    if method != "nearmiss":
        return 1.0
    counts = np.bincount(dataset.y_train, minlength=dataset.num_classes)
    return float(counts[counts > 0].min() * dataset.num_classes / counts.sum())


def run(dataset: Dataset, *, network: str = NETWORK, epochs: int = MOST_EPOCHS, seed: int = 0,
        arms=ARMS, progress: Callable[[str], None] | None = None,
        budget: float | None = None) -> list[dict]:
    """One row per arm: training images kept, epochs, seconds (balancing and training), test
    accuracy and macro F1 with their intervals, and the paired test against the first arm. An
    arm whose balancing cannot run on this dataset (NearMiss needs a few images of every class)
    is left out, and `progress` is told why.

    Every arm trains by the same `Recipe` (until its validation accuracy stops improving, at
    most `epochs`). With `budget` seconds for all the arms, each arm also has a time limit: its
    part, in proportion to the images it trains on."""
    rows, answers, skipped = [], [], []
    began = time.perf_counter()
    for i, (name, method, options, augment) in enumerate(arms):
        if progress:
            progress(name)
        started = time.perf_counter()
        try:
            balanced = balance(dataset, method, seed=seed, **options)
        except DataError as e:  # e.g. NearMiss-3 on classes with too few images
            skipped.append({"arm": name, "reason": str(e)})
            continue
        part = None
        if budget is not None:
            share = len(balanced.dataset.x_train) / len(dataset.x_train)
            later = sum(expected_share(arm[1], dataset) for arm in arms[i + 1:])
            left = budget - (time.perf_counter() - began)
            part = max(1.0, left * share / (share + later))
        model, result = train_network(
            network, Recipe(epochs=epochs, augment=augment), balanced.dataset, seed=seed,
            class_weight=balanced.class_weight,
            callbacks=[TimeLimit(part)] if part is not None else ())
        seconds = time.perf_counter() - started
        metrics = evaluate(model, balanced.dataset).metrics
        answers.append(np.asarray(metrics["predictions"]) == np.asarray(metrics["labels"]))
        rows.append({"arm": name, "balancing": method, "augmentation": augment,
                     "train_images": len(balanced.dataset.x_train), "seconds": seconds,
                     "epochs": result.epochs_run, "stopped_by": result.stopped_by,
                     **{k: metrics[k] for k in ("accuracy", "accuracy_interval", "macro_f1",
                                                "macro_f1_interval", "test_images")}})
    tests = [stats.paired_test(answers[0], right) for right in answers[1:]]
    _, corrected = stats.holm([t["p_value"] for t in tests])
    for row, test, p_holm in zip(rows[1:], tests, corrected, strict=True):
        row["against_reference"] = {"only_reference": test["only_first"],
                                    "only_this": test["only_second"],
                                    "p_value": test["p_value"], "p_holm": p_holm}
    if skipped and progress:
        for arm in skipped:
            progress(f"{arm['arm']} left out: {arm['reason']}")
    return rows


def shown_points(accuracy: float) -> float:
    """An accuracy in points as the ablation's table shows it (one decimal): differences are
    taken between these, so the text's difference is the one a reader computes from the table."""
    return float(f"{accuracy:.1%}"[:-1])


def points_between(first: dict, second: dict) -> float:
    """`first`'s accuracy minus `second`'s, in points, from the rounded values shown."""
    return round(shown_points(first["accuracy"]) - shown_points(second["accuracy"]), 1)


# What ended a training before it converged, as a sentence names it (`TrainResult.stopped_by`).
CUT = {"time limit": "the time limit", "epochs": "the epoch cap"}


def cut_short(rows: list[dict]) -> str:
    """"; NearMiss-1 was cut by the time limit after 4 epochs, so these arms did not train
    alike" for the arms among `rows` that stopped before converging, or ""."""
    cut = [r for r in rows if r.get("stopped_by") in CUT]
    if not cut:
        return ""
    said = " and ".join(f"{r['arm']} was cut by {CUT[r['stopped_by']]}"
                        + (f" after {r['epochs']} epochs" if r.get("epochs") else "")
                        for r in cut)
    return f"; {said}, so these arms did not train alike"


def effect(rows: list[dict], arm: str) -> str | None:
    """The sentence the discussion quotes: what the reference arm gained or lost against `arm`,
    in points of accuracy (the difference of the accuracies the table shows), with the paired
    test's p-value, and whether either arm was cut before it converged."""
    if not rows:
        return None
    reference = rows[0]
    other = next((r for r in rows[1:] if r["arm"] == arm), None)
    if other is None:
        return None
    points = points_between(reference, other)
    test = other["against_reference"]
    p = test.get("p_holm", test["p_value"])
    shown = (f"McNemar {stats.p_text(test['p_value'])}, Holm-corrected {stats.p_text(p)}"
             if "p_holm" in test else f"McNemar {stats.p_text(p)}")
    verdict = "" if p < stats.ALPHA else "; on these test images the two cannot be told apart"
    if other["augmentation"] != reference["augmentation"]:  # the same balancing without it
        subject = "augmentation" if reference["augmentation"] else "leaving out augmentation"
        against = ""
    else:
        subject, against = reference["arm"], f" against {other['arm']}"
    scores = (f"{reference['accuracy']:.1%} against {other['accuracy']:.1%}; "
              if "accuracy" in reference else "")
    if points == 0:
        change = f"{subject} made no difference to one decimal{against}"
    else:
        change = (f"{subject} {'gained' if points > 0 else 'cost'} {abs(points):.1f} points "
                  f"of accuracy{against}")
    return f"{change} here ({scores}{shown}{verdict}{cut_short([reference, other])})"


def summary(rows: list[dict]) -> str:
    """The ablation's findings, one per arm against the first, for the notebook and the
    report."""
    effects = [text for other in rows[1:] if (text := effect(rows, other["arm"]))]
    if not effects:
        return "Too few arms could run on this dataset to compare them."
    text = "; ".join(effects)
    return text[:1].upper() + text[1:] + "."
