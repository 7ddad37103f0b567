"""Every generated sentence that compares, explains or concludes follows the numbers it is
given: for the claim, against it, and at its edge; and a run whose numbers favour the opposite
of each default claim makes the report say the opposite (or nothing)."""

import json
import re

import numpy as np
import pytest

from helpers.errors import ConfigError
from helpers.learn import ablation, inside, stats
from helpers.reading import cer
from helpers.report import argument, tables, writeup

CLASSES = ["0", "O", "1", "I", "A", "B"]


# --- numbers as the reader sees them -------------------------------------------------------

@pytest.mark.parametrize(("value", "shown"), [(0.9996, "> 0.999"), (1.0, "1.000"),
                                              (0.9984, "0.998"), (0.5, "0.500")])
def test_a_score_is_never_rounded_up_to_a_perfect_one(value, shown):
    assert stats.score_text(value) == shown


def test_a_rank_correlation_claims_a_direction_only_where_its_test_does():
    rising = stats.correlation(range(10), [0.1 * i for i in range(10)])
    assert stats.correlation_text("size", rising) == (
        "accuracy rises with size across these networks (Spearman's ρ = 1.00 over 10 networks, "
        "p < 0.001)")
    falling = stats.correlation(range(10), [-i for i in range(10)])
    assert stats.correlation_text("size", falling).startswith("accuracy falls with size")
    loose = stats.correlation([1, 2, 3, 4, 5, 6, 7], [3, 1, 4, 1.5, 5, 9, 2])
    assert loose["n"] == 7 and loose["p_value"] > 0.05
    assert "cannot be told apart from no relation" in stats.correlation_text("depth", loose)
    assert stats.correlation([1, 1, 1], [1, 2, 3]) is None
    assert stats.correlation_text("depth", None) == ""


def arm(name, balancing, augmentation, accuracy, *, p=None, stopped_by="early stopping",
        epochs=9, only=(10, 5)):
    row = {"arm": name, "balancing": balancing, "augmentation": augmentation,
           "accuracy": accuracy, "stopped_by": stopped_by, "epochs": epochs,
           "train_images": 1000, "seconds": 1.0, "accuracy_interval": [accuracy - 0.01,
                                                                     accuracy + 0.01],
           "macro_f1": accuracy, "macro_f1_interval": [accuracy - 0.01, accuracy + 0.01]}
    if p is not None:
        row["against_reference"] = {"only_reference": only[0], "only_this": only[1],
                                    "p_value": p, "p_holm": p}
    return row


def test_the_ablations_difference_is_that_of_the_rounded_accuracies_in_its_table():
    rows = [arm("class weights", "class-weights", True, 0.9014),
            arm("no balancing", "none", True, 0.8966, p=0.19)]
    assert f"{100 * (0.9014 - 0.8966):.1f}" == "0.5"  # unrounded: what the text must not say
    text = ablation.effect(rows, "no balancing")
    assert text.startswith("class weights gained 0.4 points of accuracy against no balancing")
    table = tables.ablation(rows).data
    assert table["Points against the first"].isna()[0]
    assert table["Points against the first"][1] == "-0.4"
    assert "Holm-corrected" not in table.columns and "p (Holm)" in table.columns
    same = [rows[0], arm("no balancing", "none", True, 0.90138, p=1.0)]
    assert ablation.effect(same, "no balancing").startswith(
        "class weights made no difference to one decimal against no balancing")


def test_an_arm_cut_by_the_time_limit_is_said_to_have_trained_less():
    rows = [arm("class weights", "class-weights", True, 0.90),
            arm("NearMiss-1", "nearmiss", True, 0.80, p=0.001, stopped_by="time limit",
                epochs=3)]
    assert ablation.effect(rows, "NearMiss-1").endswith(
        "; NearMiss-1 was cut by the time limit after 3 epochs, so these arms did not train "
        "alike)")
    assert "did not train alike" not in ablation.effect(
        [rows[0], {**rows[1], "stopped_by": "early stopping"}], "NearMiss-1")


def test_tables_show_p_values_and_small_numbers_in_words_a_reader_can_read():
    table = tables.ablation([arm("a", "none", True, 0.9),
                             arm("b", "none", False, 0.8, p=8.35701e-08)]).to_html()
    assert "8.35701e-08" not in table and "< 0.001" in table
    history = {"loss": [1.0], "learning_rate": [8.35701e-08]}
    assert "8.4e-08" in tables.training(history).to_html()
    import pandas as pd

    shown = tables.unindexed(pd.DataFrame({"v": [1.23456789]},
                                          index=pd.Index([1], name="line")))
    assert list(shown.data.columns) == ["line", "v"] and "1.235" in shown.to_html()


