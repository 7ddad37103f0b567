"""`python -m helpers`: recognise characters in images, train or evaluate a model, train the
default reader (`make model`), serve the web page.

Thin wiring over the library: `helpers.reading` (predict, read), `helpers.learn.recipe` (train,
model: the one training path), `helpers.learn.evaluate` (evaluate) and `helpers.web` (serve).
Bad input or a bad option ends in one line `error: <message>` on stderr and exit status 1; a
warning (a skipped file, repaired data) is one line `warning: <message>`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from helpers import paths
from helpers.arguments import (
    exit_on_sigterm,
    model_out,
    port,
    positive_float,
    positive_int,
    print_error,
    warnings_as_lines,
)
from helpers.data import SOURCES
from helpers.errors import BundleError, ConfigError, DataError
from helpers.learn import MOST_EPOCHS, UNSURE_BELOW
from helpers.report.console import filtered_stderr, import_tensorflow_quietly

# `train`'s default: the notebooks' recipe (`helpers.learn.recipe.Recipe()`), until the
# validation accuracy stops improving, at most this many epochs. Here so that --help needs no
# TensorFlow.
DEFAULT_EPOCHS = MOST_EPOCHS
DEFAULT_TOP_K = 5
MOST_CONFUSED_SHOWN = 5


class LazyNames:
    """argparse choices taken from a module attribute only when argparse needs them (checking a
    value, printing that subcommand's help), so `python -m helpers --help` does not import
    TensorFlow just to list the architectures."""

    def __init__(self, module: str, attribute: str, *, tensorflow: bool = False):
        self.module, self.attribute, self.tensorflow = module, attribute, tensorflow

    def names(self) -> list[str]:
        if self.tensorflow:
            import_tensorflow_quietly()
        return list(getattr(importlib.import_module(self.module), self.attribute))

    def __contains__(self, name: object) -> bool:
        return name in self.names()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


ARCHITECTURE_NAMES = LazyNames("helpers.learn.models", "ARCHITECTURES", tensorflow=True)
BALANCE_METHODS = LazyNames("helpers.learn.balance", "METHODS")
THRESHOLDS = LazyNames("helpers.reading.ink", "THRESHOLDS")


# --- predict and read ------------------------------------------------------------------------


def load_recognizer(model: str | None):
    from helpers.reading.recognizer import Recognizer

    return Recognizer.load(model)


def recognise_images(args: argparse.Namespace, recognise: Callable,
                     as_text: Callable) -> int:
    """Load the model once, recognise every image and print each answer as JSON or text; an
    image that fails is reported and the rest still run."""
    recognizer = load_recognizer(args.model)
    status = 0
    for image in args.images:
        try:
            result = recognise(recognizer, image)
        except DataError as e:
            print_error(e, image)
            status = 1
            continue
        print(json.dumps({"file": image, **result.as_dict()}) if args.json
              else as_text(image, result))
    return status


def top_line(top: list[tuple[str, float]]) -> str:
    """`A 97.1%  (H 1.2%, R 0.6%)`: the best class, then the runners-up."""
    (best, prob), rest = top[0], top[1:]
    line = f"{best} {prob:.1%}"
    if rest:
        line += "  (" + ", ".join(f"{c} {p:.1%}" for c, p in rest) + ")"
    return line


def predict_command(args: argparse.Namespace) -> int:
    from helpers.reading.recognizer import classify

    return recognise_images(
        args, lambda recognizer, image: classify(recognizer, image, top_k=args.top_k,
                                                threshold=args.threshold, what=image),
        lambda image, prediction: f"{image}  {top_line(prediction.top)}"
                                  + (f"  unsure: under {UNSURE_BELOW:.0%}" if prediction.unsure
                                     else ""))


def read_command(args: argparse.Namespace) -> int:
    from helpers.reading.lexicon import Lexicon
    from helpers.reading.recognizer import read

    # Loaded once for all the images; a bad word list is an error before any image is read.
    lexicon = (False if args.no_lexicon else Lexicon.from_file(args.lexicon) if args.lexicon
               else True)
    return recognise_images(
        args, lambda recognizer, image: read(recognizer, image, threshold=args.threshold,
                                             what=image, lexicon=lexicon),
        lambda image, reading: f"{image}: {reading.text}" + (
            f"  ({reading.unsure} of {len(reading.characters)} characters unsure)"
            if reading.unsure else ""))


# --- train and evaluate ----------------------------------------------------------------------


def load_dataset(args: argparse.Namespace):
    from helpers.data import load_from

    return load_from(args.dataset, args.location, limit=args.limit, seed=args.seed)


def default_model_path(architecture: str, dataset: str) -> Path:
    return paths.outputs_dir() / "models" / f"{architecture}-{dataset}.keras"


def training_folder(out: Path) -> Path:
    """Where `train` keeps a model's history, logs and backup: beside it, `<name>-training/`."""
    out = Path(out)
    return out.with_name(f"{out.stem}-training")


def train_command(args: argparse.Namespace) -> int:
    from helpers.learn import recipe
    from helpers.learn.balance import balance
    from helpers.learn.models import info_path
    from helpers.learn.train import run_callbacks

    dataset = load_dataset(args)
    prepared = balance(dataset, args.balance, seed=args.seed)
    print(f"training {args.architecture} on {dataset.name}: {len(prepared.dataset.x_train):,} "
          f"training images after balancing ({args.balance}), {len(dataset.x_test):,} test "
          f"images, {dataset.num_classes} classes")
    out = args.out or default_model_path(args.architecture, args.dataset)
    # The notebooks' training: the same recipe and `fit`. Its run folder keeps the history,
    # TensorBoard logs and a backup after every epoch, so the same command after an
    # interruption continues where it stopped.
    trained = recipe.train_and_save(
        args.architecture, recipe.Recipe(epochs=args.epochs), prepared.dataset, out,
        seed=args.seed, class_weight=prepared.class_weight,
        callbacks=run_callbacks(training_folder(out)), balance=prepared.method)
    evaluation, out = trained.evaluation, trained.model_path
    print(f"\n{args.architecture} on {dataset.name}: test accuracy {evaluation['accuracy']:.1%}, "
          f"macro F1 {evaluation['macro_f1']:.3f} ({evaluation['test_images']:,} test images)")
    print(f"model:   {out}\nclasses: {info_path(out)}")
    print(f"use it:  python -m helpers predict IMAGE --model {shlex.quote(str(out))}")
    return 0


def model_command(args: argparse.Namespace) -> int:
    """`make model`: the most accurate recipe on EMNIST, saved as the default reader."""
    from helpers.learn import recipe
    from helpers.learn.speed import within
    from helpers.learn.train import TimeLimit

    if args.download:
        folder = Path(args.data_dir) if args.data_dir else None
    else:
        folder = recipe.emnist_location(args.data_dir, args.dataset)
    dataset = recipe.reader_dataset(args.dataset, folder, args.limit, args.seed,
                                    download=args.download)
    best = replace(recipe.BEST, epochs=args.epochs) if args.epochs else recipe.BEST
    fitting = ""
    if args.minutes:
        best = within(best, recipe.BEST_NETWORK, dataset, args.minutes * 60)
        fitting = f" (those that fit in {args.minutes:g} minutes here)"
    print(f"training {recipe.BEST_NETWORK} for {best.epochs} epochs{fitting} on {dataset!r} "
          f"from {folder or 'the download'}", flush=True)
    started = time.perf_counter()
    trained = recipe.train_and_save(
        recipe.BEST_NETWORK, best, dataset, args.out or recipe.default_reader_path(),
        seed=args.seed, callbacks=[TimeLimit(args.minutes * 60)] if args.minutes else ())
    print(f"test accuracy {trained.evaluation['accuracy']:.1%}, macro F1 "
          f"{trained.evaluation['macro_f1']:.3f}, {trained.training.epochs_run} epochs, "
          f"{time.perf_counter() - started:.0f} s; saved {trained.model_path}")
    return 0


def class_difference(model_path: str, model_classes: list[str], dataset) -> str | None:
    """Why a model cannot be scored on a dataset's labels, or None when the classes agree."""
    ours, theirs = [str(c) for c in model_classes], [str(c) for c in dataset.classes]
    if ours == theirs:
        return None

    def listed(names: list[str]) -> str:
        return ", ".join(names[:10]) + (", …" if len(names) > 10 else "")

    only_model = [c for c in ours if c not in theirs]
    only_dataset = [c for c in theirs if c not in ours]
    if only_model or only_dataset:
        differs = "; ".join(part for part in (
            only_model and f"only the model has {listed(only_model)}",
            only_dataset and f"only the dataset has {listed(only_dataset)}") if part)
    else:
        differs = "the same classes in another order"
    return (f"{model_path} predicts {len(ours)} classes but dataset {dataset.name} has "
            f"{len(theirs)}: {differs}; evaluate it on the dataset it was trained on")


def confused_line(metrics) -> str:
    pairs = metrics["most_confused"][:MOST_CONFUSED_SHOWN]
    if not pairs:
        return "no test image was confused with another class"
    return "most confused (true→predicted, count): " + ", ".join(
        f"{p['true']}→{p['predicted']} ({p['count']})" for p in pairs)


def unsure_line(unsure: dict) -> str:
    """What an "unsure" mark is worth on this test split."""
    if not unsure["count"]:
        return f"no answer was under {unsure['below']:.0%} (none would be marked unsure)"
    line = (f"answers under {unsure['below']:.0%} (marked unsure): {unsure['count']:,} "
            f"({unsure['share']:.1%}), right {unsure['accuracy']:.0%} of the time")
    if unsure["accuracy_sure"] is not None:
        line += f"; the others {unsure['accuracy_sure']:.0%}"
    return line


def evaluate_command(args: argparse.Namespace) -> int:
    from helpers.learn.evaluate import evaluate
    from helpers.learn.models import load_model

    model, meta = load_model(args.model)
    dataset = load_dataset(args)
    problem = class_difference(args.model, meta["classes"], dataset)
    if problem:
        raise DataError(problem)
    evaluation = evaluate(model, dataset, name=Path(args.model).stem)
    if args.json:
        print(evaluation.to_json())
        return 0
    print(f"{args.model} on {dataset.name} ({evaluation['test_images']:,} test images): "
          f"accuracy {evaluation['accuracy']:.1%}, macro F1 {evaluation['macro_f1']:.3f}")
    print(confused_line(evaluation))
    print(unsure_line(evaluation["unsure"]))
    return 0


def serve_command(args: argparse.Namespace) -> int:
    from helpers import colab
    from helpers.web import serve

    if colab.running():
        raise ConfigError(
            "serve: the web page cannot be reached from Colab: it would listen on the Colab "
            "machine's own network, which your browser cannot open. Run `make serve` on your "
            "computer, or read images in a cell with `python -m helpers predict` or `read`")
    try:
        serve(args.model, host=args.host, port=args.port, threads=args.threads)
    except BundleError:
        raise
    except (OSError, ValueError) as e:  # the port is taken, or the host is not this machine's
        raise ConfigError(f"cannot serve on {args.host}:{args.port}: "
                          f"{getattr(e, 'strerror', None) or e}") from None
    return 0


# --- arguments -------------------------------------------------------------------------------


def parser_for(commands, name: str, summary: str, description: str, examples: list[str]):
    return commands.add_parser(
        name, help=summary, description=description,
        epilog="examples:\n" + "\n".join(f"  {e}" for e in examples),
        formatter_class=argparse.RawDescriptionHelpFormatter)


def add_model_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", metavar="PATH",
                        help="a .keras model saved with its classes .json beside it (by "
                             "`make model`, `make report` or `python -m helpers train`); "
                             "default: the reader `make model` saved (outputs/model/reader.keras)"
                             ", else the most accurate model of the latest `make report` run")


