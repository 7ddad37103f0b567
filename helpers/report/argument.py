"""The report's argument, written from the run's numbers: why the networks rank as they do,
what limits what the run can show, and what it answers of the introduction's objectives.

Every sentence is computed from what the run saved (`metrics/*.json` with each network's
layers, history, per-class accuracy and test answers; `dataset.json`; `ablation.json`), so
none can state what the run did not measure; where the numbers do not support a claim, the
sentence says so instead of making it.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr

from helpers.learn import stats

# Networks built as another one plus something, and what: a like-for-like comparison.
DERIVED = {"dropout_bn": ("deep", "batch normalisation and dropout")}
# The glyphs are rendered, not written: the report says so and where the handwriting is.
PRINTED = {"glyphs"}
HANDWRITING_COMMAND = "make report DATASET=emnist-letters DATA_DIR=data/raw/emnist"


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


def _layers(m: dict) -> dict:
    return m.get("layers") or {}


def _trend(metrics: list[dict], key: str) -> float | None:
    """Spearman's rank correlation of a trait with test accuracy over the networks, or None
    where it is undefined (fewer than four networks, or every network alike)."""
    values = [_layers(m).get(key, m.get(key)) for m in metrics]
    if len(metrics) < 4 or any(v is None for v in values) or len(set(values)) < 2:
        return None
    rho = spearmanr(values, [m["accuracy"] for m in metrics]).statistic
    return None if np.isnan(rho) else float(rho)


def _trend_text(what: str, rho: float | None) -> str:
    if rho is None:
        return ""
    if rho >= 0.5:
        return f"accuracy rises with {what} (Spearman's ρ = {rho:.2f})"
    if rho <= -0.5:
        return f"accuracy falls as {what} grows (Spearman's ρ = {rho:.2f})"
    return f"accuracy does not follow {what} (Spearman's ρ = {rho:.2f})"


def ranking(metrics: list[dict]) -> str:
    """The networks in order of test accuracy, and what their layers explain of it."""
    if len(metrics) < 2:
        return ""
    ranked = sorted(metrics, key=lambda m: m["accuracy"], reverse=True)
    parts = ["Ranked by test accuracy ({{ref:comparison}}): " + ", ".join(
        f"{m['model']} {m['accuracy']:.1%}" for m in ranked) + "."]
    if tests := stats.against_best(metrics):
        parts.append(stats.best_verdict(tests)[:-1] + " ({{ref:paired}}).")
    normed = [m for m in ranked if _layers(m).get("batch_norm")]
    plain = [m for m in ranked if m.get("layers") and not _layers(m).get("batch_norm")]
    if normed and plain:
        parts.append(
            f"The {len(normed)} network{'s' if len(normed) > 1 else ''} with batch "
            f"normalisation ({_listed([m['model'] for m in normed])}) "
            f"average{'' if len(normed) > 1 else 's'} "
            f"{_mean([m['accuracy'] for m in normed]):.1%}, the {len(plain)} without "
            f"({_listed([m['model'] for m in plain])}) "
            f"{_mean([m['accuracy'] for m in plain]):.1%}: normalising each layer's inputs "
            "keeps the gradients of deep stacks usable in a few epochs.")
    skipped = [m for m in ranked if _layers(m).get("skips")]
    for m in skipped:
        place = ranked.index(m) + 1
        parts.append(f"{m['model']} is the only network with skip connections "
                     f"({_layers(m)['skips']} of them, {_layers(m)['convolutions']} "
                     f"convolutions): it ranks {_ordinal(place)} of {len(ranked)}."
                     if len(skipped) == 1 else
                     f"{m['model']} has {_layers(m)['skips']} skip connections and ranks "
                     f"{_ordinal(place)}.")
    depth = _trend_text("the number of convolutions", _trend(ranked, "convolutions"))
    size = _trend_text("the number of parameters", _trend(ranked, "parameters"))
    if depth or size:
        largest = max(ranked, key=lambda m: m["parameters"])
        text = "Across the networks, " + "; ".join(t for t in (depth, size) if t) + "."
        text += (f" The largest, {largest['model']} ({largest['parameters']:,} parameters, "
                 f"most of them in its dense layers), ranks "
                 f"{_ordinal(ranked.index(largest) + 1)}.")
        parts.append(text)
    parts += [text for name in DERIVED if (text := _derived(name, metrics))]
    return " ".join(parts)


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _derived(name: str, metrics: list[dict]) -> str:
    """A network against the one it was built from: what the addition changed, tested."""
    by_name = {m["model"]: m for m in metrics}
    parent, added = DERIVED[name]
    if name not in by_name or parent not in by_name:
        return ""
    child, base = by_name[name], by_name[parent]
    points = 100 * (child["accuracy"] - base["accuracy"])
    text = (f"{name} is {parent} with {added} added: {child['accuracy']:.1%} against "
            f"{base['accuracy']:.1%}")
    if child.get("predictions") is not None and base.get("predictions") is not None:
        truth = np.asarray(child["labels"])
        test = stats.paired_test(np.asarray(child["predictions"]) == truth,
                                 np.asarray(base["predictions"]) == truth)
        verdict = ("a tie on these test images" if test["p_value"] >= stats.ALPHA else
                   f"{'a gain' if points > 0 else 'a loss'} of {abs(points):.1f} points")
        text += f" (McNemar {stats.p_text(test['p_value'])}: {verdict})"
    gap = _dropout_gap(child)
    if gap is not None and _layers(child).get("dropout"):
        text += (f". Dropout silences units only while training, so its training accuracy "
                 f"in the last epoch was {gap[0]:.1%} against {gap[1]:.1%} on the validation "
                 f"images")
    return text + "."


def _dropout_gap(m: dict) -> tuple[float, float] | None:
    history = m.get("history") or {}
    train, val = history.get("accuracy"), history.get("val_accuracy")
    return (train[-1], val[-1]) if train and val else None


def weakest_classes(metrics: list[dict], count: int = 3) -> str:
    """Where the weakest network fails: its lowest per-class accuracies, beside the best's."""
    if len(metrics) < 2:
        return ""
    ranked = sorted(metrics, key=lambda m: m["accuracy"], reverse=True)
    best, worst = ranked[0], ranked[-1]
    worst_classes = worst.get("per_class_accuracy") or {}
    best_classes = best.get("per_class_accuracy") or {}
    if not worst_classes or not best_classes:
        return ""
    low = sorted(worst_classes, key=worst_classes.get)[:count]
    shown = ", ".join(f"{c} ({worst_classes[c]:.0%}, {best['model']} {best_classes.get(c, 0):.0%})"
                      for c in low)
    layers = _layers(worst)
    has = (f"{worst['parameters']:,} parameters, {layers['convolutions']} convolutions, "
           + ("batch normalisation" if layers.get("batch_norm") else "no batch normalisation")
           + (f", {layers['dropout']} dropout layers" if layers.get("dropout") else "")
           if layers else f"{worst['parameters']:,} parameters")
    text = f"The weakest network, {worst['model']} ({has}), fails most on {shown}."
    history = worst.get("history") or {}
    val = history.get("val_accuracy") or []
    # Under-trained only where early stopping did not end it: a converged network's last
    # epochs rose no more than its rule allows, whatever one epoch's step.
    if (len(val) >= 2 and val[-1] > val[-2] + 0.005
            and worst.get("stopped_by") != "early stopping"):
        text += (f" Its validation accuracy was still rising in the last epoch "
                 f"({val[-2]:.1%} → {val[-1]:.1%}) when the {STOPPED[worst.get('stopped_by')]} "
                 "ended it: it is under-trained rather than unable.")
    elif worst.get("stopped_by") == "early stopping":
        text += (f" Early stopping ended it at its best validation accuracy of "
                 f"{max(val):.1%}" if val else " Early stopping ended it") + \
            ": it had stopped improving, so more epochs would not lift it."
    return text