# --- what the ablation says of the recipe --------------------------------------------------

FACTS = {"balancing": "class-weights", "augment": True}


def study(*rows):
    return {"network": "baseline", "rows": list(rows)}


def test_the_ablation_supports_a_choice_that_beats_every_alternative():
    found = argument.ablation_implications(study(
        arm("class weights", "class-weights", True, 0.95),
        arm("NearMiss-1", "nearmiss", True, 0.83, p=1e-9, only=(600, 50)),
        arm("class weights, no augmentation", "class-weights", False, 0.92, p=1e-5,
            only=(200, 60))), FACTS)
    assert found["choices"] == {"balancing": "supported", "augmentation": "supported"}
    assert "class weights beat NearMiss-1 (+12.0 points, Holm p < 0.001)" in found["text"]
    assert "augmentation gained 3.0 points (Holm p < 0.001)" in found["text"]
    assert "So the ablation supports its balancing and supports its augmentation." in \
        found["text"]


def test_the_ablation_contradicts_a_choice_an_alternative_beats():
    found = argument.ablation_implications(study(
        arm("class weights", "class-weights", True, 0.955),
        arm("no balancing", "none", True, 0.97, p=0.001, only=(10, 80)),
        arm("class weights, no augmentation", "class-weights", False, 0.97, p=2e-7,
            only=(60, 132))), FACTS)
    assert found["choices"] == {"balancing": "contradicted", "augmentation": "contradicted"}
    assert "class weights did worse than no balancing (-1.5 points" in found["text"]
    assert "augmentation cost 1.5 points (Holm p = 0.001)" not in found["text"]
    assert "augmentation cost 1.5 points (Holm p < 0.001)" in found["text"]
    assert "question this run leaves" in found["text"]


def test_the_ablation_cannot_tell_apart_or_leaves_unsettled_what_its_tests_do_not_decide():
    found = argument.ablation_implications(study(
        arm("class weights", "class-weights", True, 0.901),
        arm("no balancing", "none", True, 0.897, p=0.19),
        arm("NearMiss-1", "nearmiss", True, 0.80, p=1e-6, stopped_by="time limit", epochs=2),
        arm("class weights, no augmentation", "class-weights", False, 0.90, p=0.6)), FACTS)
    verdicts = {c["other"]: c["verdict"] for c in found["comparisons"]}
    assert verdicts == {"no balancing": "cannot tell apart", "NearMiss-1": "unsettled",
                        "class weights, no augmentation": "cannot tell apart"}
    assert found["choices"] == {"balancing": "cannot tell apart",
                                "augmentation": "cannot tell apart"}
    assert "could not be told apart from no balancing (+0.4 points, Holm p = 0.19)" in \
        found["text"]
    assert "(NearMiss-1 stopped before converging)" in found["text"]
    assert argument.ablation_implications(study(arm("a", "none", True, 0.9)), FACTS) == {
        "comparisons": [], "text": ""}


# --- heat maps, gradients, gaps, reading ---------------------------------------------------

def test_heat_maps_concentrated_on_the_strokes_are_said_to_be():
    text = inside.attention_text([0.5, 0.45, 0.5, 0.48, 0.52, 0.43],
                                 [0.32, 0.3, 0.33, 0.31, 0.35, 0.31], [0.7, 0.6, 0.8])
    assert "a concentration of 1.5× on the strokes" in text
    assert "6 of the 6 maps" in text and "the maps are concentrated on the strokes" in text
    assert "looked at the same places for both" in text


def test_heat_maps_on_the_background_or_within_chance_are_not_called_concentrated():
    off = inside.attention_text([0.1] * 6, [0.3] * 6)
    assert "lie more on the background" in off and "concentrated" not in off
    mixed = inside.attention_text([0.5, 0.2, 0.4, 0.25], [0.3, 0.3, 0.3, 0.3], [-0.2])
    assert "cannot be told apart from weight spread evenly" in mixed
    assert "looked at other places" in mixed


def norms(values):
    return [[(f"conv{i}", v) for i, v in enumerate(batch)] for batch in values]


