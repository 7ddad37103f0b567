"""helpers.learn.ablation: the method's choices, each trained and scored on the same test split."""

import pytest

from helpers.data import load_dataset
from helpers.learn import ablation


def test_each_arm_keeps_its_images_and_is_paired_against_the_first():
    data = load_dataset("glyphs", size=1200, seed=3)
    every = ablation.arms_for("nearmiss")
    assert [a[0] for a in every] == ["NearMiss-1", "class weights", "no balancing", "NearMiss-2",
                                     "NearMiss-3", "NearMiss-1, no augmentation"]
    assert [a[0] for a in ablation.arms_for("class-weights")][::5] == [
        "class weights", "class weights, no augmentation"]
    arms = (every[0], every[1], every[5])  # NM-1, weights, no aug
    rows = ablation.run(data, epochs=1, arms=arms)
    assert [r["arm"] for r in rows] == ["NearMiss-1", "class weights",
                                        "NearMiss-1, no augmentation"]
    kept = {r["arm"]: r["train_images"] for r in rows}
    assert kept["class weights"] == len(data.x_train) > kept["NearMiss-1"]
    assert kept["NearMiss-1, no augmentation"] == kept["NearMiss-1"]
    for row in rows:
        low, high = row["accuracy_interval"]
        assert low <= row["accuracy"] <= high and row["test_images"] == len(data.x_test)
    assert "against_reference" not in rows[0]
    assert all(0 <= r["against_reference"]["p_value"] <= r["against_reference"]["p_holm"] <= 1
               for r in rows[1:])


def row(arm, balancing, augmentation, accuracy, p=None):
    found = {"arm": arm, "balancing": balancing, "augmentation": augmentation,
             "accuracy": accuracy}
    return {**found, "against_reference": {"p_value": p}} if p is not None else found


@pytest.mark.parametrize(("rows", "arm", "text"), [
    ([row("NearMiss-1", "nearmiss", True, 0.80), row("class weights", "class-weights", True,
                                                      0.821, 0.003)],
     "class weights",
     "NearMiss-1 cost 2.1 points of accuracy against class weights here (80.0% against "
     "82.1%; McNemar p = 0.003)"),
    ([row("NearMiss-1", "nearmiss", True, 0.80), row("no aug", "nearmiss", False, 0.79, 0.4)],
     "no aug", "augmentation gained 1.0 points of accuracy here (80.0% against 79.0%; McNemar "
               "p = 0.4; on these "
               "test images the two cannot be told apart)"),
    ([row("class weights", "class-weights", True, 0.90),
      {**row("NearMiss-2", "nearmiss", True, 0.60), "against_reference": {
          "p_value": 0.01, "p_holm": 0.06}}],
     "NearMiss-2", "class weights gained 30.0 points of accuracy against NearMiss-2 here "
                   "(90.0% against 60.0%; McNemar p = 0.01, Holm-corrected p = 0.06; on these "
                   "test images the two "
                   "cannot be told apart)"),
])
def test_the_discussion_sentence_says_what_changed_and_whether_it_shows(rows, arm, text):
    assert ablation.effect(rows, arm) == text
    assert ablation.effect(rows, "absent") is None


def test_an_arm_that_cannot_balance_this_dataset_is_left_out_and_said(monkeypatch):
    from helpers.errors import DataError

    data = load_dataset("glyphs", size=800, seed=4)
    real = ablation.balance

    def picky(dataset, method, seed=0, **options):
        if options.get("version") == 3:
            raise DataError("NearMiss-3 with these neighbour counts needs 9 images")
        return real(dataset, method, seed=seed, **options)

    monkeypatch.setattr(ablation, "balance", picky)
    said = []
    every = ablation.arms_for("nearmiss")
    rows = ablation.run(data, epochs=1, arms=(every[0], every[4]),
                        progress=said.append)
    assert [r["arm"] for r in rows] == ["NearMiss-1"]
    assert said[-1].startswith("NearMiss-3 left out: NearMiss-3 with these")
    assert ablation.summary(rows) == "Too few arms could run on this dataset to compare them."
