"""The report's argument, written from the run's numbers: why the networks rank as they do,
what limits what the run can show, and what it answers of the introduction's objectives.

Every sentence is computed from what the run saved (`metrics/*.json` with each network's
layers, history, per-class accuracy and test answers; `dataset.json`; `ablation.json`), so
none can state what the run did not measure; where the numbers do not support a claim, the
sentence says so instead of making it.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from helpers.learn import stats

# Networks built as another one plus something, and what: a like-for-like comparison.
DERIVED = {"dropout_bn": ("deep", "batch normalisation and dropout")}
# The glyphs are rendered, not written: the report says so and where the handwriting is.
PRINTED = {"glyphs"}


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


def _layers(m: dict) -> dict:
    return m.get("layers") or {}


def _trend(metrics: list[dict], key: str) -> dict | None:
    """Spearman's rank correlation of a trait with test accuracy over the networks (rho, p,
    n), or None where it is undefined (fewer than four networks, or every network alike)."""
    values = [_layers(m).get(key, m.get(key)) for m in metrics]
    if len(metrics) < 4 or any(v is None for v in values):
        return None
    return stats.correlation(values, [m["accuracy"] for m in metrics])


def ranking(metrics: list[dict]) -> str:
    """The networks in order of test accuracy, and what their make-up goes with: each
    comparison tested, none given a cause the run did not isolate (`questions` lists what
    would)."""
    if len(metrics) < 2:
        return ""
    ranked = sorted(metrics, key=lambda m: m["accuracy"], reverse=True)
    parts = ["Ranked by test accuracy ({{ref:comparison}}): " + ", ".join(
        f"{m['model']} {m['accuracy']:.1%}" for m in ranked) + "."]
    if tests := stats.against_best(metrics):
        parts.append(stats.best_verdict(tests)[:-1] + " ({{ref:paired}}).")
    if text := _normalised(ranked):
        parts.append(text)
    skipped = [m for m in ranked if _layers(m).get("skips")]
    for m in skipped:
        place = ranked.index(m) + 1
        parts.append(f"{m['model']} is the only network with skip connections "
                     f"({_layers(m)['skips']} of them, {_layers(m)['convolutions']} "
                     f"convolutions): it ranks {_ordinal(place)} of {len(ranked)}."
                     if len(skipped) == 1 else
                     f"{m['model']} has {_layers(m)['skips']} skip connections and ranks "
                     f"{_ordinal(place)}.")
    depth = stats.correlation_text("the number of convolutions", _trend(ranked, "convolutions"))
    size = stats.correlation_text("the number of parameters", _trend(ranked, "parameters"))
    if depth or size:
        largest = max(ranked, key=lambda m: m["parameters"])
        text = ("Across the networks, " + "; ".join(t for t in (depth, size) if t)
                + ". These are correlations over networks that differ in several ways at "
                "once, not effects of depth or size.")
        text += (f" The largest, {largest['model']} ({largest['parameters']:,} parameters), "
                 f"ranks {_ordinal(ranked.index(largest) + 1)}.")
        parts.append(text)
    parts += _derived_all(metrics)
    return " ".join(parts)


def _normalised(ranked: list[dict]) -> str:
    """The networks with batch normalisation against those without: their mean accuracies,
    a Mann–Whitney test of the two groups, and what the groups differ in besides."""
    from scipy.stats import mannwhitneyu

    normed = [m for m in ranked if _layers(m).get("batch_norm")]
    plain = [m for m in ranked if m.get("layers") and not _layers(m).get("batch_norm")]
    if not normed or not plain:
        return ""
    text = (f"The {len(normed)} network{'s' if len(normed) > 1 else ''} with batch "
            f"normalisation ({_listed([m['model'] for m in normed])}) "
            f"average{'' if len(normed) > 1 else 's'} "
            f"{_mean([m['accuracy'] for m in normed]):.1%}, the {len(plain)} without "
            f"({_listed([m['model'] for m in plain])}) "
            f"{_mean([m['accuracy'] for m in plain]):.1%}")
    p = mannwhitneyu([m["accuracy"] for m in normed], [m["accuracy"] for m in plain]).pvalue
    text += (f" (Mann–Whitney {stats.p_text(float(p))}: "
             + ("the groups' accuracies cannot be told apart" if p >= stats.ALPHA else
                "the groups differ")
             + (f"; with {len(normed)} and {len(plain)} networks the test has little power, "
                "so this is no evidence that they are alike either"
                if stats.ALPHA <= p < 2 * stats.ALPHA else "") + ")")
    return (text + ". The groups also differ in depth, size and dropout, so this does not "
            "isolate batch normalisation.")


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _derived_all(metrics: list[dict]) -> list[str]:
    """`_derived` for every like-for-like pair of `DERIVED` the run has, their McNemar tests
    Holm-corrected as one family (planned before the run, apart from the tests of the best
    against the rest)."""
    by_name = {m["model"]: m for m in metrics}
    pairs = [(name, parent) for name, (parent, _) in DERIVED.items()
             if name in by_name and parent in by_name]
    tests = {}
    for name, parent in pairs:
        child, base = by_name[name], by_name[parent]
        if child.get("predictions") is not None and base.get("predictions") is not None:
            truth = np.asarray(child["labels"])
            tests[name] = stats.paired_test(np.asarray(child["predictions"]) == truth,
                                            np.asarray(base["predictions"]) == truth)
    _, corrected = stats.holm([t["p_value"] for t in tests.values()])
    for test, p in zip(tests.values(), corrected, strict=True):
        test["p_holm"] = p
    return [_derived(name, metrics, tests.get(name), len(tests)) for name, _ in pairs]


def _derived(name: str, metrics: list[dict], test: dict | None = None, family: int = 1) -> str:
    """A network against the one it was built from: what the addition changed, tested (`test`,
    one of `family` planned comparisons), and how their gaps between training and validation
    accuracy compare. Where the addition is two changes, the text says it cannot tell which."""
    by_name = {m["model"]: m for m in metrics}
    parent, added = DERIVED[name]
    child, base = by_name[name], by_name[parent]
    from helpers.learn.ablation import points_between

    points = points_between(child, base)  # of the accuracies the sentence shows
    text = (f"{name} is {parent} with {added} added: {child['accuracy']:.1%} against "
            f"{base['accuracy']:.1%}")
    if test is not None:
        p = test.get("p_holm", test["p_value"])
        shown = (f"McNemar {stats.p_text(test['p_value'])}, the one like-for-like comparison "
                 "planned, so no correction applies" if family == 1 else
                 f"McNemar {stats.p_text(test['p_value'])}, Holm-corrected over the {family} "
                 f"like-for-like comparisons {stats.p_text(p)}")
        verdict = ("a tie on these test images" if p >= stats.ALPHA else
                   f"{'a gain' if points > 0 else 'a loss'} of {abs(points):.1f} points")
        text += f" ({shown}: {verdict})"
    text += "."
    if " and " in added:
        text += f" It adds {added} together, so this run cannot tell their parts apart."
    if gaps := gap_comparison(child, base):
        text += " " + gaps
    return text


def _last_gap(m: dict) -> tuple[float, float] | None:
    """(training accuracy, validation accuracy) of a network's last epoch."""
    history = m.get("history") or {}
    train, val = history.get("accuracy"), history.get("val_accuracy")
    return (train[-1], val[-1]) if train and val else None


