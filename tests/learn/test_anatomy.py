"""helpers.learn.anatomy and helpers.learn.inside: what a network is made of and what it sees,
computed from the network itself."""

import keras
import numpy as np
import pytest

from helpers.errors import ConfigError
from helpers.learn import anatomy, inside, models
from helpers.learn.models import ARCHITECTURES, build_model


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_the_listing_is_the_code_that_builds_the_network(name):
    code = anatomy.source(name)
    assert code.count(f"def {name}(num_classes") == 1 and "keras" in code
    namespace = dict(vars(models))
    exec(compile(code, f"<{name} listing>", "exec"), namespace)  # the listing runs by itself
    rebuilt, built = namespace[name](5), build_model(name, 5)
    assert rebuilt.count_params() == built.count_params()
    with pytest.raises(ConfigError, match="unknown model"):
        anatomy.source("vgg")


def test_parameter_arithmetic_adds_up_to_keras_count():
    model = build_model("dropout_bn", 36)
    rows = anatomy.layer_table(model)
    assert sum(r["parameters"] for r in rows) == model.count_params()
    first = rows[0]
    assert first["arithmetic"] == "3·3·1·32 + 32 = 320" and first["output"] == "26×26×32"
    assert "4·32 = 128" in [r["arithmetic"] for r in rows]  # batch normalisation
    assert any(r["arithmetic"] == "9216·256 + 256 = 2,359,552" for r in rows)
    by_kind = anatomy.parameters_by_kind(model)
    assert by_kind["dense"] > 100 * by_kind["convolution"] > 0
    # A convolution without bias (the residual network's) says so.
    assert anatomy.layer_table(build_model("resnet", 10))[0]["arithmetic"] == "3·3·1·32 = 288"


def test_multiply_adds_are_counted_by_hand_for_a_small_network():
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(8, 3),  # 26·26·(3·3·1·8)
                              layers.MaxPooling2D(), layers.Conv2D(4, 3, padding="same"),
                              layers.Flatten(), layers.Dense(10)])  # 13·13·(3·3·8·4); 676·10
    expected = 26 * 26 * 72 + 13 * 13 * 288 + 676 * 10
    assert anatomy.multiply_adds(model) == expected
    assert anatomy.training_flops(model) == 6 * expected
    deep = build_model("deep", 47)
    assert anatomy.multiply_adds(deep) > deep.count_params()  # weights are reused per position


def test_receptive_fields_grow_with_depth_and_strides():
    rows = anatomy.receptive_fields(build_model("nist47", 47))
    sizes = [int(r["receptive field"].split("×")[0]) for r in rows]
    # 3, 5, then the strided 5×5 adds 4: 9; after the stride every 3×3 adds 2·2.
    assert sizes == [3, 5, 9, 13, 17, 25, 28] and rows[-1]["sees"] == 1.0
    assert [r["output"] for r in anatomy.receptive_fields(build_model("baseline", 3))] == \
        ["26×26", "13×13"]


def test_what_the_network_sees_has_the_shapes_of_the_image():
    model = build_model("baseline", 4)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (3, 28, 28), dtype=np.uint8)
    assert inside.first_filters(model).shape == (32, 3, 3)
    assert inside.feature_maps(model, images[0]).shape == (32, 26, 26)
    for heat in (inside.saliency(model, images, [0, 1, 2]),
                 inside.grad_cam(model, images, [0, 1, 2])):
        assert heat.shape == (3, 28, 28) and heat.min() >= 0 and heat.max() <= 1 + 1e-6
    # Saliency is a gradient: pixels that cannot change the answer (none here) would be 0,
    # and each map is scaled so that its strongest pixel is 1.
    assert np.allclose(inside.saliency(model, images, [1, 1, 1]).max(axis=(1, 2)), 1)


def test_gradient_norms_follow_the_convolutions_with_and_without_skips():
    import keras

    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (32, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 5, 32)
    keras.utils.set_random_seed(0)
    with_skips = inside.gradient_norms(models.resnet(5), images, labels)
    keras.utils.set_random_seed(0)
    without = inside.gradient_norms(models.resnet(5, skip=False), images, labels)
    assert len(with_skips) == len(without) == 13  # the stem and twelve 3×3 convolutions
    assert all(np.isfinite(v) and v > 0 for _, v in with_skips + without)
    assert [v for _, v in with_skips] != pytest.approx([v for _, v in without], rel=0.05)


@pytest.mark.parametrize("name", ["az_bn", "resnet"])
def test_heat_maps_of_a_saved_and_loaded_network(tmp_path, name):
    from helpers.learn.models import load_model, save_model

    path = save_model(build_model(name, 4), tmp_path / name, "abcd")
    model, _ = load_model(path)
    images = np.random.default_rng(2).integers(0, 256, (2, 28, 28), dtype=np.uint8)
    heat = inside.grad_cam(model, images, [1, 2])
    assert heat.shape == (2, 28, 28) and np.isfinite(heat).all()
    assert inside.feature_maps(model, images[0]).shape[1:] == (28, 28)


def test_ink_share_weighs_the_heat_on_and_next_to_the_strokes():
    images = np.zeros((2, 28, 28), np.uint8)
    images[:, 10:18, 13] = 255  # a vertical stroke
    heat = np.zeros((2, 28, 28), np.float32)
    heat[0, 10:18, 12:15] = 1.0  # on the stroke and the pixel either side of it
    heat[1, 0:4, 0:4] = 1.0  # in a corner, far from it
    assert inside.ink_share(heat, images) == pytest.approx([1.0, 0.0])
    assert inside.near_ink(images)[0].sum() == 10 * 3  # the stroke grown by a pixel


def test_heat_map_reading_speaks_of_the_misclassified_images_it_was_given():
    from helpers.data import Dataset

    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (8, 28, 28), dtype=np.uint8)
    labels = np.arange(8) % 4
    dataset = Dataset(images, labels, images, labels, ("a", "b", "c", "d"), "tiny")
    keras.utils.set_random_seed(0)  # some random initialisations leave every map flat
    model = build_model("baseline", 4)
    wrong = [{"index": i, "true": "abcd"[labels[i]], "predicted": "abcd"[(labels[i] + 1) % 4]}
             for i in range(3)]
    text = inside.heat_map_reading(model, dataset, {"misclassified": wrong})
    assert text.startswith("On these 3 misclassified test images, ")
    assert "% of the Grad-CAM weight" in text and "correlation" in text
    assert inside.heat_map_reading(model, dataset, {"misclassified": []}).startswith("There is")
