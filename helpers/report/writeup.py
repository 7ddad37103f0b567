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

from helpers.data.transforms import split_summary
from helpers.experiment import OWN_NETWORK, RunConfig, saved_metrics
from helpers.learn import described, stats
from helpers.learn.hardware import cpu_name, device_text, gpu_details
from helpers.learn.models import ARCHITECTURES
from helpers.reading.cer import TARGET_GAP, gap_interval, gap_text
from helpers.report import argument, training
from helpers.report.tables import without_folders

PAGEBREAK = "<!-- pagebreak -->"


def _read(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def facts(config: RunConfig) -> dict:
    return {"dataset": _read(config.run_dir / "dataset.json"),
            "balance": _read(config.run_dir / "balance.json"),
            "metrics": saved_metrics(config),
            "reading": _read(config.run_dir / "reading.json"),
            "ablation": _read(config.run_dir / "ablation.json"),
            "budget": _read(config.run_dir / "budget.json")}


def title_page(config: RunConfig, found: dict, *, author: str | None = None,
               course: str | None = None) -> str:
    """Title, author, course and date, as a submission opens; an unset author or course is a
    visible placeholder saying how to set it."""
    data = found["dataset"]
    author = author or "[your name: make report AUTHOR=\"…\"]"
    course = course or "[course: make report COURSE=\"…\"]"
    return (f"# Optical character recognition with convolutional neural networks\n\n"
            f"**Author:** {author}  \n**Course:** {course}  \n"
            f"**Date:** {datetime.now():%d %B %Y}\n\n"
            f"**Dataset:** {data.get('name', config.dataset)} — {data.get('classes', '?')} "
            f"classes, {data.get('train_images', 0):,} training and "
            f"{data.get('test_images', 0):,} test images  \n"
            f"**Networks compared:** {', '.join(compared(config, found))}")


def compared(config: RunConfig, found: dict) -> list[str]:
    """The networks this run compares: those it was asked for (`MODELS`), then any other it
    trained (the network of notebook 11)."""
    return [*config.models, *(m["model"] for m in found["metrics"]
                              if m["model"] not in config.models)]


def kind_of_data(found: dict) -> str:
    """"printed" for the rendered glyphs, "handwritten" for the rest (EMNIST, MNIST, the A–Z
    CSV, scikit-learn's digits); a folder of images is "" (the report cannot know)."""
    name = found["dataset"].get("name", "")
    if name in argument.PRINTED:
        return "printed"
    return "" if name == "folder" else "handwritten"


def abstract(found: dict) -> str:
    data, metrics = found["dataset"], found["metrics"]
    kind = kind_of_data(found)
    kind = "synthetic printed" if kind == "printed" else kind  # rendered from fonts
    text = (f"This report trains and compares {len(metrics)} convolutional neural networks for "
            f"recognising the {data.get('classes', '?')} classes of "
            f"{kind + ' ' if kind else ''}characters in {data.get('name', 'the dataset')} "
            f"({data.get('train_images', 0):,} training and {data.get('test_images', 0):,} test "
            "images), each trained the same way and scored on the same test images.")
    if metrics:
        best = max(metrics, key=lambda m: m["accuracy"])
        worst = min(metrics, key=lambda m: m["accuracy"])
        interval = (f" (95% interval {stats.percent(best['accuracy_interval'])})"
                    if best.get("accuracy_interval") else "")
        text += (f" **{best['model']}** was the most accurate, {best['accuracy']:.1%}{interval}; "
                 f"{worst['model']} the least, {worst['accuracy']:.1%}.")
        if tests := stats.against_best(metrics):
            text += " " + stats.best_verdict(tests)
        if finding := argument.finding(found):
            text += " " + finding
    return f"# Abstract\n\n{text}"  # on the title page, below the title block


# The accuracy the objectives ask of the best network: one character in twenty misread is
# about where reading whole words stops being practical without a dictionary.
TARGET_ACCURACY = 0.95


def introduction(config: RunConfig, found: dict) -> str:
    data = found["dataset"]
    networks = compared(config, found)
    return f"""{PAGEBREAK}
# 1. Introduction

## 1.1 Background
Optical character recognition (OCR) turns images of printed or handwritten characters into
text: digitising documents, reading forms, cheques and number plates. Convolutional neural
networks (CNNs) learn the strokes and shapes that tell characters apart directly from pixels;
LeNet-5 brought them to handwritten digits (LeCun et al., 1998), and EMNIST extended the task
to handwritten letters (Cohen et al., 2017). Two ideas made deeper networks trainable: batch
normalisation (Ioffe and Szegedy, 2015) and residual connections (He et al., 2016a); dropout
(Srivastava et al., 2014) curbs over-fitting. The student write-ups this study reproduces
trained small CNNs of this kind on 36 alphanumeric classes (Ismadi, 2025), on the A–Z letters
after NearMiss under-sampling (Bagli et al., 2021; Zhang and Mani, 2003), on NIST's 47 merged
classes (OCR-CNN, n.d.) and on printed digits with class weights (OCR documentation, n.d.); one
of them reported 100% on a test folder that held its training images, which is why this study
audits its split before it trusts a score.

## 1.2 Problem
{problem(found)} The dataset here is **{data.get('name', config.dataset)}**{cite_data(found)}:
{without_folders(data.get('source', ''))}

## 1.3 Objectives
{objectives(config, networks)}"""


def objectives(config: RunConfig, networks: list[str]) -> str:
    """The questions the run answers (the conclusion answers each, in this order)."""
    balance = BALANCE_WORDS.get(config.balance, config.balance)
    derived = [f"Does adding {added} to {parent} change its accuracy ({name} against {parent})?"
               for name, (parent, added) in argument.DERIVED.items()
               if name in networks and parent in networks]
    questions = [
        "Does the test split share images, exactly or nearly, with the training split, so that "
        "its accuracy would measure memory rather than recognition?",
        f"Which of the {len(networks)} networks is the most accurate on the test split, does it "
        f"reach the target this study sets, {TARGET_ACCURACY:.0%} (at most one character in "
        f"{round(1 / (1 - TARGET_ACCURACY))} misread), and which of the others can the test set "
        "tell apart from it?",
        *derived,
        f"Do balancing the classes ({balance}) and augmenting the training images raise test "
        "accuracy here, measured one at a time on one network?",
        "How much does reading whole lines of characters add to the error of reading them one "
        "by one?",
    ]
    return "\n".join(f"{i}. {q}" for i, q in enumerate(questions, 1))


# A run's BALANCE as the introduction writes it.
BALANCE_WORDS = {"class-weights": "by weighting each class's errors by its rarity",
                 "nearmiss": "by NearMiss-1 under-sampling, as the A–Z write-up does",
                 "none": "not at all: the baseline of no balancing"}


def cite_data(found: dict) -> str:
    """The citation of the dataset's paper, where the report cites one."""
    name = found["dataset"].get("name", "")
    if name.startswith("emnist"):
        return " (EMNIST: Cohen et al., 2017)"
    if name == "glyphs":
        return " (drawn with Pillow and OpenCV: Bradski, 2000)"
    if name == "digits":
        return " (scikit-learn's digits: Pedregosa et al., 2011)"
    return ""


def problem(found: dict) -> str:
    """What makes the characters hard, for the kind of data the run has."""
    common = ("some look alike (O and 0, I and 1, S and 5), and real collections are "
              "imbalanced, so a network can do well on average while failing the rare classes.")
    if kind_of_data(found) == "printed":
        return ("Printed characters vary with the font, the weight of the stroke, the print "
                f"and the scan; {common} The characters studied here are printed, like those "
                "of the number-plate and printed-digits write-ups, not handwritten; the same "
                "study runs on EMNIST's handwritten letters by naming that dataset (Appendix C "
                "lists the run's parameters).")
    return f"Characters vary with the writer, the pen and the scan; {common}"


def methodology_opening() -> str:
    return f"""{PAGEBREAK}
# 2. Methodology
The data (2.1), how its classes were balanced (2.2) and its training images augmented (2.3),
the networks (2.4), how they were trained (2.5) and how they were scored (2.6). Every network
takes 28×28 grey-level images scaled to [0, 1], white ink on black, and ends in a softmax over
the classes. The networks are built with Keras (Chollet et al., 2015) on TensorFlow (Abadi et
al., 2015); the data tools are NumPy (Harris et al., 2020), scikit-learn (Pedregosa et al., 2011)
and imbalanced-learn (Lemaître et al., 2017); the notebooks ran in Jupyter (Kluyver et al.,
2016) under papermill, and the figures are drawn with matplotlib (Hunter, 2007)."""


def evaluation() -> str:
    """§2.6: how the networks are scored and compared, and what a difference must pass."""
    return """## 2.6 Evaluation
Every network is scored on the same test images, which no network saw while training or
validating: accuracy, macro-averaged precision, recall and F1 (each class counted alike, so the
rare classes weigh as much as the common ones), the confusion matrix and one-against-rest ROC
curves. Every test accuracy carries Wilson's 95% interval (Wilson, 1927). The most accurate
network is compared with each other one by McNemar's exact test on the same test images
(McNemar, 1947), which counts only the images one of the two got right and the other wrong;
as that makes one test per other network, the p-values are corrected for their number by
Holm's method (Holm, 1979), with SciPy (Virtanen et al., 2020) and statsmodels (Seabold and
Perktold, 2010). A difference is called one only where the corrected test says so; otherwise
the two networks cannot be told apart on this test set."""


def training_parameters(config: RunConfig, found: dict) -> str:
    """§2.5: how the networks were trained, from what each one's training saved."""
    metrics = found["metrics"]
    rows = [*budget_rows(found.get("budget") or {}),
            *([("epochs run (best epoch)", described.epochs_run(metrics))] if metrics else []),
            *training.parameter_rows(metrics),
            ("balancing", found["balance"].get("method", config.balance)),
            ("seed", config.seed), ("seeds per network", seeds_text(config.seeds, config.seed))]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    return f"## 2.5 Training parameters\n\n| setting | value |\n|---|---|\n{table}"


def budget_rows(budget: dict) -> list[tuple[str, str]]:
    """The run's time budget (MINUTES=) and how the chain shared it out, when it had one."""
    if not budget.get("minutes"):
        return []
    shares = budget.get("training_minutes", {})
    each = ", ".join(f"{name} {minutes:.1f}" for name, minutes in shares.items())
    return [("time budget", f"{budget['minutes']:g} minutes for the whole run; "
                            f"{budget['training_stage_minutes']:.1f} of them for training, in "
                            f"{budget['lanes']} notebook{'s' if budget['lanes'] != 1 else ''} "
                            "at a time"),
            ("training minutes per notebook (at most)", each)]


# What each network is, against the one it builds on, and where its stack comes from.
NETWORK_SUMMARIES = {
    "baseline": "one convolution, one pooling, one dense layer: the reference point "
                "(Ismadi, 2025)",
    "deep": "baseline with a second convolution before the pooling and a dense layer twice as "
            "wide (Ismadi, 2025)",
    "dropout_bn": "deep with batch normalisation (Ioffe and Szegedy, 2015) after its first "
                  "convolution and dropout 0.5 (Srivastava et al., 2014) before its dense "
                  "layer (Ismadi, 2025)",
    "az_bn": "three 75-50-25 convolution blocks with batch normalisation and dropout, then "
             "a 512-unit dense layer (Bagli et al., 2021)",
    "nist47": "seven convolutions with batch normalisation; strided 5×5 convolutions in "
              "place of pooling, no dense hidden layer (OCR-CNN, n.d.)",
    "digits_small": "three small convolution blocks with dropout and a 64-128-64 dense stack, "
                    "sized for ten printed digits (OCR documentation, n.d.)",
    "resnet": "twelve convolutions in six pre-activation residual blocks with skip "
              "connections (He et al., 2016b) and global average pooling",
    OWN_NETWORK: "the network written in notebook 11 (Your own network)",
}


def architectures(config: RunConfig, found: dict) -> str:
    """§2.4: the networks side by side: their layers, parameters and what each adds, from
    what this run built (`metrics/*.json`)."""
    by_name = {m["model"]: m for m in found["metrics"]}
    rows, about = [], []
    for name in compared(config, found):
        m = by_name.get(name, {})
        layers = m.get("layers") or {}
        counts = [str(layers.get(key, 0)) if layers else "–"
                  for key in ("convolutions", "dense", "batch_norm", "dropout", "skips")]
        size = f"{m['parameters']:,}" if m.get("parameters") else "–"
        rows.append(f"| {name} | {' | '.join(counts)} | {size} |")
        about.append(f"- **{name}**: {NETWORK_SUMMARIES.get(name, 'a network of this run')}.")
    return ("## 2.4 The networks\n"
            "Each network is a short Keras function that returns a `keras.Model` for a number "
            "of classes (Appendix B lists them all; Appendix A shows each one's layers and "
            "results). The table counts the layers of each kind as this run built them, the "
            "list says what each one is and where its stack comes from.\n\n"
            "| network | convolutions | dense | batch norm. | dropout | skip connections | "
            "parameters |\n|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
            + "\n".join(about))


def networks(config: RunConfig, found: dict) -> str:
    """Appendix B: each network's Keras code as it was built (the source of
    `helpers.learn.models`, or the student's cell), with its parameter count from this run."""
    from helpers.learn.anatomy import source

    counts = {m["model"]: m.get("parameters") for m in found["metrics"]}
    written = {m["model"]: m["code"] for m in found["metrics"] if m.get("code")}
    parts = [f"""{PAGEBREAK}
# Appendix B. The networks' code
The functions this run called to build each network (§2.4 compares them)."""]
    for name in compared(config, found):
        size = f", {counts[name]:,} parameters" if counts.get(name) else ""
        code = written.get(name) or (source(name) if name in ARCHITECTURES else None)
        listing = f"\n\n```python\n{code.rstrip()}\n```" if code else ""
        parts.append(f"### {name}{size}{listing}")
    return "\n\n".join(parts)


def appendix_opening(config: RunConfig, found: dict) -> str:
    """Appendix A's opening: what each network's section holds."""
    return f"""{PAGEBREAK}
# Appendix A. Each network in detail
One section per network, from its executed notebook: where its parameters are, its training
curves, its classification report, confusion matrix, ROC curves and the test images it got
wrong. The main text compares the networks side by side (§3); these are the details behind it."""


# Works the report builds on: (the citation as the text writes it, the entry). The list
# printed is the entries whose citation the report's text contains, so every reference listed
# is cited and none is listed that the text does not use.
REFERENCES = (
    ("Abadi et al., 2015", "Abadi, M. et al. (2015). TensorFlow: large-scale machine learning "
     "on heterogeneous systems. https://www.tensorflow.org"),
    ("Bagli et al., 2021", "Bagli, P., Bagli, S., Gazinkar, D., Godekar, H. and Kataria, K. "
     "(2021). Handwritten character recognition with neural network. T.Y.MCA project report, "
     "Goa University."),
    ("Bradski, 2000", "Bradski, G. (2000). The OpenCV library. *Dr. Dobb's Journal of Software "
     "Tools* 25(11), 120–125."),
    ("Chollet et al., 2015", "Chollet, F. et al. (2015–). Keras. https://keras.io"),
    ("Cohen et al., 2017", "Cohen, G., Afshar, S., Tapson, J. and van Schaik, A. (2017). "
     "EMNIST: an extension of MNIST to handwritten letters. *International Joint Conference on "
     "Neural Networks (IJCNN)*, 2921–2926."),
    ("Harris et al., 2020", "Harris, C. R. et al. (2020). Array programming with NumPy. "
     "*Nature* 585, 357–362."),
    ("He et al., 2016a", "He, K., Zhang, X., Ren, S. and Sun, J. (2016a). Deep residual "
     "learning for image recognition. *IEEE Conference on Computer Vision and Pattern "
     "Recognition (CVPR)*, 770–778."),
    ("He et al., 2016b", "He, K., Zhang, X., Ren, S. and Sun, J. (2016b). Identity mappings in "
     "deep residual networks. *European Conference on Computer Vision (ECCV)*, 630–645."),
    ("Holm, 1979", "Holm, S. (1979). A simple sequentially rejective multiple test procedure. "
     "*Scandinavian Journal of Statistics* 6(2), 65–70."),
    ("Hunter, 2007", "Hunter, J. D. (2007). Matplotlib: a 2D graphics environment. "
     "*Computing in Science & Engineering* 9(3), 90–95."),
    ("Ioffe and Szegedy, 2015", "Ioffe, S. and Szegedy, C. (2015). Batch normalization: "
     "accelerating deep network training by reducing internal covariate shift. *ICML*, "
     "448–456."),
    ("Ismadi, 2025", "Ismadi, M. K. H. (2025). Optical character recognition of alphanumeric "
     "characters using deep learning. IMJ41203 Artificial Intelligence, Assignment 2."),
    ("Kingma and Ba, 2015", "Kingma, D. P. and Ba, J. (2015). Adam: a method for stochastic "
     "optimization. *ICLR*."),
    ("Kluyver et al., 2016", "Kluyver, T. et al. (2016). Jupyter Notebooks: a publishing "
     "format for reproducible computational workflows. *Positioning and Power in Academic "
     "Publishing*, 87–90. IOS Press."),
    ("LeCun et al., 1998", "LeCun, Y., Bottou, L., Bengio, Y. and Haffner, P. (1998). "
     "Gradient-based learning applied to document recognition. *Proceedings of the IEEE* "
     "86(11), 2278–2324."),
    ("Lemaître et al., 2017", "Lemaître, G., Nogueira, F. and Aridas, C. K. (2017). "
     "Imbalanced-learn: a Python toolbox to tackle the curse of imbalanced datasets in machine "
     "learning. *Journal of Machine Learning Research* 18(17), 1–5."),
    ("Loshchilov and Hutter, 2017", "Loshchilov, I. and Hutter, F. (2017). SGDR: stochastic "
     "gradient descent with warm restarts. *ICLR*."),
    ("McNemar, 1947", "McNemar, Q. (1947). Note on the sampling error of the difference "
     "between correlated proportions or percentages. *Psychometrika* 12(2), 153–157."),
    ("OCR documentation, n.d.", "OCR documentation (n.d.). Optical character recognition (OCR) "
     "project documentation: recognising printed digits with a small CNN, class weights, ROC "
     "curves and a web application. Unpublished project report."),
    ("OCR-CNN, n.d.", "OCR-CNN (n.d.). OCR - CNN: a convolutional network for the handwritten "
     "digits and letters of NIST Special Database 19, look-alike classes merged to 47. Project "
     "README, unpublished."),
    ("Otsu, 1979", "Otsu, N. (1979). A threshold selection method from gray-level histograms. "
     "*IEEE Transactions on Systems, Man, and Cybernetics* 9(1), 62–66."),
    ("Pedregosa et al., 2011", "Pedregosa, F. et al. (2011). Scikit-learn: machine learning in "
     "Python. *Journal of Machine Learning Research* 12, 2825–2830."),
    ("Seabold and Perktold, 2010", "Seabold, S. and Perktold, J. (2010). statsmodels: "
     "econometric and statistical modeling with Python. *Proceedings of the 9th Python in "
     "Science Conference*, 92–96."),
    ("Selvaraju et al., 2017", "Selvaraju, R. R., Cogswell, M., Das, A., Vedantam, R., "
     "Parikh, D. and Batra, D. (2017). Grad-CAM: visual explanations from deep networks via "
     "gradient-based localization. *ICCV*, 618–626."),
    ("Simonyan et al., 2014", "Simonyan, K., Vedaldi, A. and Zisserman, A. (2014). Deep inside "
     "convolutional networks: visualising image classification models and saliency maps. "
     "*ICLR Workshop*."),
    ("Speer, 2022", "Speer, R. (2022). wordfreq: access to a database of word frequencies in "
     "many languages, version 3.0 (3.1.1 used here). https://doi.org/10.5281/zenodo.7199437"),
    ("Srivastava et al., 2014", "Srivastava, N., Hinton, G., Krizhevsky, A., Sutskever, I. and "
     "Salakhutdinov, R. (2014). Dropout: a simple way to prevent neural networks from "
     "overfitting. *Journal of Machine Learning Research* 15, 1929–1958."),
    ("Virtanen et al., 2020", "Virtanen, P. et al. (2020). SciPy 1.0: fundamental algorithms "
     "for scientific computing in Python. *Nature Methods* 17, 261–272."),
    ("Wilson, 1927", "Wilson, E. B. (1927). Probable inference, the law of succession, and "
     "statistical inference. *Journal of the American Statistical Association* 22(158), "
     "209–212."),
    ("Zhang and Mani, 2003", "Zhang, J. and Mani, I. (2003). kNN approach to unbalanced data "
     "distributions: a case study involving information extraction. *ICML Workshop on "
     "Learning from Imbalanced Datasets*."),
)


def cited(text: str) -> list[str]:
    """The entries of REFERENCES whose citation `text` contains (a line break inside a
    citation counts as a space), in the list's order."""
    text = " ".join(text.split())
    return [entry for citation, entry in REFERENCES if citation in text]


def references(text: str | None = None) -> str:
    """The reference list of a report whose text (every chapter and notebook) is `text`;
    without a text, every entry."""
    entries = cited(text) if text is not None else [entry for _, entry in REFERENCES]
    items = "\n".join(f"{i}. {entry}" for i, entry in enumerate(entries, 1))
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


def results_opening() -> str:
    return f"""{PAGEBREAK}
# 3. Results
The networks side by side: their test scores and what the test set can tell apart, their
training curves, the best network's confusions and what it looks at; then the ablation of
balancing and augmentation, and reading lines of characters. Each network's own classification
report, confusion matrix, ROC curves and mistakes are in Appendix A."""


def discussion(found: dict, seeds: int = 1) -> str:
    metrics, data = found["metrics"], found["dataset"]
    parts = [f"{PAGEBREAK}\n# 4. Discussion"]
    why = [text for text in (argument.ranking(metrics), argument.weakest_classes(metrics),
                             described.training_course(metrics)) if text]
    if why:
        parts.append("## 4.1 Why the networks rank as they do\n\n" + "\n\n".join(why))
    method = []
    if text := ablation_findings(found.get("ablation") or {}, metrics):
        method.append(text)
    balance = found["balance"]
    if balance:
        method.append(f"Balancing: {balance.get('method', '')} — "
                      f"{balance.get('train_images_before', 0):,} training images before, "
                      f"{balance.get('train_images_after', 0):,} after."
                      + (" " + text if (text := balancing_cost(metrics, balance)) else ""))
    if data.get("leakage") or data.get("split"):
        method.append(split_summary(data) + (" " + text if (text := unseen_gap(metrics, data))
                                             else ""))
    if text := reading_findings(found.get("reading") or {}):
        method.append(text)
    if method:
        parts.append("## 4.2 What the method's choices did\n\n" + "\n\n".join(method))
    if text := argument.limitations(found, seeds):
        parts.append("## 4.3 Limitations\n\n" + text)
    return "\n\n".join(parts)


def unseen_gap(metrics: list[dict], data: dict) -> str:
    """Where the test split holds out whole groups (fonts, writers) and the validation images
    come from the training ones: the networks' mean validation accuracy at their kept epoch
    against their mean test accuracy, and what the gap can and cannot be put down to."""
    split = data.get("split") or {}
    pairs = [(m, v) for m in metrics if (v := validation_at_best(m)) is not None]
    if not split.get("grouped_by") or not pairs:
        return ""
    noun = {"font": "faces"}.get(split["grouped_by"], f"{split['grouped_by']}s")
    # Means of the rounded accuracies the tables show, so a reader's sum agrees.
    val = sum(round(v, 3) for _, v in pairs) / len(pairs)
    test = sum(round(m["accuracy"], 3) for m, _ in pairs) / len(pairs)
    gap = round(100 * val, 1) - round(100 * test, 1)  # of the numbers shown
    text = (f"The validation images come from the training {noun}, the test images from the "
            f"held-out ones: over the {len(pairs)} networks, validation accuracy at the kept "
            f"epoch averaged {val:.1%} and test accuracy {test:.1%}")
    if abs(gap) < 1:
        return (text + f", {abs(gap):.1f} points apart: on these {noun} the networks did "
                "about as well as on the ones they trained on.")
    return (text + f", {abs(gap):.1f} points {'lower' if gap > 0 else 'higher'} on the test. "
            f"That gap is what moving to {noun} the networks have not seen costs, together "
            f"with any difference in how hard the held-out {noun} are, which this run does "
            "not separate.")


def reading_findings(reading: dict) -> str:
    """What the reading notebook measured (`reading.json`), as the discussion quotes it: the
    CER of random strings against the isolated error with what reading added (its interval,
    and the allowance, defined where it is used: `helpers.reading.cer.gap_text`), then what the
    lines of words (with the lexicon) or of numbers gave, or why no line could be read."""
    if not reading:
        return ""
    photos = (f"Simulated photos of single test characters were misread "
              f"{reading['photo_error']:.1%} of the time." if reading.get("photos", 1) else "")
    if reading.get("cer") is None:
        return " ".join(filter(None, [reading.get("writing", ""), photos]))
    text = (f"Reading generated lines of test characters ({{{{ref:reading}}}}) with "
            f"{reading['model']} gave a character error rate of {reading['cer']:.1%}, against "
            f"{reading['isolated_error']:.1%} for the same characters one by one: "
            + gap_text(reading["cer"], reading["isolated_error"], reading.get("characters", 0))
            + "." + (f" {photos}" if photos else ""))
    if reading.get("texts") == "numbers" and reading.get("text_lines"):
        text += (f" The classes write no word, so the lines of text were numbers (years, "
                 f"dates, amounts, codes), read with a CER of {reading['text_cer']:.1%} "
                 f"against {reading['text_isolated_error']:.1%} for their digits one by one; "
                 "the lexicon of words does not apply to this dataset.")
    elif reading.get("lexicon") and reading.get("text_lines"):
        same = f"{reading['cer_lexicon']:.1%}" == f"{reading['cer']:.1%}"
        text += (f" With a lexicon ({reading['lexicon']}; Speer, 2022), the reader spells each "
                 f"word by a "
                 f"beam search that favours frequent words: on lines of real words its CER "
                 f"was {reading['text_cer_lexicon']:.1%}, against {reading['text_cer']:.1%} "
                 f"for each character's first choice; on the random strings, which no lexicon "
                 f"can help, {reading['cer_lexicon']:.1%} against {reading['cer']:.1%}"
                 + (" (unchanged)." if same else "."))
    return text


def ablation_findings(study: dict, metrics: list[dict] | None = None) -> str:
    """What the ablation notebook measured, as the discussion quotes it: each arm against the
    run's own (differences of the accuracies its table shows), then what that means for the
    recipe's choices (`argument.ablation_implications`)."""
    from helpers.learn.ablation import summary

    rows = study.get("rows", [])
    if len(rows) < 2:
        return ""
    network = study.get("network", "one network")
    facts = argument.recipe_facts({"ablation": study})
    implied = argument.ablation_implications(study, facts)
    text = (f"The ablation ({{{{ref:ablation}}}}) trained {network} once per choice on this "
            f"dataset, {ablation_epochs(study)}.")
    if not implied["comparisons"]:
        return f"{text} {summary(rows)}"
    text += (f" Set against the recipe's own choices (it balances by "
             f"{argument.CHOICE_WORDS.get(facts.get('balancing'), facts.get('balancing'))} and "
             f"{'augments' if facts.get('augment') else 'does not augment'}), the ablation "
             f"{argument.ablation_verdict(implied['choices'])}; its table gives each difference "
             "with its test.")
    spread = training_spread(study, metrics or [])
    if spread:
        text += " " + spread["text"]
    if "contradicted" in implied["choices"].values():
        against = max(abs(c["points"]) for c in implied["comparisons"]
                      if c["verdict"] == "contradicts")
        if spread and spread["points"] >= against:
            text += (f" The recipe keeps its choices: the difference that contradicts them "
                     f"({against:.1f} points) is no larger than the {spread['points']:.1f} "
                     "points between two trainings of the same recipe, so one training per "
                     "arm cannot settle it.")
        else:
            text += (f" The recipe keeps its choices all the same: the ablation measured one "
                     f"network, {network}, once per arm, and whether what it found holds for "
                     "the other networks is a question this run leaves (see the conclusion).")
    return text


def training_spread(study: dict, metrics: list[dict]) -> dict | None:
    """The ablation's first arm is its network trained as in its own notebook (the run's
    balancing, with augmentation): the two trainings' test accuracies, the points between them
    (of the rounded numbers shown), and a sentence on what that spread means for the arms'
    differences, which the paired tests (over test images) do not cover."""
    rows = study.get("rows") or []
    network = study.get("network")
    same = next((m for m in metrics if m["model"] == network), None)
    if not rows or same is None or not rows[0].get("augmentation", True):
        return None  # the first arm is always the run's balancing (`ablation.arms_for`)
    first, own = rows[0]["accuracy"], same["accuracy"]
    points = abs(round(100 * first, 1) - round(100 * own, 1))
    text = (f"Its first arm is {network} trained as in its own notebook: the two trainings "
            f"scored {first:.1%} and {own:.1%}, {points:.1f} points apart")
    if points < 0.5:
        text += ", so two trainings of one recipe agree closely here."
    else:
        text += (": the same network, recipe and seed trained twice can differ by that much "
                 "(what differs between the two trainings, this run does not isolate), which "
                 "the paired tests over test images do not cover, and an arm's difference "
                 "smaller than it cannot be told from it.")
    return {"points": points, "text": text}


def ablation_epochs(study: dict) -> str:
    """How long the ablation's arms trained: "for 2 epochs", or "for 4 to 9 epochs, within 3.3
    minutes shared by the arms; early stopping ended 5 of the 6 arms, the time limit 1 (an arm
    cut short did not train as far as the others, so its comparisons say so)"."""
    epochs = study.get("epochs")
    epochs = sorted(epochs) if isinstance(epochs, list) else [epochs] if epochs else []
    span = (f"{epochs[0]} to {epochs[-1]} epochs" if len(epochs) > 1 else
            f"{epochs[0]} epoch{'s' if epochs[0] != 1 else ''}" if epochs else "")
    text = f"for {span}" if span else "for the report's epochs"
    if study.get("minutes"):
        text += f", within {study['minutes']:.1f} minutes shared by the arms"
    rows = [r for r in study.get("rows") or [] if r.get("stopped_by")]
    ended = [(label, n) for why, label in STOPPED_BY.items()
             if (n := sum(r["stopped_by"] == why for r in rows))]
    if ended:
        (first, n), *others = ended
        text += (f"; {first} ended {n} of the {len(rows)} arms"
                 + "".join(f", {label} {n}" for label, n in others))
    if any(r["stopped_by"] != "early stopping" for r in rows):
        text += (" (an arm cut short did not train as far as the others, so its comparisons "
                 "say so)")
    return text


# What ended a training, as the report says it (`TrainResult.stopped_by`).
STOPPED_BY = {"early stopping": "early stopping", "time limit": "the time limit",
              "epochs": "the epoch cap"}


def validation_at_best(metrics: dict) -> float | None:
    """The validation accuracy of the epoch whose weights a network kept."""
    history, best = metrics.get("history", {}), metrics.get("best_epoch")
    values = history.get("val_accuracy", [])
    return values[best - 1] if best and 0 < best <= len(values) else None


def balancing_cost(metrics: list[dict], balance: dict) -> str:
    """What the validation accuracy (on held-out images of the balanced training split) and
    the test accuracy (on the untouched, imbalanced test split) say about the balancing: their
    average difference against the sampling noise of a validation split; no cause is named,
    as the run does not isolate one."""
    from scipy.stats import norm

    pairs = [(m, v) for m in metrics if (v := validation_at_best(m)) is not None]
    if not pairs or not str(balance.get("method", "")).lower().startswith("nearmiss"):
        return ""
    gap = sum(v - m["accuracy"] for m, v in pairs) / len(pairs)
    kept = balance.get("train_images_after", 0) / max(1, balance.get("train_images_before", 1))
    text = (f"NearMiss kept {kept:.0%} of the training images: every class was cut to the size "
            f"of the smallest, keeping the images of the larger classes that lie nearest to the "
            f"other classes. The networks were validated on held-out images of that selection "
            f"and tested on the untouched test split; on average their validation accuracy was "
            f"{100 * gap:+.1f} points from their test accuracy")
    counts = [m["validation_images"] for m, _ in pairs if m.get("validation_images")]
    if not counts:
        return text + "."
    rate = sum(v for _, v in pairs) / len(pairs)
    half = 100 * norm.ppf(0.975) * (rate * (1 - rate) / min(counts)) ** 0.5
    if abs(100 * gap) <= half:
        return (text + f", within the ±{half:.1f} points a validation split of "
                f"{min(counts):,} images allows: the two cannot be told apart.")
    return (text + f", beyond the ±{half:.1f} points a validation split of {min(counts):,} "
            "images allows: the networks did "
            + ("better" if gap > 0 else "worse") + " on held-out images of the selection than "
            "on the untouched test split. This run does not isolate why; the ablation compares "
            "NearMiss with class weights, which keep every image (`BALANCE=class-weights`), "
            "on one network.")


def conclusion(found: dict, balance: str = "") -> str:
    metrics = found["metrics"]
    if not metrics:
        return f"{PAGEBREAK}\n# 5. Conclusion\n\nNo network was trained in this run."
    method = found["balance"].get("method", balance) or balance
    answers = [text for text in (data_answer(found), best_answer(metrics),
                                 *(f"**Like for like.** {_first_sentence(text)}; the "
                                   "discussion compares their training gaps."
                                   for text in argument._derived_all(metrics)),
                                 method_answer(found, method), reading_answer(found))
               if text]
    listed = "\n".join(f"{i}. {text}" for i, text in enumerate(answers, 1))
    return (f"{PAGEBREAK}\n# 5. Conclusion\n\nThe introduction asked {len(answers)} "
            f"questions; this run answers them, in the same order, as follows.\n\n{listed}"
            f"\n\nNext steps: {next_steps(metrics, found)}")


def _first_sentence(text: str) -> str:
    """A generated paragraph's first sentence, without its full stop (a sentence ends at a
    full stop outside parentheses, before a space and a capital)."""
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "." and depth == 0 and text[i + 1:i + 3][:1] == " " \
                and text[i + 2:i + 3].isupper():
            return text[:i]
    return text.rstrip(".")


def data_answer(found: dict) -> str:
    """Objective 1: what the test split holds out and what the leakage audit found."""
    data = found["dataset"]
    if not data.get("leakage") and not data.get("split"):
        return "**Data.** The run saved no leakage audit, so it cannot say."
    leak, split = data.get("leakage") or {}, data.get("split") or {}
    text = (f"**Data.** {leak.get('test_in_train', 0):,} test images are exact copies of a "
            "training image")
    if leak.get("test_near_train_fraction") is not None:
        text += (f" and {leak.get('test_near_train', 0):,} "
                 f"({leak['test_near_train_fraction']:.1%}) have a near-duplicate of their class "
                 "there")
    if split.get("grouped_by"):
        noun = {"font": "faces"}.get(split["grouped_by"], f"{split['grouped_by']}s")
        text += (f"; the test split holds out {len(split.get('test_groups') or [])} whole "
                 f"{noun}, so the accuracy measures recognition of {noun} no network trained "
                 "on (the discussion says how new they are)")
    return text + "."


def target_verdict(best: dict, target: float = TARGET_ACCURACY) -> str:
    """Whether the best network reached the target accuracy: by its 95% interval where it has
    one (above it, below it, or spanning it: then the test set cannot tell), else by its
    accuracy alone."""
    goal = f"the {target:.0%} target"
    bounds = best.get("accuracy_interval")
    if not bounds:
        return (f"reaches {goal}" if best["accuracy"] >= target else f"falls short of {goal}")
    low, high = bounds
    shown = stats.percent(bounds)
    if low >= target:
        return f"reaches {goal}: its whole 95% interval ({shown}) lies above it"
    if high < target:
        return f"falls short of {goal}: its whole 95% interval ({shown}) lies below it"
    return (f"cannot be told from {goal} on this test set: its 95% interval ({shown}) spans "
            "it")


def best_answer(metrics: list[dict]) -> str:
    """Objective 2: the most accurate network, the target, and what the test set can tell."""
    best = max(metrics, key=lambda m: m["accuracy"])
    tests = stats.against_best(metrics)
    return (f"**The best network.** {best['model']}, {best['accuracy']:.1%} on the test split, "
            f"{target_verdict(best)}." + (f" {stats.best_verdict(tests)}" if tests else ""))


def method_answer(found: dict, method: str) -> str:
    """The ablation's objective: its verdict on the recipe's balancing and augmentation
    (`argument.ablation_implications`; §4.2 gives the numbers)."""
    study = found.get("ablation") or {}
    implied = argument.ablation_implications(study, argument.recipe_facts(found))
    if not implied["comparisons"]:
        return (f"**Balancing and augmentation.** The networks trained with {method}; the "
                "ablation did not run, so this run cannot say what either did.")
    text = (f"**Balancing and augmentation.** Measured on {study.get('network', 'one network')}"
            f", one training per arm, the ablation {argument.ablation_verdict(implied['choices'])}")
    spread = training_spread(study, found["metrics"])
    if "contradicted" in implied["choices"].values() and spread:
        against = max(abs(c["points"]) for c in implied["comparisons"]
                      if c["verdict"] == "contradicts")
        if spread["points"] >= against:
            return (text + f"; the recipe keeps them, as the {against:.1f} points against them "
                    f"are within the {spread['points']:.1f} points between two trainings of the "
                    "same recipe.")
    return text + "."


def reading_answer(found: dict) -> str:
    """The reading objective: the CER of whole lines against the error one by one, and where
    it stands against the allowance (the discussion gives its interval)."""
    reading = found.get("reading") or {}
    if reading.get("cer") is None:
        return ("**Reading lines.** No line was read in this run (its classes are not single "
                "characters, or the reading notebook did not run).")
    gap = round(100 * reading["cer"], 1) - round(100 * reading["isolated_error"], 1)
    return (f"**Reading lines.** {reading['model']} read generated lines with a character "
            f"error rate of {reading['cer']:.1%} against {reading['isolated_error']:.1%} one "
            f"by one, {gap:+.1f} points: {allowance_verdict(reading)} (the discussion sets the "
            "difference against its noise).")


def allowance_verdict(reading: dict) -> str:
    """Where reading's added error stands against the allowance, judged by its interval."""
    low, high = gap_interval(reading["cer"], reading["isolated_error"],
                             reading.get("characters", 0))
    if high <= TARGET_GAP:
        return f"within the {100 * TARGET_GAP:g}-point allowance"
    if low > TARGET_GAP:
        return f"over the {100 * TARGET_GAP:g}-point allowance"
    return (f"its interval spans the {100 * TARGET_GAP:g}-point allowance, so this run cannot "
            "tell on which side it falls")


def next_steps(metrics: list[dict], found: dict | None = None) -> str:
    """What the run leaves to do: more time for the networks that had not converged, more
    trainings per network to separate the ties, context for the look-alike characters, and
    the questions its comparisons leave open (`argument.questions`)."""
    unfinished = [m["model"] for m in metrics
                  if m.get("stopped_by") in ("time limit", "epochs")]
    more = (f"more time or epochs for {described.listed(unfinished)}, which had not converged "
            "when {0} stopped, ".format("it" if len(unfinished) == 1 else "they")
            if unfinished else "")
    text = (f"{more}several trainings per network (`SEEDS=3`) to separate the ties, and "
            "reading with the context of whole words or numbers for the look-alike characters.")
    if asked := argument.questions(found or {"metrics": metrics}):
        text += ("\n\nQuestions this run leaves:\n\n"
                 + "\n".join(f"- {question}" for question in asked))
    return text


def parameter_rows(config: RunConfig) -> list[tuple[str, str]]:
    """The run's parameters as `make report` takes them, each value in words: no Python
    `None`, no list brackets, no folder of this machine (a data folder or run by its name)."""
    return [("DATASET", config.dataset),
            ("DATA_DIR", Path(config.data_dir).name if config.data_dir else "none (built in)"),
            ("LIMIT", f"{config.limit:,} images" if config.limit else "none (every image)"),
            ("SEED", str(config.seed)),
            ("EPOCHS", f"at most {config.epochs} per network (early stopping ends a training "
                       "once it stops improving)"),
            ("MINUTES", f"{config.minutes:g} for the whole run" if config.minutes
             else "none (the epochs decide)"),
            ("MODELS", ", ".join(config.models) + (
                f" (and {OWN_NETWORK}, the network of notebook 11)" if any(
                    m["model"] == OWN_NETWORK for m in saved_metrics(config)) else "")),
            ("BALANCE", config.balance),
            ("SEEDS", str(config.seeds)), ("run folder", config.run_dir.name)]


def appendix(config: RunConfig, timings: dict[str, float], *, wall: float | None = None,
             jobs: int = 1, provenance: dict[str, str] | None = None) -> str:
    """Parameters, time per notebook (and whether it ran or was reused from an earlier run
    with the same inputs), environment."""
    import keras
    import numpy as np
    import tensorflow as tf

    provenance = provenance or {}
    gpus = gpu_details()
    machine = cpu_name() + (f", {device_text(gpus)}" if gpus else "")
    params = "\n".join(f"| `{k}` | {v} |" for k, v in parameter_rows(config))
    times = "\n".join(f"| {name} | {seconds:.1f} s | {provenance.get(name, 'ran')} |"
                      for name, seconds in timings.items())
    times += f"\n| **sum** | **{sum(timings.values()):.1f} s** | |"
    if wall is not None:
        together = f"{jobs} at a time within each stage" if jobs > 1 else "one at a time"
        times += f"\n| **wall clock** (notebooks {together}) | **{wall:.1f} s** | |"
        guessed = _read(config.run_dir / "estimate.json").get("total_seconds")
        if guessed:
            times += (f"\n| estimated before the first notebook, from this machine's measured "
                      f"speed | {guessed:.1f} s | {guessed / wall:.0%} of the wall clock |")
    reused = sum(1 for p in provenance.values() if p != "ran")
    note = (f"\n\n{reused} of {len(timings)} notebooks were reused: an earlier run had executed "
            "them with the same code, parameters, `helpers` and packages, so their outputs were "
            "copied; their times are those they took in the run named beside them, and the sum "
            "adds the times where each notebook ran (`make report FORCE=1` runs them all)."
            if reused else "")
    return f"""{PAGEBREAK}
# Appendix C. The run

### Parameters of this run
| parameter | value |
|---|---|
{params}

### Run time per notebook
| notebook | time | ran / reused |
|---|---|---|
{times}{note}

### Environment
Python {platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__},
NumPy {np.__version__} on {platform.platform()} ({machine})."""