def test_the_skip_reading_says_which_stack_has_the_larger_gradient_and_no_cause():
    with_skips = norms([[3.0, 2.0, 1.0], [3.3, 2.1, 1.1]])
    plain = norms([[6.0, 4.0, 2.0], [6.6, 4.2, 2.2]])
    text = inside.skip_gradient_reading(with_skips, plain)
    assert text.startswith("At every one of the 3 depths the plain stack's gradient is larger")
    assert "the two cannot be told apart" in text and "carry more" not in text
    grows = inside.skip_gradient_reading(norms([[9.0, 2.0, 1.0], [9.5, 2.0, 1.0]]), plain)
    assert "it grows more with the skips" in grows
    fading = inside.skip_gradient_reading(norms([[1.0, 1.0, 1.0]] * 2),
                                          norms([[0.5, 1.0, 2.0]] * 2))
    assert "grows more with the skips" in fading and "does not fade" not in fading
    with pytest.raises(ConfigError, match="same convolutions"):
        inside.skip_gradient_reading(norms([[1.0, 2.0]]), norms([[1.0, 2.0, 3.0]]))


def history(train, val):
    return {"accuracy": [0.5, train], "val_accuracy": [0.5, val]}


def test_training_gaps_are_compared_with_their_noise():
    deep = {"model": "deep", "history": history(0.974, 0.985), "train_images": 17277,
            "validation_images": 1923}
    alike = {**deep, "model": "dropout_bn", "history": history(0.970, 0.983)}
    assert "the two gaps cannot be told apart" in argument.gap_comparison(alike, deep)
    apart = {**deep, "model": "dropout_bn", "history": history(0.90, 0.985)}
    text = argument.gap_comparison(apart, deep)
    assert "dropout_bn's training accuracy lags its validation accuracy more" in text
    assert "Dropout silences" not in text
    assert argument.gap_comparison({"model": "x"}, deep) == ""


@pytest.mark.parametrize(("value", "isolated", "said"), [
    (0.02, 0.013, "; within the 3-point allowance (the most that"),
    (0.10, 0.01, "; over the 3-point allowance"),
    (0.042, 0.013, "but its interval spans the allowance"),
    (0.014, 0.013, "a difference that cannot be told apart from none"),
])
def test_what_reading_adds_is_set_against_its_noise_and_a_defined_allowance(value, isolated,
                                                                            said):
    text = cer.gap_text(value, isolated, 3000 if value != 0.042 else 829)
    assert said in text and "little" not in text


def test_the_discussions_reading_paragraph_never_calls_a_doubling_little():
    reading = {"model": "resnet", "cer": 0.06, "isolated_error": 0.031, "characters": 829,
               "gap": 0.029, "photos": 0}
    text = writeup.reading_findings(reading)
    assert "little" not in text and "1.9 times the error one by one" in text
    assert "allowance (the most that segmentation" in text


def test_the_nearmiss_gap_is_set_against_the_validation_noise():
    balance = {"method": "NearMiss-1", "train_images_before": 1000, "train_images_after": 200}

    def net(accuracy, val):
        return {"model": "a", "accuracy": accuracy, "best_epoch": 1,
                "history": {"val_accuracy": [val]}, "validation_images": 400}

    assert "beyond the" in writeup.balancing_cost([net(0.80, 0.90)], balance)
    within = writeup.balancing_cost([net(0.89, 0.90)], balance)
    assert "cannot be told apart" in within and "not typical" not in within


# --- a run that favours the opposite of every default claim --------------------------------

def saved_metrics(tmp_path, name, right, *, batch_norm=0, dropout=0, convolutions=2,
                  parameters=1000, train=0.9, val=0.9):
    """A network's metrics in the shape `metrics/<name>.json` has, written and read back;
    its first `right` of 600 test answers are right, its errors never look-alike pairs."""
    labels = np.array(list(range(6)) * 100)
    predictions = labels.copy()
    wrong = np.arange(600) >= right
    predictions[wrong] = np.where(labels[wrong] == 4, 5, 4)  # A↔B, no look-alike pair
    accuracy = float(np.mean(predictions == labels))
    metrics = {
        "model": name, "dataset": "glyphs", "parameters": parameters, "accuracy": accuracy,
        "accuracy_interval": list(stats.accuracy_interval(int(right), 600)),
        "macro_f1": accuracy, "test_images": 600, "classes": CLASSES,
        "per_class_accuracy": {c: float(np.mean(predictions[labels == i] == i))
                               for i, c in enumerate(CLASSES)},
        "labels": labels.tolist(), "predictions": predictions.tolist(), "epochs": 10,
        "best_epoch": 7, "stopped_by": "early stopping", "converged": True,
        "train_images": 5000, "validation_images": 600,
        "recipe": {"augment": True, "patience": 3},
        "layers": {"convolutions": convolutions, "dense": 1, "batch_norm": batch_norm,
                   "dropout": dropout, "pooling": 1, "skips": 0},
        "history": {"accuracy": [0.5] * 9 + [train], "val_accuracy": [0.5] * 9 + [val]}}
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(metrics))
    return json.loads(path.read_text())