def add_image_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("images", nargs="+", metavar="IMAGE",
                        help="image files (PNG, JPEG, …): photos or scans, dark ink on light "
                             "paper or the reverse")
    add_model_option(parser)
    parser.add_argument("--threshold", choices=THRESHOLDS, default="otsu", metavar="METHOD",
                        help="how ink is told from paper: otsu (one level for the whole image) "
                             "or adaptive (local levels, for uneven light); default: otsu")
    parser.add_argument("--json", action="store_true",
                        help="one JSON object per image and line instead of text")


def add_dataset_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", required=True, choices=list(SOURCES), metavar="NAME",
                        help="one of: " + ", ".join(SOURCES) + " (see `python -m helpers.data "
                             "list`)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--data-dir", dest="location", metavar="DIR",
                       help="folder with the EMNIST/MNIST files (default: data/raw/<source>)")
    where.add_argument("--path", dest="location", metavar="PATH",
                       help="the CSV file (az-csv) or the folder of class folders (folder)")
    parser.add_argument("--limit", type=positive_int, metavar="N",
                        help="use a stratified sample of N images in all (default: every image)")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="seed for sampling, splits, weights and batches (default: 0)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpers",
        description="Recognise handwritten or printed characters in images with a trained CNN, "
                    "train one, train the default reader on EMNIST, evaluate one, or serve a "
                    "web page to try one.",
        epilog="examples:\n"
               "  python -m helpers predict photo.png --top-k 3\n"
               "  python -m helpers read line.jpg --json\n"
               "  python -m helpers train --dataset glyphs --model az_bn --epochs 6\n"
               "  python -m helpers model --data-dir data/raw/emnist\n"
               "  python -m helpers evaluate --model outputs/models/az_bn-glyphs.keras "
               "--dataset glyphs\n"
               "  python -m helpers serve --port 8000\n\n"
               "Without --model, predict and read use the reader `make model` trained, else\n"
               "the most accurate model of the latest `make report` run. Bad input ends in\n"
               "one `error:` line and exit status 1.\n"
               "`python -m helpers COMMAND --help` explains each command.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    predict = parser_for(
        commands, "predict", "the most likely characters in images of one character each",
        "Classify each image as one character and print the most likely classes.\n"
        "Plain output: `IMAGE  A 97.1%  (H 1.2%, R 0.6%, …)`; with --json one object per line:\n"
        '{"file": IMAGE, "top": [{"char": "A", "prob": 0.971}, …], "unsure": false}.\n'
        f"An answer under {UNSURE_BELOW:.0%} is marked unsure (`evaluate` says how often such\n"
        "answers are right). An image of pure noise is refused, as a blank one is.",
        ["python -m helpers predict photo.png",
         "python -m helpers predict scans/*.png --top-k 3 --json",
         "python -m helpers predict photo.jpg --model model.keras --threshold adaptive"])
    add_image_options(predict)
    predict.add_argument("--top-k", type=positive_int, default=DEFAULT_TOP_K, metavar="K",
                         help=f"how many classes to list per image (default: {DEFAULT_TOP_K})")
    predict.set_defaults(run=predict_command)

    read = parser_for(
        commands, "read", "the text of images of one line of characters each",
        "Split each image of one line into characters, classify each, and spell each word\n"
        "with a lexicon: a beam search over the likeliest classes of its characters that\n"
        "favours words of the lexicon (by default the 50,000 most frequent English words of\n"
        "wordfreq 3.1.1) and one case per word; a string the network is sure of stays as read.\n"
        "Plain output: `IMAGE: TEXT`, then `(N of M characters unsure)` when some are\n"
        f"under {UNSURE_BELOW:.0%}; with --json one object per line: {{\"file\": IMAGE,\n"
        '"text": "AB C", "raw_text": "A8 C", "unsure": 0, "characters": [{"char": "A",\n'
        '"prob": 0.97, "box": [x, y, w, h], "unsure": false}, …]} (raw_text: the network\'s\n'
        "first choice for every character; boxes in the image's pixels).",
        ["python -m helpers read line.png",
         "python -m helpers read lines/*.jpg --json --model model.keras",
         "python -m helpers read serial.png --no-lexicon",
         "python -m helpers read form.png --lexicon names.txt"])
    add_image_options(read)
    words = read.add_mutually_exclusive_group()
    words.add_argument("--no-lexicon", action="store_true",
                       help="no lexicon: every character is the network's first choice")
    words.add_argument("--lexicon", metavar="FILE",
                       help="spell with the words of FILE instead of the English list: one word "
                            "per line, optionally followed by a space and its count")
    read.set_defaults(run=read_command)

    train = parser_for(
        commands, "train", "train a network on a dataset, evaluate it, save it with its classes",
        "Load a dataset, balance its training split, train a network (a stratified tenth of\n"
        "the training images validates; the test split is only scored at the end), then save\n"
        "the model (.keras) and its classes (.json) for predict, read and evaluate.",
        ["python -m helpers train --dataset glyphs --model az_bn",
         "python -m helpers train --dataset digits --model digits_small --epochs 3 "
         "--out digits.keras",
         "python -m helpers train --dataset emnist-letters --data-dir data/raw/emnist "
         "--model resnet --limit 20000"])
    add_dataset_options(train)
    train.add_argument("--model", dest="architecture", required=True,
                       choices=ARCHITECTURE_NAMES, metavar="ARCH",
                       help="the network: %(choices)s")
    train.add_argument("--epochs", type=positive_int, default=DEFAULT_EPOCHS, metavar="N",
                       help="at most N passes over the training images; as in the notebooks, "
                            "the training stops when the validation accuracy has not improved "
                            "for 3 epochs (default: %(default)s)")
    train.add_argument("--out", metavar="PATH", type=model_out,
                       help="where to save the model; its classes go to the same name with "
                            ".json, its history, TensorBoard logs and a backup after every "
                            "epoch to NAME-training/ beside it (default: "
                            "outputs/models/ARCH-NAME.keras). Training resumes by default: the "
                            "same command after an interruption continues from the last "
                            "finished epoch, after a finished training it starts a new history; "
                            "delete NAME-training/ to start an interrupted one over")
    train.add_argument("--balance", choices=BALANCE_METHODS, default="class-weights",
                       metavar="METHOD",
                       help="how to balance the training split: %(choices)s (default: "
                            "%(default)s, as the notebooks)")
    train.set_defaults(run=train_command)

    model = parser_for(
        commands, "model", "train the most accurate recipe on EMNIST as the default reader",
        "Train the bundle's most accurate recipe (a small residual network, AdamW, a cosine\n"
        "schedule, label smoothing, a moving average of the weights) on EMNIST and save it as\n"
        "the default reader that predict, read and serve use without --model\n"
        "(outputs/model/reader.keras). byclass is merged to NIST's 47 classes; when only the\n"
        "test part of a split is on disk it is split 80/20 stratified. What `make model` runs.",
        ["python -m helpers model",
         "python -m helpers model --download",
         "python -m helpers model --data-dir data/raw/emnist --dataset emnist-balanced",
         "python -m helpers model --limit 20000 --epochs 4 --out small.keras",
         "python -m helpers model --minutes 15   # the epochs that fit in 15 minutes"])
    model.add_argument("--dataset", default="emnist-byclass", metavar="SPLIT",
                       choices=[n for n in SOURCES if n.startswith("emnist-")],
                       help="the EMNIST split: %(choices)s (default: emnist-byclass, merged to "
                            "47 classes)")
    model.add_argument("--data-dir", metavar="DIR",
                       help="folder with NIST's EMNIST files (default: $OCR_EMNIST_DIR, else "
                            "data/raw/emnist)")
    model.add_argument("--download", action="store_true",
                       help="download the split first when it is not there (NIST's gzip.zip, "
                            "with a progress bar, SHA-256 checked)")
    model.add_argument("--limit", type=positive_int, metavar="N",
                       help="train on a stratified sample of N images (default: all)")
    model.add_argument("--epochs", type=positive_int, metavar="N",
                       help="epochs (default: 12, the recipe's)")
    model.add_argument("--minutes", type=positive_float, metavar="M",
                       help="train only the whole epochs that fit in M minutes on this machine "
                            "(a few batches timed first), the schedule fitted to them")
    model.add_argument("--seed", type=int, default=0, metavar="S", help="default: 0")
    model.add_argument("--out", metavar="PATH", type=model_out,
                       help="where to save the .keras file (default: outputs/model/reader.keras)")
    model.set_defaults(run=model_command)

    evaluate = parser_for(
        commands, "evaluate", "score a saved model on a dataset's test split",
        "Score a saved model on the test split of a dataset with the same classes: accuracy,\n"
        "macro F1 and the most confused pairs, or with --json every metric.",
        ["python -m helpers evaluate --model outputs/models/az_bn-glyphs.keras "
         "--dataset glyphs",
         "python -m helpers evaluate --model digits.keras --dataset digits --json"])
    evaluate.add_argument("--model", required=True, metavar="PATH",
                          help="a .keras model with its classes .json beside it")
    add_dataset_options(evaluate)
    evaluate.add_argument("--json", action="store_true",
                          help="print every metric (per-class accuracy, confusion matrix, …) "
                               "as JSON")
    evaluate.set_defaults(run=evaluate_command)

    serve = parser_for(
        commands, "serve", "a local web page to upload or draw characters and read lines",
        "Serve the recognizer on this machine: a page to upload or draw a character (top-5\n"
        "with bars, and the 28×28 image the network saw) or read a line, a page describing\n"
        "the model, and JSON endpoints POST /predict and POST /read (multipart field\n"
        "`image`, answers as predict/read --json). The model is loaded once.",
        ["python -m helpers serve",
         "python -m helpers serve --port 8080 --model letters.keras",
         "curl -F image=@photo.png http://127.0.0.1:8000/predict"])
    add_model_option(serve)
    serve.add_argument("--port", type=port, default=8000,
                       help="TCP port (default: 8000)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1, this machine only)")
    serve.add_argument("--threads", type=positive_int, default=8,
                       help="requests handled at once (default: 8)")
    serve.set_defaults(run=serve_command)
    return parser


def main(argv: list[str] | None = None) -> int:
    """The command line; TensorFlow's C++ notices are kept off the console throughout (they
    come at import and again when a dataset pipeline is first traced)."""
    with filtered_stderr(), exit_on_sigterm(), warnings_as_lines():
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    import_tensorflow_quietly()  # every command needs it; --help has exited by now
    try:
        return args.run(args)
    except BundleError as e:
        print_error(e)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
