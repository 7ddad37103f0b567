"""How a network was trained is said from the objects that trained it: change the recipe, the
compiled optimizer, a callback or the augmentation, and the text changes with it."""

from __future__ import annotations

from dataclasses import replace

import keras
import pytest

from helpers.data import load_dataset
from helpers.learn import described
from helpers.learn.recipe import Recipe, train_network
from helpers.learn.train import TimeLimit
from helpers.report import training


@pytest.fixture(scope="module")
def glyphs():
    return load_dataset("glyphs", limit=500, seed=1)


def said(glyphs, recipe: Recipe, callbacks=()) -> tuple[str, dict]:
    _, result = train_network("baseline", recipe, glyphs, callbacks=callbacks)
    return described.training_text(result.facts, recipe.epochs), result.facts


def test_the_text_follows_the_recipe_that_trained(glyphs):
    base = Recipe(epochs=1)
    text, facts = said(glyphs, base)
    assert text.startswith("Adam, learning rate 0.001; sparse categorical crossentropy; "
                           "batches of 128;")
    assert ("the training stops once the validation accuracy has not improved by more than "
            "0.1 points for 3 epochs, the weights of its best epoch kept") in text
    assert "the rate multiplied by 0.5 whenever the validation loss has not improved for 1 "\
           "epoch" in text and "at most 1 epoch." in text
    assert "Augmentation: rotation up to ±10°" in text and "zoom up to ±10%" in text
    changed, facts = said(glyphs, replace(base, optimizer="sgd", learning_rate=0.05, patience=6,
                                          min_delta=0.0, schedule="constant", augment=False,
                                          batch_size=64),
                          callbacks=[TimeLimit(600)])
    assert changed.startswith("SGD, learning rate 0.05, momentum 0.9; ")
    assert "batches of 64" in changed and "has not improved for 6 epochs" in changed
    assert "multiplied by" not in changed and "Augmentation: none." in changed
    assert "a time limit of 10.0 minutes" in changed
    assert facts["optimizer"] == "SGD" and facts["batch_size"] == 64


def test_a_cosine_schedule_and_smoothing_are_said_as_they_ran(glyphs):
    recipe = Recipe(epochs=2, schedule="cosine", warmup=0.1, patience=None, learning_rate=2e-3,
                    label_smoothing=0.1, weight_decay=5e-4, ema=True, batch_size=32)
    text, _ = said(glyphs, recipe)
    steps = 2 * -(-round(len(glyphs.x_train) * 0.9) // 32)
    warm = int(0.1 * steps)
    assert text.startswith(f"AdamW, learning rate rising from 0.0002 to 0.002 over the first "
                           f"{warm} steps, then falling along a cosine to 0 over "
                           f"{steps - warm} steps, weight decay 0.0005, a moving average")
    assert "label smoothing 0.1" in text and "stops once" not in text


def test_the_augmentation_is_read_off_its_layers():
    layers = keras.Sequential([keras.layers.RandomRotation(0.05),
                               keras.layers.RandomFlip("horizontal")])
    assert described.augmentation_text(described.augmentation_facts(layers)) == \
        "rotation up to ±18°, flips (horizontal)"
    assert described.augmentation_text([]) == "none"


def test_the_reports_training_table_groups_networks_trained_alike():
    adam = {"optimizer": "Adam", "learning_rate": 0.001, "loss": "sparse_categorical_crossentropy",
            "batch_size": 128, "callbacks": [], "augmentation": [], "class_weights": True}
    sgd = {**adam, "optimizer": "SGD", "learning_rate": 0.01, "momentum": 0.9}
    rows = dict(training.parameter_rows([
        {"model": "a", "training": adam, "recipe": {"epochs": 50}},
        {"model": "b", "training": sgd, "recipe": {"epochs": 50}},
        {"model": "c", "training": adam, "recipe": {"epochs": 50}}]))
    assert rows["optimiser and learning rate"] == (
        "a and c: Adam, learning rate 0.001; b: SGD, learning rate 0.01, momentum 0.9")
    assert rows["batch size"] == "128"
    assert rows["loss"] == "sparse categorical crossentropy, weighted per class"
    assert training.parameter_rows([{"model": "old"}]) == []


def test_the_training_table_says_which_device_and_precision_trained_each_network():
    base = {"optimizer": "Adam", "learning_rate": 0.001, "batch_size": 128}
    gpu = {**base, "device": "NVIDIA H100 80GB HBM3 (GPU)", "mixed_precision": "mixed_float16"}
    cpu = {**base, "device": "AMD EPYC 9654 (CPU)", "mixed_precision": "mixed_bfloat16"}

    def row(*trained):
        return dict(training.parameter_rows([{"model": name, "training": facts}
                                             for name, facts in trained]))["device and precision"]

    assert row(("a", gpu), ("b", gpu)) == "NVIDIA H100 80GB HBM3 (GPU), mixed_float16"
    assert row(("a", gpu), ("b", cpu), ("c", gpu)) == (
        "a and c: NVIDIA H100 80GB HBM3 (GPU), mixed_float16; "
        "b: AMD EPYC 9654 (CPU), mixed_bfloat16")
    # Facts saved before the device was recorded: the precision alone.
    assert row(("old", {**base, "mixed_precision": "float32"})) == "float32"
