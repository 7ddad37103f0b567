"""A network the student writes in a notebook cell: checked before any training, then trained,
saved and compared through the one path the seven take."""

import json

import keras
import pytest
from keras import layers
from PIL import Image
from support.training import notebook_training

from helpers import cli, experiment
from helpers.errors import ConfigError
from helpers.experiment import OWN_NETWORK, RunConfig
from helpers.learn.models import check_network, load_model
from helpers.report import writeup


def tiny(num_classes):
    return keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(4, 3, activation="relu"),
                             layers.MaxPooling2D(4), layers.Flatten(),
                             layers.Dense(num_classes, activation="softmax")], name="tiny")


def ten_outputs(num_classes):
    return keras.Sequential([keras.Input((28, 28, 1)), layers.Flatten(),
                             layers.Dense(10, activation="softmax")])


def no_softmax(num_classes):
    return keras.Sequential([keras.Input((28, 28, 1)), layers.Flatten(),
                             layers.Dense(num_classes)])


def wrong_input(num_classes):
    return keras.Sequential([keras.Input((32, 32, 3)), layers.Flatten(),
                             layers.Dense(num_classes, activation="softmax")])


def no_input(num_classes):
    return keras.Sequential([layers.Flatten(), layers.Dense(num_classes, activation="softmax")])


def not_a_model(num_classes):
    return [layers.Dense(num_classes)]


def broken(num_classes):
    return keras.Sequential([keras.Input((28, 28, 1)), layers.Dense(num_classes, activation="x")])


@pytest.mark.parametrize(("builder", "said"), [
    (ten_outputs, r"ends in outputs of shape \(10,\), but the dataset has 36 classes: end it "
                  r"with layers\.Dense\(36, activation=\"softmax\"\)"),
    (no_softmax, r"outputs are not probabilities .* activation=\"softmax\""),
    (wrong_input, r"takes inputs of shape \(32, 32, 3\), but the images are \(28, 28, 1\)"),
    (no_input, r"no input shape; start it with keras\.Input\(\(28, 28, 1\)\)"),
    (not_a_model, r"not_a_model\(36\) returned list, not a keras\.Model"),
    (broken, r"broken\(36\) failed while building the network: ValueError"),
])
def test_a_network_that_cannot_fit_the_data_is_named_with_the_fix(builder, said):
    with pytest.raises(ConfigError, match=said):
        check_network(builder, 36)


def test_a_network_that_fits_passes_the_check():
    assert check_network(tiny, 36).output_shape == (None, 36)


def config_for(tmp_path) -> RunConfig:
    return RunConfig.from_parameters(DATASET="glyphs", LIMIT=900, EPOCHS=1, MODELS="baseline",
                                     BALANCE="class-weights", RUN_DIR=str(tmp_path / "run"))


def test_the_wrong_number_of_outputs_stops_before_any_training(tmp_path):
    config = config_for(tmp_path)
    with pytest.raises(ConfigError, match="ends in outputs of shape"):
        notebook_training(OWN_NETWORK, config, experiment.balanced_data(config),
                          builder=ten_outputs)
    assert not (config.run_dir / "training").exists()
    assert not (config.run_dir / "models").exists()


def test_your_network_trains_by_the_one_path_and_joins_the_comparison(tmp_path, capsys):
    config = config_for(tmp_path)
    prepared = experiment.balanced_data(config)
    run = notebook_training(OWN_NETWORK, config, prepared, builder=tiny)
    saved = json.loads((config.run_dir / "metrics" / f"{OWN_NETWORK}.json").read_text())
    # The seven's recipe and saving: the run's recipe and epochs, class weights recorded.
    assert saved["recipe"] == experiment.recipe(config).as_dict()
    assert saved["epochs"] == 1 and saved["balance"] == prepared.method
    assert "def tiny(num_classes):" in saved["code"]
    model, info = load_model(run.model_path)
    assert run.model_path.name == f"{OWN_NETWORK}.keras" and model.output_shape == (None, 36)
    assert info["classes"] == list(prepared.dataset.classes)
    # `python -m helpers predict --model` reads with it.
    photo = tmp_path / "character.png"
    Image.fromarray(255 - prepared.dataset.x_test[0]).save(photo)
    assert cli.main(["predict", str(photo), "--model", str(run.model_path), "--json"]) == 0
    (read,) = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    assert read["top"][0]["char"] in prepared.dataset.classes
    notebook_training("baseline", config, prepared)
    names = [m["model"] for m in experiment.saved_metrics(config)]
    assert names == ["baseline", OWN_NETWORK]
    found = writeup.facts(config)
    code = writeup.networks(config, found)  # the appendix's listings
    assert "def tiny(num_classes):" in code and "def baseline(num_classes" in code
    table = writeup.architectures(config, found)  # the method's networks side by side
    assert f"**{OWN_NETWORK}**: the network written in notebook 11" in table
    assert f"| {OWN_NETWORK} | 1 | 1 |" in table  # its convolution and dense layer, counted
    assert f"baseline, {OWN_NETWORK}" in writeup.title_page(config, found)
