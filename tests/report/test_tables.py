"""Tables as the report shows them: human titles, rounded numbers, no index column."""

import re

import numpy as np
import pandas as pd

from helpers.learn.evaluate import compare
from helpers.report import tables


def metrics(model: str, accuracy: float, **extra) -> dict:
    return {"model": model, "dataset": "glyphs", "accuracy": accuracy, "macro_f1": 0.81234567,
            "weighted_f1": 0.8333333, "parameters": 2387620, "epochs": 6, "best_epoch": 5,
            "stopped_by": "early stopping", "training_seconds": 12.345678,
            "images_per_second": 2877.2345, **extra}


def cells(styler) -> list[list[str]]:
    """The rendered text of every header and body cell, row by row."""
    html = styler.to_html()
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.DOTALL)
    return [[re.sub(r"<[^>]+>", "", c).strip()
             for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)] for row in rows]


def test_comparison_has_titles_percentages_and_no_index():
    table = compare([metrics("deep", 0.858812), metrics("resnet", 0.9052)])
    header, deep, resnet = cells(tables.comparison(table))
    assert header == ["Model", "Test accuracy", "Macro F1", "Weighted F1", "Parameters",
                      "Epochs", "Best epoch", "Stopped by", "Training time (s)", "Images/s"]
    assert deep == ["deep", "85.9%", "81.2%", "83.3%", "2,387,620", "6", "5", "early stopping",
                    "12.3", "2,877"]
    assert resnet[:2] == ["resnet", "90.5%"]
    assert "row_heading" not in tables.comparison(table).to_html()  # no index column


def test_comparison_keeps_the_dataset_only_when_rows_differ_and_dashes_missing_values():
    mixed = compare([metrics("deep", 0.8), {**metrics("deep", 0.7), "dataset": "mnist",
                                             "training_seconds": None}])
    header, first, second = cells(tables.comparison(mixed))
    assert header[:2] == ["Model", "Dataset"] and second[1] == "mnist"
    assert second[header.index("Training time (s)")] == "–"
    assert "Dataset" not in cells(tables.comparison(compare([metrics("deep", 0.8)])))[0]


def test_training_table_marks_the_best_epoch_and_shows_the_learning_rate():
    history = {"loss": [2.5, 1.25, 0.9], "accuracy": [0.3, 0.61, 0.7],
               "val_loss": [2.0, 1.0, 1.1], "val_accuracy": [0.4, 0.655, 0.65],
               "learning_rate": [0.001, 0.001, 0.0005]}
    header, *rows = cells(tables.training(history, best_epoch=2))
    assert header == ["Epoch", "Loss", "Accuracy", "Val loss", "Val accuracy", "Learning rate"]
    assert rows == [["1", "2.500", "30.0%", "2.000", "40.0%", "0.001"],
                    ["2 (best)", "1.250", "61.0%", "1.000", "65.5%", "0.001"],
                    ["3", "0.900", "70.0%", "1.100", "65.0%", "0.0005"]]


def test_training_table_without_validation_or_rates():
    header, *rows = cells(tables.training({"loss": [1.0], "accuracy": [0.5]}))
    assert header == ["Epoch", "Loss", "Accuracy"] and rows == [["1", "1.000", "50.0%"]]
    assert isinstance(tables.training({"loss": []}).data, pd.DataFrame)


def test_most_confused_pairs_per_model():
    pairs = [{"true": "O", "predicted": "0", "count": 7}, {"true": "I", "predicted": "1",
                                                            "count": 3}]
    header, a, b = cells(tables.most_confused([{"model": "a", "most_confused": pairs},
                                               {"model": "b", "most_confused": []}], top=3))
    assert header == ["Model", "1st", "2nd", "3rd"]
    assert a == ["a", "O→0 (7)", "I→1 (3)", "–"] and b == ["b", "–", "–", "–"]


def test_classification_report_counts_test_images_as_whole_numbers():
    report = {"A": {"precision": 0.5, "recall": 1.0, "f1-score": 2 / 3, "support": 137.0},
              "accuracy": 0.9,
              "macro avg": {"precision": 0.5, "recall": 1.0, "f1-score": 0.6667, "support": 137.0}}
    html = tables.classification_report(report).to_html()
    assert ">137<" in html and "137.0" not in html and ">0.667<" in html
    assert tables.classification_report(report).data["Class"].tolist() == ["A", "macro avg"]


def test_layer_and_receptive_field_tables_have_titles():
    rows = [{"layer": "conv2d", "kind": "convolution", "output": "26×26×32", "parameters": 320,
             "arithmetic": "3·3·1·32 + 32 = 320"}]
    assert "Arithmetic" in tables.layers(rows).to_html()
    fields = [{"layer": "c", "kind": "convolution", "kernel": 3, "stride": 1, "output": "26×26",
               "receptive field": "3×3", "sees": 9 / 784}]
    assert ">1%<" in tables.receptive_fields(fields).to_html()


def test_leakage_shows_exact_and_near_duplicates_with_their_shares():
    from helpers.data import Dataset, leakage

    x = np.zeros((4, 28, 28), np.uint8)
    x[:, 6:22, 9:12] = 255
    x[1, 6:9, 7:21] = 255  # a T among the Ls
    audit = leakage(Dataset(x[:2], np.array([0, 1]), x[[0, 0, 2, 3]], np.array([0, 0, 1, 1]),
                            ("L", "T"), "toy")).as_dict()
    header, *rows = cells(tables.leakage(audit))
    assert header == ["Duplicates", "Images"]
    found = dict(rows)
    assert found["test images also in the training split"] == "4"
    assert found["share of the test images also in training"] == "100.0%"
    near = [title for title in found if "near-duplicate of their class" in title]
    assert len(near) == 1 and "at least 0.99" in near[0] and found[near[0]] == "2"
    assert found["share of the test images with a near-duplicate in training"] == "50.0%"


def test_leakage_of_an_audit_without_near_duplicates_shows_the_exact_rows():
    _, *rows = cells(tables.leakage({"test_images": 10, "test_in_train": 1,
                                     "test_in_train_fraction": 0.1}))
    assert len(rows) == 7 and not any("near" in title for title, _ in rows)
