"""The notebooks' self-checks: each one says right to the right answer, "Not quite" with a hint
to a wrong one and "Not answered yet" to the placeholder, computes the answer from the objects
a notebook has (tiny ones here, and untrained Keras networks), and never shows its code or the
right answer."""

import functools
import re
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pandas as pd
import pytest
from keras import layers

from helpers import exercises
from helpers.data import Dataset
from helpers.errors import ConfigError
from helpers.exercises.variants import flattened, rebuilt
from helpers.learn.augment import SHIFT
from helpers.learn.models import build_model

NOTEBOOKS = sorted(p.name for p in exercises.HERE.iterdir()
                   if p.is_dir() and not p.name.startswith("_"))


def verdict(notebook: str, question: str, **env):
    return exercises.checks(notebook).check(question, env)


def tiny_dataset() -> Dataset:
    """Training classes of 6, 3 and 2 images; a test split of 5 with two of the largest."""
    rng = np.random.default_rng(0)
    y_train, y_test = np.repeat(np.arange(3), (6, 3, 2)), np.array([0, 1, 2, 0, 1])
    x_train = rng.integers(0, 255, (len(y_train), 28, 28), dtype=np.uint8)
    return Dataset(x_train, y_train, x_train[:5], y_test, ("A", "B", "C"), "tiny")


@functools.cache
def network(name: str):
    """A run as the CNN notebooks have it, its network untrained."""
    return SimpleNamespace(model=build_model(name, 10))


def own_network(classes: int = 10) -> keras.Model:
    """The example network of notebook 11."""
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(16, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(64, activation="relu"),
        layers.Dense(classes, activation="softmax")], name="my_cnn")


def compared(n: int = 2000) -> list[dict]:
    """Four networks' metrics on the same n test images: resnet best, deep and digits_small
    within a few images of it, baseline far behind."""
    labels = [i % 3 for i in range(n)]

    def scored(model, wrong, parameters):
        predictions = labels[:n - wrong] + [(v + 1) % 3 for v in labels[n - wrong:]]
        return {"model": model, "accuracy": (n - wrong) / n, "labels": labels,
                "predictions": predictions, "parameters": parameters, "test_images": n}

    return [scored("resnet", 100, 200_000), scored("deep", 102, 2_400_000),
            scored("digits_small", 104, 118_000), scored("baseline", 400, 700_000)]


ABLATION = [{"arm": "class weights", "augmentation": True, "accuracy": 0.9, "test_images": 1000},
            {"arm": "no balancing", "augmentation": True, "accuracy": 0.8, "test_images": 1000},
            {"arm": "class weights, no augmentation", "augmentation": False, "accuracy": 0.85,
             "test_images": 1000}]
OWN = 160 + 4640 + (5 * 5 * 32 * 64 + 64) + (64 * 10 + 10)  # the example network's parameters