def test_numbers_that_favour_the_opposite_make_the_report_say_the_opposite(tmp_path):
    # Batch-normalised networks worse, bigger networks worse, dropout_bn worse than deep,
    # no balancing and no augmentation better than the recipe's, reading over its allowance.
    metrics = [saved_metrics(tmp_path, f"plain{i}", 590 - i, parameters=1000 + i)
               for i in range(4)]
    metrics += [saved_metrics(tmp_path, "deep", 585, parameters=2000, train=0.95, val=0.90),
                saved_metrics(tmp_path, "dropout_bn", 480, batch_norm=1, dropout=1,
                              parameters=3000, train=0.85, val=0.90)]
    metrics += [saved_metrics(tmp_path, f"normed{i}", 470 - 5 * i, batch_norm=2,
                              parameters=4000 + i) for i in range(3)]
    found = {"dataset": {"name": "emnist-letters", "classes": 6, "train_images": 5000,
                         "test_images": 600,
                         "leakage": {"test_in_train": 0, "test_in_train_fraction": 0.0}},
             "balance": {"method": "class weights"}, "metrics": metrics,
             "reading": {"model": "plain0", "cer": 0.20, "isolated_error": 0.02,
                         "characters": 2000, "gap": 0.18, "photos": 0},
             "ablation": study(
                 arm("class weights", "class-weights", True, 0.90),
                 arm("no balancing", "none", True, 0.95, p=1e-6, only=(5, 40)),
                 arm("class weights, no augmentation", "class-weights", False, 0.96, p=1e-8,
                     only=(4, 50)))}
    discussion = writeup.discussion(found)
    assert "the groups differ" in discussion
    assert "keeps the gradients" not in discussion and "Dropout silences" not in discussion
    assert "accuracy falls with the number of parameters across these networks" in discussion
    assert "a loss of 17.5 points" in discussion
    assert "dropout_bn's training accuracy lags its validation accuracy more" in discussion
    assert "contradicts its balancing and contradicts its augmentation" in discussion
    assert "over the 3-point allowance" in discussion and "little" not in discussion
    abstract = writeup.abstract(found)
    assert "class weights did worse than no balancing" in abstract
    assert "augmentation cost 6.0 points" in abstract
    assert "look-alike" not in abstract  # no error here is a look-alike pair
    assert "The discussion relates" not in abstract
    conclusion = writeup.conclusion(found)
    assert "unseen" not in conclusion and "contradicts its augmentation" in conclusion
    assert "Questions this run leaves" in conclusion


def test_the_abstract_names_look_alike_errors_only_where_they_are_at_least_half():
    labels = [0, 1] * 50 + [4] * 100  # 0 and O, then A
    def best(predictions):
        accuracy = float(np.mean(np.array(predictions) == np.array(labels)))
        return {"metrics": [{"model": "m", "accuracy": accuracy, "classes": CLASSES,
                             "labels": labels, "predictions": predictions}]}
    half = list(labels)
    half[0], half[100] = 1, 5  # one 0 read as O, one A read as B: half the errors
    assert argument.finding(best(half)).startswith("50% of m's test errors confuse look-alike")
    fewer = list(half)
    fewer[101] = 5  # a second A read as B: a third of the errors
    assert argument.finding(best(fewer)) == ""


# --- the conclusion answers the introduction's objectives, in order ------------------------

@pytest.mark.parametrize("interval, verdict", [
    ((0.951, 0.97), "reaches the 95% target: its whole 95% interval (95.1–97.0%) lies above it"),
    ((0.95, 0.97), "reaches the 95% target"),  # the edge: the lower bound at the target
    ((0.90, 0.9499), "falls short of the 95% target: its whole 95% interval"),
    ((0.94, 0.96), "cannot be told from the 95% target on this test set: its 95% interval "
                   "(94.0–96.0%) spans it")])
def test_the_target_is_met_only_where_the_whole_interval_says_so(interval, verdict):
    best = {"model": "a", "accuracy": sum(interval) / 2, "accuracy_interval": list(interval)}
    assert writeup.target_verdict(best).startswith(verdict)


def test_without_an_interval_the_target_is_judged_by_the_accuracy():
    assert writeup.target_verdict({"accuracy": 0.95}) == "reaches the 95% target"
    assert writeup.target_verdict({"accuracy": 0.949}) == "falls short of the 95% target"


