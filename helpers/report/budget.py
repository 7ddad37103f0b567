"""`make report MINUTES=N`: the run's wall clock shared out among the notebooks that train.

The stages before and after training take about the time `other_stages` estimates; the rest
is the training stage's, run `lanes` notebooks at a time. Each training notebook gets a part
of the lanes' time in proportion to its weight (metadata `helpers.share`, 1 for a CNN
notebook; the own-network and ablation notebooks take half), less what a notebook spends
outside its training (`OVERHEAD`), and passes it on as its `MINUTES`: a time limit
(`helpers.learn.train.TimeLimit`) on a training that otherwise runs until its validation accuracy
stops improving. The chain weighs each notebook by its network's measured seconds per epoch
(`helpers.report.estimate.epoch_weights`), so that every network has time for about the same
number of epochs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat

# Seconds a training notebook spends outside its training: the kernel's start, imports, the
# data, plots and the checks (measured 16-21 s per CNN notebook on glyphs and EMNIST bymerge).
OVERHEAD = 20.0
# The shortest training a notebook is given, however small the budget.
LEAST_MINUTES = 0.25


def weight(notebook: Path) -> float:
    """The notebook's part of the training time relative to a CNN notebook's."""
    meta = nbformat.read(notebook, as_version=4).metadata.get("helpers", {})
    return float(meta.get("share", 1.0))


def other_stages(networks: int, test_images: int) -> float:
    """Seconds of the run outside the training stage: the preparation notebooks, the
    comparison (which grows with the networks and the test images) and reading, the report's
    rendering and the chain's start. Fitted to a cold run on glyphs (4,800 test images, eight
    networks) on 2 cores, 39 s, with a second per thousand test images for the comparison's
    figures over the test split."""
    return 25.0 + 1.5 * networks + test_images / 1000


@dataclass(frozen=True)
class Plan:
    """How a run's `minutes` are spent: `training_stage` seconds, `lanes` notebooks at a time,
    and each training notebook's own training minutes."""

    minutes: float
    lanes: int
    training_stage: float
    training_minutes: dict[str, float]

    def as_dict(self) -> dict:
        return {"minutes": self.minutes, "lanes": self.lanes,
                "training_stage_minutes": round(self.training_stage / 60, 2),
                "training_minutes": {k: round(v, 2) for k, v in self.training_minutes.items()}}


def plan(minutes: float, training: list[Path], lanes: int, other_seconds: float,
         weights: dict[str, float] | None = None) -> Plan:
    """Share `minutes` of wall clock out among the `training` notebooks run `lanes` at a time,
    after `other_seconds` for the rest of the run, in proportion to `weights` (by notebook
    name; by default each notebook's own `weight`)."""
    lanes = max(1, min(lanes, len(training)))
    stage = max(minutes * 60 - other_seconds, 60.0 * LEAST_MINUTES * len(training) / lanes)
    if weights is None or not all(weights.get(p.stem) for p in training):
        weights = {p.stem: weight(p) for p in training}
    else:
        weights = {p.stem: weights[p.stem] for p in training}
    # Each notebook's time outside its training first, then the training time by weight.
    unit = (stage * lanes - OVERHEAD * len(weights)) / sum(weights.values()) if weights else 0.0
    return Plan(minutes, lanes, stage,
                {name: max(LEAST_MINUTES, unit * w / 60) for name, w in weights.items()})