def cases():
    """(notebook, question, right answer, a wrong one, the rest of the notebook's variables).
    The right answers are worked out by hand here; the wrong ones are mostly what the page
    prints for the network itself, which a student might copy."""
    dataset, balanced = tiny_dataset(), SimpleNamespace(before=pd.Series([6, 3, 2]))
    return [
        ("01_data_exploration", "majority_accuracy", 0.4, 6 / 11, {"dataset": dataset}),
        ("01_data_exploration", "rarest_needs", 1, 4, {"dataset": dataset}),
        ("02_nearmiss_balancing", "nearmiss_dropped", 1 - 6 / 11, 6 / 11, {"balanced": balanced}),
        ("02_nearmiss_balancing", "rarest_total_weight", 11 / 3, 11 / (3 * 2),
         {"dataset": dataset}),
        ("03_augmentation", "shift_pixels", SHIFT * 28, SHIFT, {"dataset": dataset}),
        ("03_augmentation", "rotation_factor", 0.125, 45, {}),
        ("04_cnn_baseline", "colour_conv_parameters", 3 * 3 * 3 * 32 + 32, 3 * 3 * 1 * 32 + 32,
         {"run": network("baseline")}),
        ("04_cnn_baseline", "same_dense_inputs", 14 * 14 * 32, 13 * 13 * 32,
         {"run": network("baseline")}),
        ("05_cnn_deep", "five_by_five_field", 9, 5, {"run": network("deep")}),
        ("06_cnn_dropout_bn", "dropout_scale", 1.25, 2.0, {}),
        ("06_cnn_dropout_bn", "norm_trained", 2 * 32, 4 * 32, {"run": network("dropout_bn")}),
        ("07_cnn_az_bn", "valid_pool_inputs", 3 * 3 * 25, 4 * 4 * 25, {"run": network("az_bn")}),
        ("08_cnn_nist47", "unstrided_field", 20, 28, {"run": network("nist47")}),
        ("09_cnn_digits_small", "last_map_size_32", 2, 1, {"run": network("digits_small")}),
        ("10_cnn_resnet", "strided_block_shape", (14, 14, 64), (28, 28, 64), {}),
        ("11_your_network", "your_parameters_doubled", OWN + 64 * 10 + 10, OWN,
         {"run": SimpleNamespace(model=own_network())}),
        ("12_ablation", "augmentation_images", 50, 5.0, {"rows": ABLATION}),
        ("13_comparison", "smallest_tie", "digits_small", "baseline", {"metrics": compared()}),
        ("13_comparison", "images_for_half_width", 8000, 4000, {"metrics": compared()}),
        ("14_reading_images", "hello_cer", 0.2, 0.25, {}),
        ("14_reading_images", "cer_above_one", "HELLO", "HO", {}),
    ]


CASES = cases()
CODE = ("equal(", "close(", "assert", "def test_", "test_case", "Traceback", "Error at line",
        "Test case failed", "Test case passed", "raise ", "import ")


def renderings(result) -> list[str]:
    """Everything a notebook or a console shows of a verdict."""
    return [repr(result), str(result), result._repr_markdown_(), result._repr_html_()]


def check_code(notebook: str, question: str) -> list[str]:
    """The lines of the check's function body: what otter would have shown."""
    source = (exercises.folder(notebook) / f"{question}.py").read_text()
    body = source[source.index("def test_"):].splitlines()[1:]
    return [line.strip() for line in body if len(line.strip()) > 8]


def forms(right) -> list[str]:
    """How the right answer could be written, where it is a number or a tuple of them."""
    if isinstance(right, tuple):
        return [str(right), ", ".join(map(str, right))]
    if isinstance(right, int):
        return [str(right), f"{right:,}"]
    if isinstance(right, float):
        return [f"{right:g}", f"{right:.2f}", f"{right:.3f}"]
    return []


def reveals(text: str, right) -> list[str]:
    return [f for f in forms(right) if re.search(rf"(?<![\d.]){re.escape(f)}(?![\d])", text)]


def test_every_question_of_every_notebook_has_a_case():
    asked = [(notebook, question) for notebook in NOTEBOOKS
             for question in exercises.questions(notebook)]
    assert sorted((c[0], c[1]) for c in CASES) == sorted(asked) and len(NOTEBOOKS) == 14


