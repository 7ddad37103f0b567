"""Every figure the notebooks and the report show, a module per subject: `data` (the dataset),
`balance` (NearMiss), `evaluation` (one trained network, or several side by side) and `reading`
(photos and lines). Each function returns a matplotlib Figure and draws nothing else; all of
them are here, so a notebook needs only `from helpers import plots`."""

from helpers.plots.balance import balance_counts
from helpers.plots.data import augmentation_grid, class_counts, pixel_statistics, sample_grid
from helpers.plots.evaluation import (
    confusion_heatmap,
    misclassified_grid,
    roc_curves,
    side_by_side_confusion,
    training_curves,
)
from helpers.plots.reading import line_reading, line_readings, photo_predictions, top_table

__all__ = ["augmentation_grid", "balance_counts", "class_counts", "confusion_heatmap",
           "line_reading", "line_readings", "misclassified_grid", "photo_predictions",
           "pixel_statistics", "roc_curves", "sample_grid", "side_by_side_confusion",
           "top_table", "training_curves"]
