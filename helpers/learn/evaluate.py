"""Test-split metrics for a trained model, saved as JSON so notebooks and reports read, not retype.

`metrics_from_predictions` does all the arithmetic on plain arrays (testable by hand);
`evaluate` = the test split's probabilities (`helpers.learn.predict.probabilities`) + that + an
optional `<name>.json`; `compare` makes the table (`helpers.report.tables.comparison` formats it
for reading).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import classification_report, confusion_matrix, roc_auc_score

from helpers.data.cache import atomic_path
from helpers.data.dataset import Dataset
from helpers.errors import DataError
from helpers.learn import UNSURE_BELOW
from helpers.learn.predict import probabilities
from helpers.learn.stats import accuracy_interval, macro_f1_interval

MOST_CONFUSED = 10
MISCLASSIFIED = 100
# Training facts a caller may pass through `extra=`; `compare` shows them when present.
TRAINING_COLUMNS = ("epochs", "best_epoch", "stopped_by", "training_seconds",
                    "images_per_second")


def roc_auc_per_class(y_true, proba, classes) -> tuple[dict[str, float], list[str]]:
    """One-vs-rest AUC per class; classes with no positive (or no negative) example are skipped."""
    y_true = np.asarray(y_true)
    scores, skipped = {}, []
    for k, name in enumerate(classes):
        positive = y_true == k
        if positive.all() or not positive.any():
            skipped.append(name)
        else:
            scores[name] = float(roc_auc_score(positive, proba[:, k]))
    return scores, skipped


def metrics_from_predictions(y_true, proba, classes) -> dict:
    """Every number the notebooks report, from true labels and N×K probabilities (plain JSON types).

    Averages and the report cover the classes that occur in `y_true` or in the predictions
    (scikit-learn's default), so a class missing from the test split does not count as a zero.
    """
    classes = tuple(str(c) for c in classes)
    y_true, proba = np.asarray(y_true), np.asarray(proba, dtype=np.float64)
    k = len(classes)
    if proba.ndim != 2 or proba.shape[1] != k:
        raise DataError(f"probabilities must have shape (N, {k}) for {k} classes, "
                        f"got {proba.shape}")
    if len(y_true) != len(proba) or len(y_true) == 0:
        raise DataError(f"need one label per probability row and at least one row; got "
                        f"{len(y_true)} labels and {len(proba)} rows")
    if not np.issubdtype(y_true.dtype, np.integer) or y_true.min() < 0 or y_true.max() >= k:
        raise DataError(f"labels must be integers 0..{k - 1}, got {y_true.dtype} values "
                        f"{y_true.min()}..{y_true.max()}")
    y_pred = proba.argmax(axis=1)
    present = np.union1d(y_true, y_pred)
    report = classification_report(y_true, y_pred, labels=present,
                                   target_names=[classes[i] for i in present],
                                   output_dict=True, zero_division=0)
    cm = confusion_matrix(y_true, y_pred, labels=np.arange(k))
    support = cm.sum(axis=1)
    auc, skipped = roc_auc_per_class(y_true, proba, classes)
    wrong = np.flatnonzero(y_pred != y_true)
    correct = int(np.sum(y_pred == y_true))
    metrics = {
        "accuracy": correct / len(y_true),
        # How sure the test split makes those two numbers (helpers.learn.stats).
        "accuracy_interval": list(accuracy_interval(correct, len(y_true))),
        **{f"{avg}_{m}": report[f"{avg} avg"][key]
           for avg in ("macro", "weighted")
           for m, key in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score"))},
        "test_images": len(y_true),
        "classes": list(classes),
        "per_class_accuracy": {c: (float(cm[i, i] / support[i]) if support[i] else None)
                               for i, c in enumerate(classes)},
        "absent_classes": [c for i, c in enumerate(classes) if support[i] == 0],
        "most_confused": _most_confused(cm, classes),
        "roc_auc": auc,
        "macro_roc_auc": float(np.mean(list(auc.values()))) if auc else None,
        "roc_auc_skipped": skipped,
        "misclassified_count": len(wrong),
        "misclassified": [{"index": int(i), "true": classes[y_true[i]],
                           "predicted": classes[y_pred[i]],
                           "probability": float(proba[i, y_pred[i]])}
                          for i in wrong[:MISCLASSIFIED]],
        "confusion_matrix": cm.tolist(),
        "report": report,
        # Every answer, for paired tests between networks scored on the same images.
        "labels": y_true.tolist(),
        "predictions": y_pred.tolist(),
    }
    metrics["macro_f1_interval"] = (list(macro_f1_interval(y_true, y_pred))
                                    if len(y_true) >= 2 else None)
    metrics["unsure"] = unsure_answers(y_true, proba)
    return _plain(metrics)


def unsure_answers(y_true: np.ndarray, proba: np.ndarray) -> dict:
    """How many answers fall under `UNSURE_BELOW` and how often those, and the rest, are right:
    what an "unsure" mark on a prediction is worth."""
    sure = proba.max(axis=1) >= UNSURE_BELOW
    right = proba.argmax(axis=1) == y_true

    def accuracy(rows: np.ndarray) -> float | None:
        return float(right[rows].mean()) if rows.any() else None

    return {"below": UNSURE_BELOW, "count": int((~sure).sum()), "share": float((~sure).mean()),
            "accuracy": accuracy(~sure), "accuracy_sure": accuracy(sure)}


def _most_confused(cm: np.ndarray, classes, top: int = MOST_CONFUSED) -> list[dict]:
    off = cm.copy()
    np.fill_diagonal(off, 0)
    t, p = np.nonzero(off)
    order = np.lexsort((p, t, -off[t, p]))[:top]  # by count, ties in class order
    support = cm.sum(axis=1)
    return [{"true": classes[t[i]], "predicted": classes[p[i]], "count": int(off[t[i], p[i]]),
             "share_of_true": float(off[t[i], p[i]] / support[t[i]])} for i in order]


@dataclass(frozen=True, eq=False)
class Evaluation:
    """The metrics dict plus the arrays figures need; `evaluation["accuracy"]` reads the metrics."""

    metrics: dict
    y_true: np.ndarray
    y_pred: np.ndarray
    proba: np.ndarray
    path: Path | None = None

    def __getitem__(self, key: str):
        return self.metrics[key]

    def __contains__(self, key: str) -> bool:
        return key in self.metrics

    def keys(self):
        return self.metrics.keys()

    def to_json(self) -> str:
        return json.dumps(self.metrics, indent=1, ensure_ascii=False, allow_nan=False)


def evaluate(model, dataset: Dataset, *, name: str | None = None,
             out_dir: str | Path | None = None, batch_size: int = 512,
             extra: dict | None = None) -> Evaluation:
    """Predict the test split and compute its metrics; with `out_dir`, also write `<name>.json`.

    `name` defaults to `model.name`; `extra` (e.g. epochs, training_seconds, images_per_second)
    is stored beside the metrics and may not reuse their keys. Nothing is written without `out_dir`.
    """
    if len(dataset.x_test) == 0:
        raise DataError(f"{dataset.name}: the test split is empty; nothing to evaluate "
                        f"(load it with a test split or a larger limit)")
    proba = probabilities(model, dataset.x_test, batch_size=batch_size)
    if proba.shape[1] != dataset.num_classes:
        raise DataError(f"model {model.name!r} outputs {proba.shape[1]} scores per image but "
                        f"{dataset.name} has {dataset.num_classes} classes; build the model "
                        f"with num_classes={dataset.num_classes}")
    metrics = {"model": name or model.name, "dataset": dataset.name,
               "parameters": int(model.count_params()),
               **metrics_from_predictions(dataset.y_test, proba, dataset.classes)}
    clash = sorted(set(extra or {}) & set(metrics))
    if clash:
        raise DataError(f"extra= keys {clash} would overwrite computed metrics; rename them")
    metrics.update(_plain(dict(extra or {})))
    evaluation = Evaluation(metrics, dataset.y_test, proba.argmax(axis=1), proba)
    if out_dir is None:
        return evaluation
    path = Path(out_dir) / f"{_slug(metrics['model'])}.json"
    text = evaluation.to_json()
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Evaluation(metrics, evaluation.y_true, evaluation.y_pred, proba, path)


def load_metrics(path: str | Path) -> dict:
    """The metrics dict `evaluate` wrote to `path`."""
    path = Path(path)
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: no such metrics file; run evaluate(..., out_dir=...) "
                        f"first") from None
    except json.JSONDecodeError as err:
        raise DataError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(metrics, dict) or not {"accuracy", "classes"} <= metrics.keys():
        raise DataError(f"{path}: not a metrics file written by helpers.learn.evaluate")
    return metrics


def compare(items: Iterable) -> pd.DataFrame:
    """One row per model: accuracy, macro/weighted F1, parameters and any training facts present.

    `items` may mix metrics dicts, `Evaluation`s and paths of saved metrics JSON files. Training
    facts are read from the top level or from a nested `train` dict.
    """
    rows = []
    for item in items:
        metrics = load_metrics(item) if isinstance(item, str | Path) else metrics_of(item)
        row = {key: metrics.get(key) for key in
               ("model", "dataset", "accuracy", "accuracy_interval", "macro_f1",
                "macro_f1_interval", "weighted_f1", "parameters")}
        runs = metrics.get("seed_runs") or []
        if len(runs) > 1:
            scores = np.array([r["accuracy"] for r in runs])
            row["accuracy_over_seeds"] = (float(scores.mean()), float(scores.std(ddof=1)),
                                          len(scores))
        train = metrics.get("train") if isinstance(metrics.get("train"), dict) else {}
        for key in TRAINING_COLUMNS:
            row[key] = metrics.get(key, train.get(key))
        rows.append(row)
    if not rows:
        raise DataError("compare() needs at least one metrics dict or file")
    table = pd.DataFrame(rows)
    return table.dropna(axis=1, how="all")


def metrics_of(item) -> dict:
    """The metrics dict of an `Evaluation`, or a metrics dict itself."""
    if isinstance(item, Evaluation):
        return item.metrics
    if isinstance(item, dict):
        return item
    raise DataError(f"expected a metrics dict, an Evaluation or a path, got {type(item).__name__}")


def _slug(name: str) -> str:
    return re.sub(r"[^\w.-]+", "-", str(name)).strip("-.") or "model"


def _plain(value):
    """The same structure with numpy scalars/arrays turned into Python numbers and lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        value = float(value)
        return value if np.isfinite(value) else None
    if value is None or isinstance(value, int | str):
        return value
    raise DataError(f"cannot store {type(value).__name__} value {value!r} in metrics JSON")