def gap_comparison(first: dict, second: dict, level: float = 0.95) -> str:
    """How two networks' gaps between training and validation accuracy in their last epoch
    compare: each gap, their difference, and whether it exceeds the binomial noise of the four
    accuracies (`train_images`, `validation_images`; a lower bound, as the training accuracy is
    also averaged over an epoch of changing weights). It says what differs, not why."""
    from scipy.stats import norm

    a, b = _last_gap(first), _last_gap(second)
    if a is None or b is None:
        return ""

    def variance(rate: float, n) -> float:
        return rate * (1 - rate) / n if n else 0.0

    def gap(m: dict, pair: tuple[float, float]) -> str:
        points = round(100 * pair[0], 1) - round(100 * pair[1], 1)  # of the numbers shown
        return (f"{m['model']}'s training accuracy was {abs(points):.1f} points "
                f"{'above' if points >= 0 else 'below'} its validation accuracy "
                f"({pair[0]:.1%} against {pair[1]:.1%})")

    spread = sum(variance(pair[0], m.get("train_images")) +
                 variance(pair[1], m.get("validation_images"))
                 for m, pair in ((first, a), (second, b)))
    half = round(100 * norm.ppf(0.5 + level / 2) * spread ** 0.5, 1)  # as shown
    difference = ((round(100 * a[0], 1) - round(100 * a[1], 1))
                  - (round(100 * b[0], 1) - round(100 * b[1], 1)))
    text = (f"In the last epoch {gap(first, a)}, {gap(second, b)}: the gaps differ by "
            f"{abs(difference):.1f} points")
    if not half:
        return text + "."
    if abs(difference) <= half:
        return (text + f", within the ±{half:.1f} points the accuracies' sampling allows, so "
                "the two gaps cannot be told apart.")
    lower = first if difference < 0 else second
    return (text + f", beyond the ±{half:.1f} points the accuracies' sampling allows: "
            f"{lower['model']}'s training accuracy lags its validation accuracy more.")


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
    shown = ", ".join(f"{c} ({worst_classes[c]:.0%} right; {best['model']} "
                      f"{best_classes.get(c, 0):.0%})" for c in low)
    layers = _layers(worst)
    has = (f"{worst['parameters']:,} parameters, {layers['convolutions']} convolutions, "
           + ("batch normalisation" if layers.get("batch_norm") else "no batch normalisation")
           + (f", {layers['dropout']} dropout layers" if layers.get("dropout") else "")
           if layers else f"{worst['parameters']:,} parameters")
    text = (f"The weakest network, {worst['model']} ({has}), reads these classes worst: "
            f"{shown}.")
    history = worst.get("history") or {}
    val = history.get("val_accuracy") or []
    # Still rising only where early stopping did not end it: a converged network's last
    # epochs rose no more than its rule allows, whatever one epoch's step.
    if (len(val) >= 2 and val[-1] > val[-2] + 0.005
            and worst.get("stopped_by") != "early stopping"):
        text += (f" Its validation accuracy was still rising in the last epoch "
                 f"({val[-2]:.1%} → {val[-1]:.1%}) when the {STOPPED[worst.get('stopped_by')]} "
                 "ended it: how far more epochs would lift it, this run did not measure.")
    elif worst.get("stopped_by") == "early stopping":
        patience = (worst.get("recipe") or {}).get("patience")
        text += (f" Early stopping ended it at its best validation accuracy of "
                 f"{max(val):.1%}" if val else " Early stopping ended it") + \
            (f": it had not beaten that for {patience} epochs, converged by the run's rule."
             if patience else ": converged by the run's rule.")
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
                     "handwriting, and these scores say nothing about it; the same chain "
                     "runs on EMNIST's handwritten letters with `DATASET=emnist-letters`.")
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
            f"instead of {best['accuracy']:.1%}: {share:.0%} of its errors are such pairs.")