def test_the_conclusion_answers_as_many_questions_as_the_introduction_asks(tmp_path):
    from helpers.experiment import RunConfig

    metrics = [saved_metrics(tmp_path, "deep", 590), saved_metrics(tmp_path, "dropout_bn", 580),
               saved_metrics(tmp_path, "baseline", 500)]
    config = RunConfig.from_parameters(MODELS="baseline,deep,dropout_bn", RUN_DIR=str(tmp_path))
    found = {"dataset": {"name": "glyphs", "leakage": {"test_in_train": 3,
                                                       "test_in_train_fraction": 0.005,
                                                       "test_near_train": 60,
                                                       "test_near_train_fraction": 0.1}},
             "balance": {"method": "class weights"}, "metrics": metrics, "reading": {},
             "ablation": {}}
    asked = writeup.objectives(config, writeup.compared(config, found))
    conclusion = writeup.conclusion(found)
    answers = re.findall(r"^\d+\. \*\*([^*]+)\*\*", conclusion, flags=re.MULTILINE)
    assert len(answers) == len(re.findall(r"^\d+\. ", asked, flags=re.MULTILINE)) == 5
    assert answers == ["Data.", "The best network.", "Like for like.",
                       "Balancing and augmentation.", "Reading lines."]
    assert "3 test images are exact copies of a training image and 60 (10.0%) have a " \
        "near-duplicate of their class there." in conclusion
    # Each answer is short: the like-for-like comparison's first sentence, no more.
    like = next(line for line in conclusion.splitlines() if "Like for like" in line)
    assert like.endswith("; the discussion compares their training gaps.")
    assert "training accuracy" not in like
    assert "the ablation did not run, so this run cannot say" in conclusion
    assert "No line was read in this run" in conclusion
    reading = {"model": "deep", "cer": 0.061, "isolated_error": 0.011, "characters": 902}
    answered = writeup.conclusion({**found, "reading": reading})
    assert "6.1% against 1.1% one by one, +5.0 points: over the 3-point allowance" in answered
    # Without deep, there is no like-for-like question and no such answer.
    config = RunConfig.from_parameters(MODELS="baseline,dropout_bn", RUN_DIR=str(tmp_path))
    assert "Does adding" not in writeup.objectives(config, ["baseline", "dropout_bn"])
    assert "Like for like" not in writeup.conclusion({**found, "metrics": metrics[1:]})


def test_the_held_out_faces_gap_is_named_with_what_it_cannot_separate():
    def net(val, test):
        return {"model": "n", "accuracy": test, "best_epoch": 1,
                "history": {"val_accuracy": [val]}}

    grouped = {"split": {"grouped_by": "font", "test_groups": ["cmr10"]}}
    text = writeup.unseen_gap([net(0.97, 0.91), net(0.95, 0.90)], grouped)
    assert "validation accuracy at the kept epoch averaged 96.0% and test accuracy 90.5%" in text
    assert "5.5 points lower on the test" in text and "does not separate" in text
    close = writeup.unseen_gap([net(0.951, 0.945)], grouped)
    assert "0.6 points apart: on these faces the networks did about as well" in close
    assert "lower" not in close
    higher = writeup.unseen_gap([net(0.90, 0.95)], grouped)
    assert "5.0 points higher on the test" in higher
    assert writeup.unseen_gap([net(0.97, 0.91)], {"split": {"grouped_by": None}}) == ""
    assert writeup.unseen_gap([], grouped) == ""


def test_the_spread_between_two_trainings_of_one_recipe_qualifies_the_ablation():
    rows = [arm("class weights", "class-weights", True, 0.898),
            arm("no balancing", "none", True, 0.909, p=1e-6, only=(5, 40)),
            arm("class weights, no augmentation", "class-weights", False, 0.897, p=0.75,
                only=(20, 22))]
    study = {"network": "baseline", "epochs": [11, 12, 17], "rows": rows}
    wide = [{"model": "baseline", "accuracy": 0.948}]
    text = writeup.ablation_findings(study, wide)
    assert "the two trainings scored 89.8% and 94.8%, 5.0 points apart" in text
    assert "(1.1 points) is no larger than the 5.0 points between two trainings" in text
    close = writeup.ablation_findings(study, [{"model": "baseline", "accuracy": 0.9}])
    assert "agree closely" in close and "a question this run leaves" in close
    # Without the network's own training, or with the first arm not augmented, no spread.
    assert writeup.training_spread(study, [{"model": "deep", "accuracy": 0.9}]) is None
    flat = {**study, "rows": [{**rows[0], "augmentation": False}, *rows[1:]]}
    assert writeup.training_spread(flat, wide) is None