@pytest.mark.parametrize(("notebook", "question", "right", "wrong", "env"), CASES,
                         ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_a_check_says_right_not_quite_or_not_answered_and_never_shows_its_code(
        notebook, question, right, wrong, env):
    result = verdict(notebook, question, **env, **{question: right})
    assert result.passed and result.passed_all and result.answered, result
    assert str(result).startswith("Right: ") and len(str(result)) > 40
    assert result.test_file.test_case_results[0].passed
    said = {"right": renderings(result)}
    result = verdict(notebook, question, **env, **{question: wrong})
    assert not result.passed and result.answered and result.status == "wrong", result
    assert str(result).startswith("Not quite: ") and "Hint: " in str(result)
    assert "is not it" in str(result) or "should be" in str(result)
    said["wrong"] = renderings(result)
    for empty in (..., None):
        result = verdict(notebook, question, **env, **{question: empty})
        assert not result.passed and not result.answered, result
        assert str(result) == (f"Not answered yet: replace the ... after {question} = with "
                               "your answer and run the cell again.")
        said[f"empty {empty}"] = renderings(result)
    code = check_code(notebook, question)
    for kind, texts in said.items():
        for text in texts:
            assert [c for c in CODE if c in text] == [], (kind, text)
            assert [line for line in code if line in text] == [], (kind, text)
            if kind != "right":
                assert reveals(text, right) == [], (kind, text)


def test_an_unanswered_check_says_so_and_not_that_a_test_failed():
    result = verdict("04_cnn_baseline", "colour_conv_parameters", run=network("baseline"),
                     colour_conv_parameters=...)
    assert result.status == "unanswered"
    for text in renderings(result):
        assert "Not answered yet" in text and "Test case failed" not in text
        assert "❌" not in text and "failed" not in text.lower()
    assert result._repr_markdown_() == ("✏️ **Not answered yet:** replace the `...` after "
                                        "`colour_conv_parameters =` with your answer and run "
                                        "the cell again.")
    assert "<code>colour_conv_parameters =</code>" in result._repr_html_()


def test_the_checks_that_read_a_run_compute_the_answer_from_it():
    """No answer is written down: another network gets another right answer."""
    wide = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(8, 5), layers.Flatten(),
                             layers.Dense(3, activation="softmax")])
    run = SimpleNamespace(model=wide)
    assert verdict("04_cnn_baseline", "colour_conv_parameters", run=run,
                   colour_conv_parameters=5 * 5 * 3 * 8 + 8).passed
    assert not verdict("04_cnn_baseline", "colour_conv_parameters", run=run,
                       colour_conv_parameters=3 * 3 * 3 * 32 + 32).passed
    assert verdict("04_cnn_baseline", "same_dense_inputs", run=run,
                   same_dense_inputs=28 * 28 * 8).passed
    assert verdict("11_your_network", "your_parameters_doubled", run=run,
                   your_parameters_doubled=wide.count_params() + 24 * 24 * 8 * 3 + 3).passed
    # A network written as keras.Model(inputs, outputs) is rebuilt too.
    assert verdict("11_your_network", "your_parameters_doubled", run=network("resnet"),
                   your_parameters_doubled=network("resnet").model.count_params()
                   + 128 * 10 + 10).passed


def test_the_comparison_checks_follow_the_paired_tests():
    metrics = compared()
    # When every other network is significantly worse, the best is its own smallest tie.
    alone = [metrics[0], {**metrics[3], "parameters": 10}]
    assert verdict("13_comparison", "smallest_tie", metrics=alone, smallest_tie=" RESNET").passed
    assert not verdict("13_comparison", "smallest_tie", metrics=alone,
                       smallest_tie="baseline").passed
    # About four times the images halve the interval; twice as many do not.
    assert verdict("13_comparison", "images_for_half_width", metrics=metrics[:1],
                   images_for_half_width=4 * 2000).passed
    assert not verdict("13_comparison", "images_for_half_width", metrics=metrics[:1],
                       images_for_half_width=2 * 2000).passed


def test_the_ablation_check_accepts_an_answer_from_the_rounded_table():
    rows = [{**row, "accuracy": row["accuracy"] + 0.0004} if not row["augmentation"] else row
            for row in ABLATION]  # 84.94%: the table shows 84.9%
    assert verdict("12_ablation", "augmentation_images", rows=rows, augmentation_images=50).passed
    assert verdict("12_ablation", "augmentation_images", rows=rows,
                   augmentation_images=np.int64(51)).passed
    assert not verdict("12_ablation", "augmentation_images", rows=rows,
                       augmentation_images=-50).passed