def conclusion(found: dict, balance: str) -> str:
    """One answer to each objective of the introduction, from the run's numbers."""
    metrics, data = found["metrics"], found["dataset"]
    if not metrics:
        return "No network was trained in this run."
    leak = data.get("leakage", {})
    answers = []
    if leak:
        answers.append(f"**Data.** The leakage audit found {leak.get('test_in_train', 0):,} test "
                       f"images ({leak.get('test_in_train_fraction', 0):.1%}) identical to a "
                       "training image.")
    study = found.get("ablation") or {}
    implied = ablation_implications(study, recipe_facts(found))["text"]
    answers.append(f"**Balancing and augmentation.** The networks trained with {balance}."
                   + (f" {implied}" if implied else ""))
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


def recipe_facts(found: dict) -> dict:
    """The choices the networks of this run trained with, as `ablation_implications` weighs
    them: the balancing (the ablation's first arm is the run's own) and whether the recipe
    augments (each network's saved recipe; `Recipe`'s default where none was saved)."""
    from helpers.learn.recipe import Recipe

    rows = (found.get("ablation") or {}).get("rows") or []
    augments = {(m.get("recipe") or {}).get("augment") for m in found.get("metrics") or []}
    augments.discard(None)
    return {"balancing": rows[0].get("balancing") if rows else None,
            "augment": augments.pop() if len(augments) == 1 else Recipe().augment}


