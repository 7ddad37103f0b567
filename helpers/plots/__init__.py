"""Every figure the notebooks and the report show, a module per subject: `data` (the dataset),
`balance` (NearMiss), `evaluation` (one trained network, or several side by side), `inside`
(what a network sees: filters, feature maps, heat maps) and `reading` (photos and lines), all
sized by `style` to print legibly on A4. Each function returns a matplotlib Figure and draws
nothing else (`top_table`, `readings_table`: DataFrames); all of them are here, so a notebook
needs only `from helpers import plots`."""

from helpers.plots.balance import balance_counts
from helpers.plots.data import (
    augmentation_grid,
    class_counts,
    pipeline,
    pixel_statistics,
    sample_grid,
)
from helpers.plots.evaluation import (
    ablation_effects,
    accuracy_intervals,
    accuracy_per_parameter,
    confusion_heatmap,
    curves_compared,
    misclassified_grid,
    roc_curves,
    side_by_side_confusion,
    training_curves,
    training_curves_all,
)
from helpers.plots.inside import (
    confused_pair_heat_maps,
    filters_and_maps,
    gradient_norms,
    misclassified_heat_maps,
    normalised_activations,
)
from helpers.plots.reading import (
    line_reading,
    line_readings,
    photo_predictions,
    readings_table,
    top_table,
)

__all__ = ["ablation_effects", "accuracy_intervals", "accuracy_per_parameter", "augmentation_grid",
           "balance_counts", "class_counts",
           "confused_pair_heat_maps", "confusion_heatmap", "curves_compared",
           "filters_and_maps", "gradient_norms", "line_reading", "line_readings",
           "misclassified_grid", "misclassified_heat_maps", "normalised_activations",
           "photo_predictions", "readings_table",
           "pipeline", "pixel_statistics", "roc_curves", "sample_grid", "side_by_side_confusion",
           "top_table", "training_curves", "training_curves_all"]
