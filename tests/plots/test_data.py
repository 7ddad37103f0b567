import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import plots  # noqa: E402
from helpers.data import load_dataset  # noqa: E402


@pytest.fixture(scope="module")
def glyphs():
    return load_dataset("glyphs", size=600, seed=1)


def images_in(fig) -> int:
    return sum(len(ax.images) for ax in fig.axes)


def test_data_figures_show_every_class(glyphs):
    fig = plots.class_counts(glyphs)
    assert len(fig.axes[0].get_xticklabels()) == glyphs.num_classes
    grid = plots.sample_grid(glyphs, per_class=3)
    counts = np.bincount(glyphs.y_train, minlength=glyphs.num_classes)
    assert images_in(grid) == np.minimum(counts, 3).sum()
    titles = {ax.get_title(loc="left") for ax in grid.axes}
    assert set(glyphs.classes) <= titles
    assert len(plots.pixel_statistics(glyphs).axes) == 3
    plt.close("all")


def test_augmentation_grid_has_originals_and_copies(glyphs):
    fig = plots.augmentation_grid(glyphs, rows=3, copies=4)
    assert images_in(fig) == 3 * 5
    first = fig.axes[0].images[0].get_array()
    assert first.dtype == np.uint8 and "(original)" in fig.axes[0].get_title(loc="left")
    plt.close("all")


def test_evaluation_and_balancing_figures_are_reachable_from_plots():
    for name in ("training_curves", "confusion_heatmap", "roc_curves", "misclassified_grid",
                 "side_by_side_confusion", "balance_counts"):
        assert callable(getattr(plots, name))