# How a sentence names the choices of a recipe.
CHOICE_WORDS = {"class-weights": "class weights", "none": "no balancing",
                "nearmiss": "NearMiss-1"}


def ablation_implications(study: dict, facts: dict) -> dict:
    """What the ablation (`helpers.learn.ablation.run`'s rows in `study`) says of the recipe's
    own choices (`facts`: "balancing", "augment"): for each comparison of the chosen arm with
    another, whether the ablation supports the choice (the chosen arm is better by the
    Holm-corrected test), contradicts it (the other is better), cannot tell them apart, or
    leaves it unsettled (one of the two was cut by the time limit or the epoch cap, so they
    did not train alike). Returns the comparisons ("choice", "other", "points", "p",
    "verdict") and `text`, the sentences a report quotes ("" without a comparison)."""
    from helpers.learn.ablation import CUT, points_between

    rows = study.get("rows") or []
    network = study.get("network", "one network")
    chosen = next((r for r in rows if r.get("balancing") == facts.get("balancing")
                   and r.get("augmentation") == facts.get("augment")), None)
    if chosen is None or len(rows) < 2:
        return {"comparisons": [], "text": ""}
    reference = rows[0]
    comparisons = []
    for other in rows:
        if other is chosen:
            continue
        tested = other if chosen is reference else chosen if other is reference else None
        if tested is None or "against_reference" not in tested:
            continue  # only the first arm was tested against each other one
        same_balancing = other.get("balancing") == chosen.get("balancing")
        if same_balancing == (other.get("augmentation") == chosen.get("augmentation")):
            continue  # differs in both choices, or in neither: no one choice is compared
        test = tested["against_reference"]
        p = test.get("p_holm", test["p_value"])
        points = points_between(chosen, other)
        cut = [r for r in (chosen, other) if r.get("stopped_by") in CUT]
        verdict = ("unsettled" if cut else "cannot tell apart" if p >= stats.ALPHA else
                   "supports" if points > 0 or (points == 0 and _wins(test, chosen is reference))
                   else "contradicts")
        comparisons.append({"choice": "augmentation" if same_balancing else "balancing",
                            "other": other["arm"], "points": points, "p": p,
                            "verdict": verdict, "cut": [r["arm"] for r in cut]})
    choices = {choice: _overall([c for c in comparisons if c["choice"] == choice])
               for choice in ("balancing", "augmentation")
               if any(c["choice"] == choice for c in comparisons)}
    return {"comparisons": comparisons, "choices": choices,
            "text": _implications_text(comparisons, choices, facts, network)}


def _wins(test: dict, chosen_is_reference: bool) -> bool:
    only_reference, only_other = test.get("only_reference", 0), test.get("only_this", 0)
    return only_reference > only_other if chosen_is_reference else only_other > only_reference