STOPPED = {"time limit": "time limit", "epochs": "epoch cap", None: "run"}


def limitations(found: dict, seeds: int = 1) -> str:
    """What the run cannot show: the data, the trainings, the test set, the look-alikes."""
    metrics, data = found["metrics"], found["dataset"]
    items = []
    name = data.get("name", "")
    if name in PRINTED:
        items.append("**Printed, synthetic data.** The glyphs are characters rendered from "
                     "fonts, with jitter, varied strokes, blur, noise and imbalanced classes, "
                     "like the number-plate and printed-digits write-ups' data; they are not "
                     "handwriting, and these scores say nothing about it. "
                     f"`{HANDWRITING_COMMAND}` runs the same chain on EMNIST's handwritten "
                     "letters.")
    if metrics:
        items.append(_trainings(metrics, seeds))
        best = max(metrics, key=lambda m: m["accuracy"])
        if best.get("accuracy_interval"):
            low, high = best["accuracy_interval"]
            items.append(f"**The test set's size.** {best.get('test_images', 0):,} test images "
                         f"put a 95% interval {100 * (high - low):.1f} points wide around the "
                         f"best accuracy; networks closer than that are told apart only by the "
                         f"paired tests, and only where those say so.")
        if text := _lookalike_limit(best):
            items.append(text)
    return "\n".join(f"- {item}" for item in items if item)


