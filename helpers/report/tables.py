"""Tables as the notebooks and the report show them: titles a reader understands, numbers
rounded the way they are quoted, no index column.

Each function returns a pandas Styler, which Jupyter, nbconvert's HTML and the PDF (its table
markup, without the stylesheet) all render; the data stays in `.data` for code that wants it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd
from pandas.io.formats.style import Styler

from helpers.learn.evaluate import compare
from helpers.learn.stats import p_value, percent

# Column name in `helpers.learn.evaluate.compare` -> (title, format).
COMPARISON = {
    "model": ("Model", "{}"),
    "dataset": ("Dataset", "{}"),
    "accuracy": ("Test accuracy", "{:.1%}"),
    "accuracy_interval": ("95% interval", "{}"),
    "accuracy_over_seeds": ("Over seeds (mean ± sd)", "{}"),
    "macro_f1": ("Macro F1", "{:.1%}"),
    "macro_f1_interval": ("95% interval (F1)", "{}"),
    "weighted_f1": ("Weighted F1", "{:.1%}"),
    "parameters": ("Parameters", "{:,.0f}"),
    "epochs": ("Epochs", "{:.0f}"),
    "best_epoch": ("Best epoch", "{:.0f}"),
    "stopped_by": ("Stopped by", "{}"),  # early stopping: converged
    "training_seconds": ("Training time (s)", "{:.1f}"),
    "images_per_second": ("Images/s", "{:,.0f}"),
}

# Keras history key -> (title, format), in the order shown.
HISTORY = {
    "loss": ("Loss", "{:.3f}"),
    "accuracy": ("Accuracy", "{:.1%}"),
    "val_loss": ("Val loss", "{:.3f}"),
    "val_accuracy": ("Val accuracy", "{:.1%}"),
    "learning_rate": ("Learning rate", "{:.2g}"),  # 8.4e-08, not 8.35701e-08
}


def styled(frame: pd.DataFrame, formats: dict[str, str]) -> Styler:
    """`frame` without its index, each column in its format, any other number with three
    decimals at most (never pandas' six); missing values show as a dash."""
    style = frame.style.hide(axis="index").format(precision=3, na_rep="–")
    shown = {c: f for c, f in formats.items() if c in frame.columns}
    return style.format(shown, na_rep="–") if shown else style  # {} would reset every column


def unindexed(frame: pd.DataFrame) -> Styler:
    """A table built with a meaningful index (a numbered image or line, a measure) shown with
    that index as its first column, so no second header row holds the index's name."""
    return styled(frame.reset_index() if frame.index.name else frame, {})


def comparison(metrics: pd.DataFrame | Iterable) -> Styler:
    """Networks side by side for reading: the table `helpers.learn.evaluate.compare` makes of
    `metrics` (or that table itself), accuracy and F1 in percent with one decimal, parameters
    with thousands separators, seconds with one decimal. The dataset column is left out when
    every row has the same one (the report names it)."""
    table = metrics if isinstance(metrics, pd.DataFrame) else compare(metrics)
    table = table.copy()
    for column in ("accuracy_interval", "macro_f1_interval"):
        if column in table:
            table[column] = table[column].map(interval)
    if "accuracy_over_seeds" in table:
        table["accuracy_over_seeds"] = table["accuracy_over_seeds"].map(
            lambda v: None if not isinstance(v, tuple)
            else f"{100 * v[0]:.1f} ± {100 * v[1]:.1f}% ({v[2]} seeds)")
    if "dataset" in table.columns and table["dataset"].nunique(dropna=False) <= 1:
        table = table.drop(columns="dataset")
    known = [c for c in COMPARISON if c in table.columns]
    table = table[known + [c for c in table.columns if c not in COMPARISON]]
    titles = {c: COMPARISON[c][0] for c in known}
    return styled(table.rename(columns=titles),
                  {COMPARISON[c][0]: COMPARISON[c][1] for c in known})


def interval(bounds) -> str | None:
    """(0.856, 0.875) as "85.6–87.5%"; None stays None (shown as a dash)."""
    if bounds is None or (isinstance(bounds, float) and pd.isna(bounds)):
        return None
    return percent(bounds)


def paired_tests(rows: list[dict]) -> Styler:
    """The best network against each other one (`helpers.learn.stats.against_best`): the test
    images only one of the two got right, McNemar's p-value, the p-value corrected by Holm's
    method for the number of tests, and what the corrected test says."""
    frame = pd.DataFrame([{
        "Network": r["model"], f"Only {r['best']} right": r["only_first"],
        "Only this one right": r["only_second"], "p-value": p_value(r["p_value"]),
        "Holm-corrected": p_value(r["p_holm"]),
        "On these test images": (f"{r['best']} better" if r["only_first"] > r["only_second"]
                                 else f"{r['model']} better") if r["significant"]
        else "a tie: cannot be told apart"}
        for r in rows])
    return styled(frame, {})


def training(history: dict[str, list[float]], best_epoch: int | None = None) -> Styler:
    """One row per epoch of a Keras history: loss and accuracy on the training and validation
    images and the learning rate when it was recorded; the best epoch is marked."""
    epochs = len(history.get("loss", []))
    frame = pd.DataFrame({"Epoch": [f"{e} (best)" if e == best_epoch else str(e)
                                    for e in range(1, epochs + 1)]})
    for key, (title, _) in HISTORY.items():
        if key in history and len(history[key]) == epochs:
            frame[title] = history[key]
    return styled(frame, dict(HISTORY.values()))


def most_confused(metrics: list[dict], top: int = 5) -> Styler:
    """Each network's most frequent confusions, "true→predicted (count)", most frequent first."""
    ordinals = ["1st", "2nd", "3rd"] + [f"{i}th" for i in range(4, top + 1)]
    rows = [{"Model": m["model"],
             **{ordinals[i]: f"{p['true']}→{p['predicted']} ({p['count']})"
                for i, p in enumerate(m.get("most_confused", [])[:top])}} for m in metrics]
    return styled(pd.DataFrame(rows, columns=["Model", *ordinals[:top]]), {})


def classification_report(report: dict) -> Styler:
    """scikit-learn's classification report (the `report` of `helpers.learn.evaluate`) as a
    table: one row per class and average, precision, recall and F1 with three decimals and the
    support as a whole number of test images."""
    frame = pd.DataFrame({name: row for name, row in report.items() if isinstance(row, dict)}).T
    frame = frame.rename(columns={"precision": "Precision", "recall": "Recall",
                                  "f1-score": "F1", "support": "Test images"})
    frame.insert(0, "Class", frame.index)
    if "Test images" in frame:
        frame["Test images"] = frame["Test images"].round().astype(int)
    return styled(frame, {"Precision": "{:.3f}", "Recall": "{:.3f}", "F1": "{:.3f}",
                          "Test images": "{:,d}"})


def layers(rows: list[dict]) -> Styler:
    """A network's layers with parameters (`helpers.learn.anatomy.layer_table`): kind, output
    shape, parameters and how the count comes about."""
    frame = pd.DataFrame(rows).rename(columns={
        "layer": "Layer", "kind": "Kind", "output": "Output", "parameters": "Parameters",
        "arithmetic": "Arithmetic"})
    return styled(frame, {"Parameters": "{:,d}"})


def receptive_fields(rows: list[dict]) -> Styler:
    """Each convolution or pooling layer's kernel, stride, output size and receptive field
    (`helpers.learn.anatomy.receptive_fields`)."""
    frame = pd.DataFrame(rows).rename(columns={
        "layer": "Layer", "kind": "Kind", "kernel": "Kernel", "stride": "Stride",
        "output": "Output", "receptive field": "Receptive field",
        "sees": "Share of the image"})
    return styled(frame, {"Share of the image": "{:.0%}"})


def ablation(rows: list[dict]) -> Styler:
    """One row per arm of the ablation (`helpers.learn.ablation.run`): what it kept, its
    epochs and what ended them, its time, accuracy and macro F1 with intervals, its accuracy's
    difference from the first arm in points (of the rounded accuracies shown, as the text
    quotes it) and the paired test against the first arm. Headers are words short enough
    not to break inside a narrow column."""
    from helpers.learn.ablation import points_between

    frame = pd.DataFrame([{
        "Arm": r["arm"], "Training images": r["train_images"], "Epochs": r.get("epochs"),
        "Stopped by": r.get("stopped_by"), "Time (s)": r["seconds"],
        "Test accuracy": r["accuracy"], "95% interval": interval(r["accuracy_interval"]),
        "Points against the first": (f"{points_between(r, rows[0]):+.1f}"
                                     if i and "accuracy" in rows[0] else None),
        "Macro F1": r["macro_f1"], "95% interval (F1)": interval(r["macro_f1_interval"]),
        "p (McNemar)": (p_value(r["against_reference"]["p_value"])
                        if "against_reference" in r else None),
        "p (Holm)": (p_value(r["against_reference"]["p_holm"])
                     if "p_holm" in r.get("against_reference", {}) else None)}
        for i, r in enumerate(rows)])
    return styled(frame.dropna(axis=1, how="all"),
                  {"Training images": "{:,d}", "Epochs": "{:.0f}", "Time (s)": "{:.1f}",
                   "Test accuracy": "{:.1%}", "Macro F1": "{:.1%}"})


# An absolute path of this machine ("/work/data/emnist", "C:\\Users\\me\\az.csv"): a report
# handed in names the folder or file, not where it lay on the machine that made it.
ABSOLUTE_PATH = re.compile(r"(?:(?<=\s)|^|(?<=\())(?:[A-Za-z]:\\|/)(?:[^\s/\\]+[/\\])*"
                           r"([^\s/\\;:,)]+)")


def without_folders(text: str) -> str:
    """`text` with every absolute path shortened to its last part (its file or folder)."""
    return ABSOLUTE_PATH.sub(r"\1", text)


def dataset_facts(facts: dict) -> Styler:
    """What `helpers.experiment.describe` found, one fact per row in words: where the images
    came from, classes, images per split, the smallest and largest class and their ratio, and
    any notes of the loader."""
    rows = [("Dataset", facts.get("name", "")),
            ("Source", without_folders(facts.get("source", ""))),
            ("Classes", f"{facts.get('classes', 0):,}"),
            ("Training images", f"{facts.get('train_images', 0):,}"),
            ("Test images", f"{facts.get('test_images', 0):,}"),
            ("Smallest class (training images)", f"{facts.get('smallest_class', 0):,}"),
            ("Largest class (training images)", f"{facts.get('largest_class', 0):,}"),
            ("Largest / smallest", f"{facts.get('imbalance_ratio', 0):.1f}×")]
    rows += [("Note", without_folders(note)) for note in facts.get("notes") or []]
    return styled(pd.DataFrame(rows, columns=["Fact", "Value"]), {})


LEAKAGE = {"train_images": "training images", "test_images": "test images",
           "train_repeats": "training images that repeat an earlier training image",
           "test_repeats": "test images that repeat an earlier test image",
           "test_in_train": "test images also in the training split",
           "conflicting_labels": "images that carry more than one label"}


def leakage(audit: dict) -> Styler:
    """The leakage audit (`helpers.data.leakage(...).as_dict()`) as counts in words, the share
    of test images found in training beside its count; then the test images with a
    near-duplicate of their class in training, with the method and threshold (audits from before
    near-duplicates were counted show the exact rows only)."""
    rows = [(title, f"{int(audit.get(key, 0)):,}") for key, title in LEAKAGE.items()]
    rows.append(("share of the test images also in training",
                 f"{audit.get('test_in_train_fraction', 0.0):.1%}"))
    if "test_near_train" in audit:
        rows += [(f"test images with a near-duplicate of their class in training "
                  f"({audit.get('near_method', '')} at least {audit.get('near_threshold', 0):g})",
                  f"{int(audit['test_near_train']):,}"),
                 ("share of the test images with a near-duplicate in training",
                  f"{audit.get('test_near_train_fraction', 0.0):.1%}")]
    return styled(pd.DataFrame(rows, columns=["Duplicates", "Images"]), {})


def balance_counts(before: pd.Series, after: pd.Series) -> Styler:
    """Training images per class before and after balancing, one class per row, with the
    share each class kept."""
    frame = pd.DataFrame({"Class": [str(c) for c in before.index],
                          "Before": before.astype(int).to_numpy(),
                          "After": after.reindex(before.index).fillna(0).astype(int).to_numpy()})
    frame["Kept"] = frame["After"] / frame["Before"].where(frame["Before"] > 0)
    return styled(frame, {"Before": "{:,}", "After": "{:,}", "Kept": "{:.0%}"})


def _largest(factor) -> float:
    """A Keras random layer's factor, a number or a (low, high) pair, as its largest size."""
    return max(abs(f) for f in factor) if isinstance(factor, tuple | list) else abs(factor)


def augmentation_layers(model) -> Styler:
    """Each random transformation of the augmentation model with its setting, in the order
    they run (the layers have no weights, so a Keras summary would show nothing)."""
    import math

    rows = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "RandomRotation":
            setting = f"up to ±{360 * _largest(layer.factor):.3g}°"
        elif kind == "RandomTranslation":
            setting = (f"up to ±{_largest(layer.width_factor):.0%} of the width and "
                       f"±{_largest(layer.height_factor):.0%} of the height")
        elif kind == "RandomShear":
            factor = _largest(layer.x_factor)
            setting = (f"horizontal shear factor up to {factor:.4f} "
                       f"(±{math.degrees(math.atan(factor)):.2g}°)")
        elif kind == "RandomZoom":
            setting = f"up to ±{_largest(layer.height_factor):.0%}"
        else:
            setting = ""
        rows.append((kind, setting, getattr(layer, "fill_mode", "")))
    return styled(pd.DataFrame(rows, columns=["Layer", "Setting", "Fill"]), {})