def _overall(group: list[dict]) -> str:
    """One choice's verdict over its comparisons: "contradicted" where any alternative did
    better, "supported" where it beat every one, "partly supported" where it beat some and
    could not be told from (or was unsettled against) the rest, else "cannot tell apart" or
    "unsettled"."""
    verdicts = {c["verdict"] for c in group}
    if "contradicts" in verdicts:
        return "contradicted"
    if verdicts == {"supports"}:
        return "supported"
    if "supports" in verdicts:
        return "partly supported"
    return "cannot tell apart" if "cannot tell apart" in verdicts else "unsettled"


def _subject(choice: str, facts: dict) -> str:
    if choice == "balancing":
        return CHOICE_WORDS.get(facts.get("balancing"), str(facts.get("balancing")))
    return "augmentation" if facts.get("augment") else "leaving out augmentation"


def choice_clause(choice: str, group: list[dict], facts: dict) -> str:
    """What the ablation found for one of the recipe's choices, as a clause with the numbers:
    "class weights beat NearMiss-1 (+12.6 points, Holm p < 0.001) and could not be told apart
    from no balancing (+0.1 points, Holm p = 1)"."""
    subject = _subject(choice, facts)

    def numbers(c: dict) -> str:
        return f"{c['points']:+.1f} points, Holm {stats.p_text(c['p'])}"

    if choice == "augmentation":
        (c,) = group
        size = f"{abs(c['points']):.1f} points (Holm {stats.p_text(c['p'])})"
        if c["verdict"] == "supports":
            return f"{subject} gained {size}"
        if c["verdict"] == "contradicts":
            return f"{subject} cost {size}"
        if c["verdict"] == "cannot tell apart":
            return (f"{subject}'s {c['points']:+.1f} points could not be told apart from none "
                    f"(Holm {stats.p_text(c['p'])})")
        return (f"{subject}'s {c['points']:+.1f} points are unsettled, as "
                f"{_listed(c['cut'])} stopped before converging")
    said = []
    for verdict, words in (("supports", "beat"), ("contradicts", "did worse than"),
                           ("cannot tell apart", "could not be told apart from"),
                           ("unsettled", "was unsettled against")):
        named = [f"{c['other']} ({numbers(c)})" for c in group if c["verdict"] == verdict]
        if named:
            said.append(f"{words} {_listed(named)}")
    cut = sorted({a for c in group for a in c["cut"]})
    return (f"{subject} {_listed(said)}"
            + (f" ({_listed(cut)} stopped before converging)" if cut else ""))


# What the ablation says of one of the recipe's choices, by its overall verdict (`_overall`).
VERDICT_WORDS = {"supported": "supports its {}", "partly supported": "partly supports its {}",
                 "contradicted": "contradicts its {}",
                 "cannot tell apart": "cannot tell its {} from the alternatives",
                 "unsettled": "leaves its {} unsettled"}


def ablation_verdict(choices: dict) -> str:
    """The ablation's verdict on each of the recipe's choices (`ablation_implications`'
    "choices"), as the predicate of a sentence: "partly supports its balancing and contradicts
    its augmentation"."""
    return _listed([VERDICT_WORDS[overall].format(choice) for choice, overall in choices.items()])


def _implications_text(comparisons: list[dict], choices: dict, facts: dict,
                       network: str) -> str:
    if not comparisons:
        return ""
    clauses = [choice_clause(choice, [c for c in comparisons if c["choice"] == choice], facts)
               for choice in choices]
    text = (f"The recipe balances by {_subject('balancing', facts)} and "
            + ("augments" if facts.get("augment") else "does not augment")
            + f" the training images. In the ablation ({network}, one training per arm), "
            + "; ".join(clauses) + ".")
    text += f" So the ablation {ablation_verdict(choices)}."
    if "contradicted" in choices.values():
        text += (f" The recipe keeps its choices: the ablation measured one network, {network}, "
                 "in one training per arm, so whether the contradiction holds for the other "
                 "networks is a question this run leaves.")
    return text