def _trainings(metrics: list[dict], seeds: int) -> str:
    runs = [m.get("seed_runs") for m in metrics]
    if seeds <= 1 or not all(runs):
        return ("**One training per network.** Each network was trained once, with one seed: "
                "the intervals cover the test images, not the randomness of training, and a "
                "training with another seed can reorder networks that the paired tests call a "
                "tie (`SEEDS=3` trains each three times).")
    count = min(len(r) for r in runs)
    winners = [max(metrics, key=lambda m: m["seed_runs"][i]["accuracy"])["model"]
               for i in range(count)]
    best = max(metrics, key=lambda m: m["accuracy"])["model"]
    held = winners.count(best)
    return (f"**Trainings.** Each network was trained {count} times. {best}, best in the first "
            f"training, was best in {held} of the {count} trainings"
            + (": the ranking's top holds across seeds." if held == count else
               f" ({', '.join(f'seed {i}: {w}' for i, w in enumerate(winners))}): the top of "
               "the ranking depends on the seed."))


def _lookalike_limit(best: dict) -> str:
    classes = best.get("classes") or []
    pairs = stats.lookalikes(classes)
    if not pairs or best.get("predictions") is None:
        return ""
    merged = stats.merged_accuracy(best["labels"], best["predictions"], classes, pairs)
    errors = 1 - best["accuracy"]
    share = (merged - best["accuracy"]) / errors if errors > 0 else 0.0
    shown = ", ".join(f"{a}/{b}" for a, b in pairs[:6]) + (" …" if len(pairs) > 6 else "")
    return (f"**Look-alike characters.** Some classes share a shape ({shown}). Counting a "
            f"confusion within those pairs as right, {best['model']} would score {merged:.1%} "
            f"instead of {best['accuracy']:.1%}: {share:.0%} of its errors are such pairs, which "
            "no network can settle from the character alone; context (a word, a number) can.")


def conclusion(found: dict, balance: str) -> str:
    """One answer to each objective of the introduction, from the run's numbers."""
    metrics, data = found["metrics"], found["dataset"]
    if not metrics:
        return "No network was trained in this run."
    leak = data.get("leakage", {})
    answers = []
    if leak:
        answers.append(f"**Data.** The test split shares {leak.get('test_in_train', 0):,} images "
                       f"with the training split ({leak.get('test_in_train_fraction', 0):.1%}), "
                       "so the test accuracy measures recognition of unseen characters"
                       + (" only in part." if leak.get("test_in_train_fraction", 0) > 0.01
                          else "."))
    from helpers.learn.ablation import summary

    rows = (found.get("ablation") or {}).get("rows") or []
    answers.append(f"**Balancing and augmentation.** The networks trained with {balance}."
                   + (f" The ablation measured the alternatives: {summary(rows)}"
                      if len(rows) >= 2 else ""))
    f1 = [m["macro_f1"] for m in metrics]
    answers.append(f"**Training and evaluation.** {len(metrics)} architectures were trained and "
                   f"scored on the same test images: accuracy "
                   f"{min(m['accuracy'] for m in metrics):.1%} to "
                   f"{max(m['accuracy'] for m in metrics):.1%}, macro F1 {min(f1):.3f} to "
                   f"{max(f1):.3f}.")
    best = max(metrics, key=lambda m: m["accuracy"])
    tests = stats.against_best(metrics)
    answers.append(f"**The best architecture.** {best['model']} ({best['accuracy']:.1%}). "
                   + (stats.best_verdict(tests) if tests else ""))
    return "\n".join(f"{i}. {a}" for i, a in enumerate(answers, 1))
