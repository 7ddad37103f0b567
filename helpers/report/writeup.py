"""The prose chapters of the report, written from the run's own numbers.

The notebooks supply the method and result sections; this module writes what surrounds them —
title page, abstract, introduction, chapter openings, discussion, conclusion, appendix — as
markdown, reading only what the run saved (`dataset.json`, `balance.json`, `metrics/*.json`,
`reading.json`).
"""

from __future__ import annotations

import json
import platform
from datetime import datetime
from pathlib import Path

from helpers.experiment import RunConfig, conclusions, saved_metrics
from helpers.reading.cer import TARGET_GAP

PAGEBREAK = "<!-- pagebreak -->"


def _read(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def facts(config: RunConfig) -> dict:
    return {"dataset": _read(config.run_dir / "dataset.json"),
            "balance": _read(config.run_dir / "balance.json"),
            "metrics": saved_metrics(config),
            "planned_epochs": config.epochs,
            "reading": _read(config.run_dir / "reading.json"),
            "ablation": _read(config.run_dir / "ablation.json")}


def title_page(config: RunConfig, found: dict) -> str:
    data = found["dataset"]
    return (f"# Optical character recognition with convolutional neural networks\n\n"
            f"**Dataset:** {data.get('name', config.dataset)} — {data.get('classes', '?')} "
            f"classes, {data.get('train_images', 0):,} training and "
            f"{data.get('test_images', 0):,} test images  \n"
            f"**Networks compared:** {', '.join(config.models)}  \n"
            f"**Generated:** {datetime.now():%d %B %Y, %H:%M} by `make report`")


def abstract(found: dict) -> str:
    data, metrics = found["dataset"], found["metrics"]
    text = (f"This report trains and compares {len(metrics)} convolutional neural networks for "
            f"recognising {data.get('classes', 'the')} classes of characters. ")
    if metrics:
        text += conclusions(metrics)
    return f"{PAGEBREAK}\n# Abstract\n\n{text}"


def introduction(config: RunConfig, found: dict) -> str:
    data = found["dataset"]
    return f"""{PAGEBREAK}
# 1. Introduction

## 1.1 Background
Optical character recognition (OCR) turns images of printed or handwritten characters into text:
digitising documents, reading forms, cheques and number plates. Convolutional neural networks
(CNNs) learn the strokes and shapes that tell characters apart directly from pixels.

## 1.2 Problem
Characters vary with the writer, the pen and the scan; some look alike (O and 0, I and 1, S and
5), and real collections are imbalanced, so a network can do well on average while failing the
rare classes. The dataset here is **{data.get('name', config.dataset)}**:
{data.get('source', '')}

## 1.3 Objectives
1. Explore the data and check that the test set shares no images with the training set.
2. Balance the training classes ({config.balance}) and augment the training images.
3. Train {len(config.models)} CNN architectures and evaluate them with accuracy, precision,
   recall, F1, confusion matrices and ROC curves.
4. Compare the architectures and identify the best one, from the numbers of this run."""


def methodology_opening() -> str:
    return f"""{PAGEBREAK}
# 2. Methodology
The sections below are the executed notebooks of this run: the data (2.1), balancing (2.2) and
augmentation (2.3), then the networks' code (2.4) and how they were trained (2.5). Every network
takes 28×28 grey-level images scaled to [0, 1], white ink on black, and ends in a softmax over
the classes."""


def training_parameters(config: RunConfig, found: dict) -> str:
    first = found["metrics"][0] if found["metrics"] else {}
    rows = [("epochs (at most)", config.epochs),
            *([("epochs run (best epoch)", epochs_run(found["metrics"]))]
              if found["metrics"] else []),
            ("batch size", 128),
            ("optimiser", "Adam, learning rate 0.001, halved on validation-loss plateaus"),
            ("early stopping", "validation accuracy, patience 5, best weights restored"),
            ("validation", "a stratified 10% of the training split"),
            ("balancing", found["balance"].get("method", config.balance)),
            ("augmentation", "rotation ±10°, shift 0.1, shear 0.1, zoom 0.1, no flip"),
            ("precision", first.get("mixed_precision", "float32")), ("seed", config.seed),
            ("seeds per network", seeds_text(config.seeds, config.seed))]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    return f"## 2.5 Training parameters\n\n| setting | value |\n|---|---|\n{table}"


# What the networks are, in one line each, for the method chapter (their code follows each).
NETWORK_SUMMARIES = {
    "baseline": "one convolution, one pooling, one dense layer (the write-ups' baseline)",
    "deep": "two convolutions before the pooling and a wider dense layer",
    "dropout_bn": "the deep network with batch normalisation and dropout 0.5",
    "az_bn": "three 75-50-25 convolution blocks with batch normalisation (the A–Z report)",
    "nist47": "seven convolutions, strided 5×5 ones in place of pooling (the NIST SD19 project)",
    "digits_small": "a small network for ten printed digits (the printed-digits project)",
    "resnet": "a small pre-activation residual network, this bundle's own",
}


def networks(config: RunConfig, found: dict) -> str:
    """The method chapter's section on the networks: each one's Keras code, as it was built
    (the source of `helpers.learn.models`), with its parameter count from this run."""
    from helpers.learn.anatomy import source

    counts = {m["model"]: m.get("parameters") for m in found["metrics"]}
    parts = ["""## 2.4 The networks
Each network is a function that returns a `keras.Model` for a number of classes; these are the
functions this run called. Every network is compiled and trained the same way (next section)."""]
    for number, name in enumerate(config.models, 1):
        size = f", {counts[name]:,} parameters" if counts.get(name) else ""
        parts.append(f"### 2.4.{number} {name}: {NETWORK_SUMMARIES.get(name, '')}{size}\n\n"
                     f"```python\n{source(name).rstrip()}\n```")
    return "\n\n".join(parts)


# Works the report builds on, cited by what the run used.
REFERENCES = (
    "Cohen, G., Afshar, S., Tapson, J. and van Schaik, A. (2017). EMNIST: an extension of "
    "MNIST to handwritten letters. *International Joint Conference on Neural Networks "
    "(IJCNN)*, 2921–2926.",
    "LeCun, Y., Bottou, L., Bengio, Y. and Haffner, P. (1998). Gradient-based learning applied "
    "to document recognition. *Proceedings of the IEEE* 86(11), 2278–2324.",
    "Mani, I. and Zhang, I. (2003). kNN approach to unbalanced data distributions: a case "
    "study involving information extraction. *ICML Workshop on Learning from Imbalanced "
    "Datasets*.",
    "Lemaître, G., Nogueira, F. and Aridas, C. K. (2017). Imbalanced-learn: a Python toolbox to "
    "tackle the curse of imbalanced datasets in machine learning. *Journal of Machine Learning "
    "Research* 18(17), 1–5.",
    "Chollet, F. et al. (2015–). Keras. https://keras.io",
    "Abadi, M. et al. (2015). TensorFlow: large-scale machine learning on heterogeneous "
    "systems. https://www.tensorflow.org",
    "Kingma, D. P. and Ba, J. (2015). Adam: a method for stochastic optimization. *ICLR*.",
    "Ioffe, S. and Szegedy, C. (2015). Batch normalization: accelerating deep network training "
    "by reducing internal covariate shift. *ICML*, 448–456.",
    "Srivastava, N., Hinton, G., Krizhevsky, A., Sutskever, I. and Salakhutdinov, R. (2014). "
    "Dropout: a simple way to prevent neural networks from overfitting. *Journal of Machine "
    "Learning Research* 15, 1929–1958.",
    "He, K., Zhang, X., Ren, S. and Sun, J. (2016). Identity mappings in deep residual "
    "networks. *European Conference on Computer Vision (ECCV)*, 630–645.",
    "Selvaraju, R. R., Cogswell, M., Das, A., Vedantam, R., Parikh, D. and Batra, D. (2017). "
    "Grad-CAM: visual explanations from deep networks via gradient-based localization. "
    "*ICCV*, 618–626.",
    "Simonyan, K., Vedaldi, A. and Zisserman, A. (2014). Deep inside convolutional networks: "
    "visualising image classification models and saliency maps. *ICLR Workshop*.",
    "Pedregosa, F. et al. (2011). Scikit-learn: machine learning in Python. *Journal of Machine "
    "Learning Research* 12, 2825–2830.",
    "Speer, R. (2022). wordfreq 3.0. https://doi.org/10.5281/zenodo.7199437",
)


def references() -> str:
    items = "\n".join(f"{i}. {ref}" for i, ref in enumerate(REFERENCES, 1))
    return f"{PAGEBREAK}\n# References\n\n{items}"


def seeds_text(seeds: int, first: int = 0) -> str:
    """What the run's number of seeds means for its numbers."""
    if seeds == 1:
        return ("1: each network trained once; its intervals are over the test images, not "
                "over trainings (`SEEDS=3` adds the spread over seeds)")
    return (f"{seeds}: each network trained {seeds} times (seeds {first} to "
            f"{first + seeds - 1}); the comparison "
            f"gives the mean ± standard deviation over them beside the first training's "
            f"intervals")


def epochs_run(metrics: list[dict]) -> str:
    """Each network's epochs and, in brackets, the epoch whose weights it kept."""
    return ", ".join(f"{m['model']} {m.get('epochs', '?')} ({m.get('best_epoch', '?')})"
                     for m in metrics)


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def training_course(metrics: list[dict], planned: int | None = None) -> str:
    """What the epochs say: who stopped early, where each was best, who was still improving."""
    ran = [m for m in metrics if m.get("epochs") and m.get("best_epoch")]
    if not ran:
        return ""
    planned = planned or max(m["epochs"] for m in ran)
    stopped = [m for m in ran if m["epochs"] < planned]
    epochs = f"{planned} epoch{'s' if planned != 1 else ''}"
    if stopped:
        text = ("Early stopping ended " + _listed([f"{m['model']} after {m['epochs']}"
                                                   for m in stopped]) + f" of {epochs}")
    else:
        text = (f"All {len(ran)} networks ran" if len(ran) > 1 else f"{ran[0]['model']} ran") \
            + f" the full {epochs}"
    best: dict[int, list[str]] = {}
    for m in ran:
        best.setdefault(m["best_epoch"], []).append(m["model"])
    text += ("; the best validation accuracy came in "
             + _listed([f"epoch {e} for {_listed(names)}" for e, names in sorted(best.items())])
             + ", and each network kept the weights of that epoch.")
    late = [m["model"] for m in ran if m["best_epoch"] == m["epochs"] == planned]
    if late:
        text += (f" {_listed(late)} still improved in the last epoch, so "
                 f"{'they' if len(late) > 1 else 'it'} would likely gain from more epochs.")
    return text


def results_opening() -> str:
    return f"""{PAGEBREAK}
# 3. Results
One section per network: training curves, the classification report, the confusion matrix, ROC
curves and misclassified test images; then the comparison of all of them."""


def discussion(found: dict) -> str:
    metrics, data = found["metrics"], found["dataset"]
    leak = data.get("leakage", {})
    parts = [f"{PAGEBREAK}\n# 4. Discussion"]
    if metrics:
        parts.append(conclusions(metrics))
        if course := training_course(metrics, found.get("planned_epochs")):
            parts.append(course)
    if leak:
        share = leak.get("test_in_train_fraction", 0.0)
        parts.append(f"The leakage audit found {leak.get('test_in_train', 0):,} test images "
                     f"({share:.1%}) identical to a training image"
                     + (", so these accuracies partly measure memory." if share > 0.01 else
                        "; the test accuracy measures recognition of unseen images."))
    if text := reading_findings(found.get("reading") or {}):
        parts.append(text)
    if text := ablation_findings(found.get("ablation") or {}):
        parts.append(text)
    balance = found["balance"]
    if balance:
        parts.append(f"Balancing: {balance.get('method', '')} — "
                     f"{balance.get('train_images_before', 0):,} training images before, "
                     f"{balance.get('train_images_after', 0):,} after."
                     + (" " + text if (text := balancing_cost(metrics, balance)) else ""))
    return "\n\n".join(parts)


def reading_findings(reading: dict) -> str:
    """What the reading notebook measured (`reading.json`), as the discussion quotes it: the
    CER of random strings against the isolated error, then what the lines of words (with the
    lexicon) or of numbers gave, or why no line could be read."""
    if not reading:
        return ""
    photos = (f"Photos of single characters were misread {reading['photo_error']:.1%} of the "
              "time." if reading.get("photos", 1) else "")
    if reading.get("cer") is None:
        return " ".join(filter(None, [reading.get("writing", ""), photos]))
    text = (f"Reading generated lines of test characters with {reading['model']} gave a "
            f"character error rate of {reading['cer']:.1%}, against "
            f"{reading['isolated_error']:.1%} for the same characters one by one "
            f"({100 * reading['gap']:+.1f} points): "
            + ("segmentation and framing add little to the classifier's own errors."
               if reading["gap"] <= TARGET_GAP else
               "segmentation and framing add more than the 3-point allowance.")
            + (f" {photos}" if photos else ""))
    if reading.get("texts") == "numbers" and reading.get("text_lines"):
        text += (f" The classes write no word, so the lines of text were numbers (years, "
                 f"dates, amounts, codes), read with a CER of {reading['text_cer']:.1%} "
                 f"against {reading['text_isolated_error']:.1%} for their digits one by one; "
                 "the lexicon of words does not apply to this dataset.")
    elif reading.get("lexicon") and reading.get("text_lines"):
        text += (f" With a lexicon ({reading['lexicon']}), the reader spells each word by a "
                 f"beam search that favours frequent words: on lines of real words its CER "
                 f"was {reading['text_cer_lexicon']:.1%}, against {reading['text_cer']:.1%} "
                 f"for each character's first choice; on the random strings, which no lexicon "
                 f"can help, {reading['cer_lexicon']:.1%} against {reading['cer']:.1%}.")
    return text


def ablation_findings(study: dict) -> str:
    """What the ablation notebook measured, as the discussion quotes it."""
    from helpers.learn.ablation import summary

    rows = study.get("rows", [])
    if len(rows) < 2:
        return ""
    return (f"The ablation trained {study.get('network', 'one network')} for "
            f"{study.get('epochs', '?')} epochs once per choice on this dataset. "
            f"{summary(rows)} The claims the write-ups make for balancing and augmentation "
            "hold here only where these tests say so.")


def validation_at_best(metrics: dict) -> float | None:
    """The validation accuracy of the epoch whose weights a network kept."""
    history, best = metrics.get("history", {}), metrics.get("best_epoch")
    values = history.get("val_accuracy", [])
    return values[best - 1] if best and 0 < best <= len(values) else None


def balancing_cost(metrics: list[dict], balance: dict) -> str:
    """What the validation accuracy (on held-out images of the balanced training split) and
    the test accuracy (on the untouched, imbalanced test split) say about the balancing."""
    pairs = [(m, v) for m in metrics if (v := validation_at_best(m)) is not None]
    if not pairs or not str(balance.get("method", "")).lower().startswith("nearmiss"):
        return ""
    gap = sum(v - m["accuracy"] for m, v in pairs) / len(pairs)
    kept = balance.get("train_images_after", 0) / max(1, balance.get("train_images_before", 1))
    text = (f"NearMiss kept {kept:.0%} of the training images: every class was cut to the size "
            f"of the smallest, keeping the images of the larger classes that lie nearest to the "
            f"other classes. The networks were validated on held-out images of that selection "
            f"and tested on the untouched test split; on average their validation accuracy was "
            f"{100 * gap:+.1f} points from their test accuracy.")
    if gap > 0.02:
        text += (" The selected images are not typical of their classes, so what the networks "
                 "learned from them carries over less well to ordinary test images; with this "
                 "few images per class, each network is also short of data, which is why the "
                 "smaller and slower-learning networks score low here. Class weights keep every "
                 "image (`BALANCE=class-weights`), and more images per class or more epochs "
                 "(`EPOCHS=`) raise every score at the cost of time.")
    return text


def conclusion(found: dict) -> str:
    metrics = found["metrics"]
    if not metrics:
        return f"{PAGEBREAK}\n# 5. Conclusion\n\nNo network was trained in this run."
    best = max(metrics, key=lambda m: m["accuracy"])
    return (f"{PAGEBREAK}\n# 5. Conclusion\n\nOf the {len(metrics)} networks, **{best['model']}** "
            f"recognised the test characters best ({best['accuracy']:.1%} accuracy, macro F1 "
            f"{best['macro_f1']:.3f}). Longer training (more epochs), the full training split "
            f"and a model that uses the context of whole words (a language model over the "
            f"characters read) are the next steps.")


def appendix(config: RunConfig, timings: dict[str, float], *, wall: float | None = None,
             jobs: int = 1, provenance: dict[str, str] | None = None) -> str:
    """Parameters, time per notebook (and whether it ran or was reused from an earlier run
    with the same inputs), environment."""
    import keras
    import numpy as np
    import tensorflow as tf

    provenance = provenance or {}
    params = "\n".join(f"| `{k}` | `{v}` |" for k, v in config.as_dict().items())
    times = "\n".join(f"| {name} | {seconds:.1f} s | {provenance.get(name, 'ran')} |"
                      for name, seconds in timings.items())
    times += f"\n| **sum** | **{sum(timings.values()):.1f} s** | |"
    if wall is not None:
        together = f"{jobs} at a time within each stage" if jobs > 1 else "one at a time"
        times += f"\n| **wall clock** (notebooks {together}) | **{wall:.1f} s** | |"
    reused = sum(1 for p in provenance.values() if p != "ran")
    note = (f"\n\n{reused} of {len(timings)} notebooks were reused: an earlier run had executed "
            "them with the same code, parameters, `helpers` and packages, so their outputs were "
            "copied (`make report FORCE=1` runs them all)." if reused else "")
    return f"""{PAGEBREAK}
# Appendix

## Parameters of this run
| parameter | value |
|---|---|
{params}

## Run time per notebook
| notebook | time | ran / reused |
|---|---|---|
{times}{note}

## Environment
Python {platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__},
NumPy {np.__version__} on {platform.platform()} ({platform.processor() or platform.machine()})."""