def questions(found: dict) -> list[str]:
    """What this run's comparisons leave open because they change several things at once, each
    as a question with the run that would answer it."""
    metrics = found.get("metrics") or []
    names = {m["model"] for m in metrics}
    asked = []
    normed = [m for m in metrics if _layers(m).get("batch_norm")]
    plain = [m for m in metrics if m.get("layers") and not _layers(m).get("batch_norm")]
    if normed and plain:
        asked.append("Is it batch normalisation that separates the normalised networks from the "
                     "others? They also differ in depth, size and dropout: train `deep` with "
                     "batch normalisation and nothing else changed (notebook 11) and compare the "
                     "two by the paired test.")
    for name, (parent, added) in DERIVED.items():
        if name in names and parent in names and " and " in added:
            asked.append(f"Which of {name}'s additions ({added}) made its difference from "
                         f"{parent}, or its absence? Train {parent} with each alone.")
    if any(_layers(m).get("skips") for m in metrics):
        asked.append("Do the skip connections change the accuracy at this depth? Train "
                     "`models.resnet(classes, skip=False)` in notebook 11 and test it against "
                     "resnet.")
    if len(metrics) >= 4:
        asked.append("Does size or depth buy accuracy here? The networks differ in several "
                     "ways at once; one network widened or deepened step by step would tell.")
    implied = ablation_implications(found.get("ablation") or {}, recipe_facts(found))
    if any(c["verdict"] in ("contradicts", "unsettled") for c in implied["comparisons"]):
        network = (found.get("ablation") or {}).get("network", "one network")
        asked.append(f"Does the ablation's finding hold beyond {network}? Run notebook 12 with "
                     "another network and `SEED`.")
    return asked


def _confused_pairs(m: dict, pairs: list[tuple[str, str]]) -> list[tuple[tuple[str, str], int]]:
    """The look-alike `pairs` a network actually confused on the test images, with how many
    images each way together, most first."""
    classes = m["classes"]
    index = {c: i for i, c in enumerate(classes)}
    errors = Counter(frozenset((classes[t], classes[p]))
                     for t, p in zip(m["labels"], m["predictions"], strict=True) if t != p)
    made = [((a, b), errors[frozenset((a, b))]) for a, b in pairs
            if a in index and b in index and errors[frozenset((a, b))]]
    return sorted(made, key=lambda item: -item[1])


def finding(found: dict) -> str:
    """The run's findings in a sentence or two for the abstract: the share of the best
    network's errors that are look-alike characters, where they are at least half of them, and
    what the ablation says of the recipe's choices."""
    metrics = found.get("metrics") or []
    said = []
    if metrics:
        best = max(metrics, key=lambda m: m["accuracy"])
        pairs = stats.lookalikes(best.get("classes") or [])
        share = 0.0
        if pairs and best.get("predictions") is not None and best["accuracy"] < 1:
            merged = stats.merged_accuracy(best["labels"], best["predictions"],
                                           best["classes"], pairs)
            share = (merged - best["accuracy"]) / (1 - best["accuracy"])
        if share >= 0.5:  # a finding only where such pairs are at least half of the errors
            made = _confused_pairs(best, pairs)
            said.append(f"{share:.0%} of {best['model']}'s test errors confuse look-alike "
                        f"characters ({', '.join(f'{a}/{b} {n}' for (a, b), n in made[:3])}"
                        f"{' …' if len(made) > 3 else ''}).")
    facts = recipe_facts(found)
    implied = ablation_implications(found.get("ablation") or {}, facts)
    if implied["comparisons"]:
        network = (found.get("ablation") or {}).get("network", "one network")
        said.append(f"In the ablation ({network}), " + "; ".join(
            choice_clause(choice, [c for c in implied["comparisons"] if c["choice"] == choice],
                          facts) for choice in implied["choices"]) + ".")
    return " ".join(said)
