"""Sentences that read the comparison's figures: what the training curves of all networks show
(`learning`) and where the best network's errors lie (`confusions`).

Each reads the numbers the figure beside it plots (the saved histories, the best network's
most-confused pairs), so the text and the figure cannot disagree; where the figure shows no
clear difference, the sentence says so.
"""

from __future__ import annotations

from helpers.learn import stats

# Within this many points of its best validation accuracy a network has "got there": about the
# width of the validation split's 95% interval for a few thousand images at 95%.
NEAR_BEST = 0.01


def _epochs(n: int) -> str:
    return f"{n} epoch{'s' if n != 1 else ''}"


def epochs_to_near_best(history: dict, within: float = NEAR_BEST) -> int | None:
    """The first epoch (from 1) whose validation accuracy is within `within` of the best the
    history reached; None without validation accuracies."""
    values = history.get("val_accuracy") or []
    if not values:
        return None
    best = max(values)
    return next(i for i, v in enumerate(values, 1) if v >= best - within)


def learning(metrics: list[dict], within: float = NEAR_BEST) -> str:
    """What the figure of every network's validation curve shows: how many epochs each took
    to come within `within` of its best, who was quickest and slowest (or that they were
    alike), and the widest gap between training and validation accuracy at the kept epoch."""
    speed = {m["model"]: n for m in metrics
             if (n := epochs_to_near_best(m.get("history") or {}, within)) is not None}
    if not speed:
        return ""
    points = f"{100 * within:g} point{'s' if within != 0.01 else ''}"
    fastest, slowest = min(speed.values()), max(speed.values())
    if fastest == slowest:
        text = (f"Every network came within {points} of its best validation accuracy after "
                f"{_epochs(fastest)}.")
    else:
        quick = [name for name, n in speed.items() if n == fastest]
        slow = [name for name, n in speed.items() if n == slowest]
        text = (f"The networks came within {points} of their best validation accuracy after "
                f"{fastest} to {_epochs(slowest)}: {_listed(quick)} after {_epochs(fastest)}, "
                f"{_listed(slow)} after {_epochs(slowest)}.")
    gaps = {m["model"]: gap for m in metrics if (gap := _gap(m)) is not None}
    if gaps:
        widest = max(gaps, key=gaps.get)
        if gaps[widest] > within:
            text += (f" At the epoch it kept, {widest} was {100 * gaps[widest]:.1f} points "
                     "more accurate on its (augmented) training batches than on the validation "
                     "images, the widest such gap.")
        else:
            text += (f" At the epoch each kept, no network's training accuracy exceeded its "
                     f"validation accuracy by more than {points}: none had begun to memorise "
                     "its training images.")
    return text


def _gap(m: dict) -> float | None:
    history, best = m.get("history") or {}, m.get("best_epoch")
    train, val = history.get("accuracy") or [], history.get("val_accuracy") or []
    if not best or not 0 < best <= min(len(train), len(val)):
        return None
    return train[best - 1] - val[best - 1]


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def confusions(best: dict, top: int = 5) -> str:
    """Where the best network's errors lie: the share of them its `top` most-confused pairs
    make up, and how many of those pairs are characters that share a shape."""
    pairs = (best.get("most_confused") or [])[:top]
    errors = best.get("misclassified_count") or 0
    if not pairs or not errors:
        return ""
    counted = sum(p["count"] for p in pairs)
    alike = {frozenset(pair) for pair in stats.lookalikes(best.get("classes") or [])}
    shared = [p for p in pairs if frozenset((p["true"], p["predicted"])) in alike]
    shown = ", ".join(f"{p['true']} read as {p['predicted']} ({p['count']})" for p in pairs)
    text = (f"{best['model']} misread {errors:,} of its {best.get('test_images', 0):,} test "
            f"images; its {len(pairs)} most frequent confusions ({shown}) make up "
            f"{counted / errors:.0%} of them")
    if shared:
        text += (f", and {len(shared)} of those {len(pairs)} are characters that share a "
                 "shape")
    return text + "."