def test_numpy_numbers_count_as_numbers_and_text_or_truth_values_do_not():
    run = network("dropout_bn")
    assert verdict("06_cnn_dropout_bn", "norm_trained", run=run, norm_trained=np.int64(64)).passed
    assert verdict("06_cnn_dropout_bn", "dropout_scale", dropout_scale=np.float32(1.25)).passed
    for answer in ("64 numbers", True, [64]):
        result = verdict("06_cnn_dropout_bn", "norm_trained", run=run, norm_trained=answer)
        assert result.status == "wrong" and "norm_trained should be a number" in str(result)
    result = verdict("13_comparison", "smallest_tie", metrics=compared(), smallest_tie=3)
    assert "smallest_tie should be text in quotes, got 3" in str(result)
    result = verdict("10_cnn_resnet", "strided_block_shape", strided_block_shape=[14, 14, 64])
    assert result.passed
    result = verdict("14_reading_images", "cer_above_one", cer_above_one=2)
    assert "should be text" in str(result) and "Hint:" in str(result)


def test_an_answer_that_trips_the_check_is_not_quite_and_shows_no_traceback():
    result = verdict("03_augmentation", "rotation_factor", rotation_factor=-7.0)
    assert result.status == "wrong" and str(result) == (
        "Not quite: rotation_factor = -7.0 is not it. " + result.test_file.test_cases[0]
        .failure_message)
    assert result._repr_markdown_().startswith(
        "❌ **Not quite:** `rotation_factor = -7.0` is not it. Hint: ")
    result = verdict("13_comparison", "smallest_tie", metrics=compared(), smallest_tie="<b>")
    assert "<code>smallest_tie = &#x27;&lt;b&gt;&#x27;</code> is not it" in result._repr_html_()
    long = list(range(1000))
    result = verdict("10_cnn_resnet", "strided_block_shape", strided_block_shape=long)
    assert result.status == "wrong" and len(str(result)) < 400 and "…" in str(result)


def test_a_check_run_before_the_cells_it_reads_says_which_to_run():
    result = verdict("04_cnn_baseline", "same_dense_inputs", same_dense_inputs=6272)
    assert result.status == "not ready" and not result.passed
    assert str(result) == ("Cannot check yet: this check reads run, which is not defined yet: "
                           "run the notebook's cells above this one first.")
    assert "reads <code>run</code>, which" in result._repr_html_()


def test_a_check_reads_the_calling_notebooks_variables():
    """In a notebook, `check` reads the cell's globals, as otter's Notebook.check does."""
    namespace = {"exercises": exercises, "hello_cer": 0.2}
    exec("result = exercises.checks('14_reading_images').check('hello_cer')", namespace)
    assert namespace["result"].passed


def test_an_unknown_notebook_or_question_names_those_with_checks():
    with pytest.raises(ConfigError, match="no self-checks for notebook '99_nothing'.*"
                                          "04_cnn_baseline"):
        exercises.checks("99_nothing")
    with pytest.raises(ConfigError, match="no check 'conv_parameters' for notebook "
                                          "'04_cnn_baseline'; its checks are "
                                          "colour_conv_parameters, same_dense_inputs"):
        exercises.checks("04_cnn_baseline").check("conv_parameters", {})


def test_no_check_leaves_a_log_in_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    verdict("14_reading_images", "hello_cer", hello_cer=0.2)
    assert list(Path(tmp_path).iterdir()) == []


def test_a_variant_is_a_fresh_network_with_one_setting_changed():
    model = network("baseline").model
    padded = rebuilt(model, Conv2D={"padding": "same"})
    assert flattened(padded) == 14 * 14 * 32 and flattened(model) == 13 * 13 * 32
    assert padded is not model and padded.name == model.name
    colour = rebuilt(model, input_shape=(32, 32, 3), outputs=20)
    assert colour.input_shape == (None, 32, 32, 3) and colour.output_shape == (None, 20)
    assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 10)
    with pytest.raises(ConfigError, match="has no Flatten layer"):
        flattened(network("resnet").model)
    flat = keras.Sequential([keras.Input((4,)), layers.Activation("softmax")], name="flat")
    with pytest.raises(ConfigError, match="flat has no dense layer to give 3 outputs"):
        rebuilt(flat, outputs=3)
