"""What the notebooks share: one set of run parameters (`RunConfig`), the run's dataset
(`load`), its balanced training data (`balanced_data`), the steps around the training a CNN
notebook shows (`recipe`, `network`, `callbacks` for `helpers.learn.train.fit`, then `evaluate`
and `save`) with every artefact under the run folder; then what the comparison reads back
(`saved_metrics`, `best_model`).

Layout of a run folder: `metrics/<model>.json` (numbers for the comparison and the report),
`models/<model>.keras` + `.json` (classes), `training/<model>/` (history.csv, TensorBoard logs),
`dataset.json` and `balance.json` (facts the report quotes).
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np

from helpers import data as data_package
from helpers import paths
from helpers.data import Dataset, leakage, load_from
from helpers.data.cache import atomic_path, cache_file, fingerprint, load_arrays, save_arrays
from helpers.errors import ConfigError, DataError, DataWarning
from helpers.learn import MOST_EPOCHS, anatomy, stats
from helpers.learn import ablation as ablation_study
from helpers.learn import recipe as recipe_steps
from helpers.learn.balance import METHODS, Balanced, balance, train_counts
from helpers.learn.evaluate import Evaluation, load_metrics
from helpers.learn.evaluate import evaluate as evaluate_model
from helpers.learn.hardware import precision
from helpers.learn.models import (
    ARCHITECTURES,
    build_model,
    check_network,
    load_model,
)
from helpers.learn.recipe import Recipe, Trained
from helpers.learn.train import TimeLimit, TrainResult, fit, run_callbacks, set_seed, training_data


@dataclass(frozen=True)
class RunConfig:
    """The parameters every notebook takes (papermill injects them; defaults run offline)."""

    dataset: str = "glyphs"
    data_dir: str | None = None
    limit: int | None = None
    seed: int = 0
    epochs: int = MOST_EPOCHS  # at most: early stopping ends a training when it stops improving
    models: tuple[str, ...] = tuple(ARCHITECTURES)
    balance: str = "class-weights"
    run_dir: Path = field(default_factory=lambda: paths.outputs_dir() / "lab")
    seeds: int = 1  # trainings per network: more give a mean and spread over seeds
    # Minutes a network's training (with its test evaluation) may take: its epochs are the
    # ones that fit, at most `epochs`. `make report MINUTES=` shares the run's time out so.
    minutes: float | None = None

    @classmethod
    def from_parameters(cls, DATASET="glyphs", DATA_DIR=None, LIMIT=None, SEED=0, EPOCHS=None,
                        MODELS=None, BALANCE="class-weights", RUN_DIR=None,
                        SEEDS=1, MINUTES=None) -> RunConfig:  # noqa: N803
        """From the notebooks' upper-case parameters; MODELS is a comma-separated string."""
        names = tuple(m.strip() for m in (MODELS or ",".join(ARCHITECTURES)).split(",")
                      if m.strip())
        unknown = [m for m in names if m not in ARCHITECTURES]
        if unknown:
            raise ConfigError(f"MODELS names unknown architecture(s) {', '.join(unknown)}; choose "
                              f"from {', '.join(ARCHITECTURES)}")
        if BALANCE not in METHODS:
            raise ConfigError(f"BALANCE={BALANCE!r}; use one of {', '.join(METHODS)}")
        EPOCHS = MOST_EPOCHS if EPOCHS in (None, "") else EPOCHS  # noqa: N806
        if int(EPOCHS) < 1:
            raise ConfigError(f"EPOCHS must be at least 1 (or None: until the validation "
                              f"accuracy stops improving, at most {MOST_EPOCHS}), got {EPOCHS}")
        if int(SEEDS) < 1:
            raise ConfigError(f"SEEDS must be at least 1, got {SEEDS}")
        if MINUTES is not None and not float(MINUTES) > 0:
            raise ConfigError(f"MINUTES must be more than 0, got {MINUTES}")
        run_dir = Path(RUN_DIR) if RUN_DIR else paths.outputs_dir() / "lab"
        return cls(DATASET, DATA_DIR, None if LIMIT in (None, "") else int(LIMIT), int(SEED),
                   int(EPOCHS), names, BALANCE, run_dir, int(SEEDS),
                   None if MINUTES is None else float(MINUTES))

    def budget(self) -> float | None:
        """Seconds for one training of a network (each seed's), or None without MINUTES."""
        return None if self.minutes is None else self.minutes * 60 / self.seeds

    def as_dict(self) -> dict:
        return {**asdict(self), "models": list(self.models), "run_dir": str(self.run_dir)}


# Built-in sources drawn by code rather than read from files. Every notebook of a run needs the
# same drawing (2 s each for the glyphs), so the first one's is cached in data/processed.
DRAWN = ("glyphs",)


def load(config: RunConfig) -> Dataset:
    """The run's dataset. Loader warnings (e.g. "only the test part is present") are recorded
    in the dataset's `source`, which the exploration notebook shows, so they are not repeated
    in every notebook."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        if config.dataset in DRAWN and config.data_dir is None:
            return _load_drawn(config)
        return load_from(config.dataset, config.data_dir, limit=config.limit, seed=config.seed)


def _drawn_key(config: RunConfig) -> str:
    """Parameters plus the source code of helpers.data: a changed loader draws anew."""
    code = hashlib.sha256()
    for module in sorted(Path(data_package.__file__).parent.glob("*.py")):
        code.update(module.read_bytes())
    return fingerprint("dataset", 1, config.dataset, config.limit, config.seed, code.hexdigest())


def _load_drawn(config: RunConfig) -> Dataset:
    path = cache_file("dataset", _drawn_key(config))
    cached = load_arrays(path)
    if cached is not None:
        meta = json.loads(str(cached["meta"]))
        return Dataset(cached["x_train"], cached["y_train"], cached["x_test"], cached["y_test"],
                       tuple(meta["classes"]), meta["name"], meta["source"], tuple(meta["notes"]),
                       meta.get("groups", {}))
    dataset = load_from(config.dataset, None, limit=config.limit, seed=config.seed)
    meta = {"classes": dataset.classes, "name": dataset.name, "source": dataset.source,
            "notes": dataset.notes, "groups": dataset.groups}
    save_arrays(path, x_train=dataset.x_train, y_train=dataset.y_train, x_test=dataset.x_test,
                y_test=dataset.y_test, meta=np.array(json.dumps(meta)))
    return dataset


def write_json(path: Path, data: dict) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    return path


def describe(dataset: Dataset, config: RunConfig) -> dict:
    """Dataset facts plus the leakage audit, also written to the run folder for the report."""
    facts = {**dataset.describe(), "leakage": leakage(dataset).as_dict()}
    write_json(config.run_dir / "dataset.json", facts)
    return facts


def _balance_key(config: RunConfig, dataset: Dataset) -> str:
    """The parameters and the training split's own images and labels: a dataset drawn or split
    anew (another test split of the same size, say) is balanced anew."""
    content = hashlib.blake2b(digest_size=16)
    for array in (dataset.x_train, dataset.y_train):
        content.update(np.ascontiguousarray(array).data)
    return fingerprint("balanced", 2, config.dataset, config.data_dir, config.limit, config.seed,
                       config.balance, len(dataset.x_train), dataset.classes,
                       content.hexdigest())


def balanced_data(config: RunConfig, dataset: Dataset | None = None) -> Balanced:
    """The balanced training data for the CNN notebooks, cached in data/processed.

    The balancing notebook computes it once; each CNN notebook then reads the cache (and
    computes it itself when run alone).
    """
    dataset = dataset if dataset is not None else load(config)
    path = cache_file("balanced", _balance_key(config, dataset))
    cached = load_arrays(path)
    if cached is not None:
        meta = json.loads(str(cached["meta"]))
        weights = meta["class_weight"]
        balanced = dataset.with_arrays(x_train=cached["x_train"], y_train=cached["y_train"],
                                       notes=tuple(meta["notes"]))
        result = Balanced(balanced, train_counts(dataset).rename("before"),
                          train_counts(balanced).rename("after"), meta["method"],
                          meta["seconds"],
                          {int(k): v for k, v in weights.items()} if weights else None)
    else:
        result = balance(dataset, config.balance, seed=config.seed)
        meta = {"method": result.method, "seconds": result.seconds,
                "notes": result.dataset.notes, "class_weight": result.class_weight}
        save_arrays(path, x_train=result.dataset.x_train, y_train=result.dataset.y_train,
                    meta=np.array(json.dumps(meta)))
    # Every run folder gets the facts the report quotes, from the cache or not.
    write_json(config.run_dir / "balance.json",
               {**meta, "before": result.before.to_dict(), "after": result.after.to_dict(),
                "train_images_before": int(result.before.sum()),
                "train_images_after": int(result.after.sum())})
    return result


class Skipped(Exception):
    """A CNN notebook whose network this run does not train. IPython shows the message alone
    (no traceback), and "Run All" stops there instead of failing in the next cell."""

    def _render_traceback_(self) -> list[str]:
        return [f"skipped: {self}"]


def recipe(config: RunConfig) -> Recipe:
    """The run's training recipe: the defaults of `Recipe` (the write-ups' training, until the
    validation accuracy stops improving), at most `config.epochs` epochs."""
    return Recipe(epochs=config.epochs)


# The network a student writes in notebooks/11_your_network: trained, saved and compared under
# this name, beside the seven.
OWN_NETWORK = "my_cnn"


def network(name: str, config: RunConfig, prepared: Balanced,
            builder: Callable[[int], keras.Model] | None = None) -> keras.Model:
    """A fresh network `name` for the run's data, seeded by the run's seed, in the precision
    this machine is fast in (`hardware.precision`): one of the seven by name, or what
    `builder(num_classes)` returns (your own network, checked first: what keeps it from
    fitting the data stops it here).

    Raises `Skipped` when `name` is not among `config.models`: the notebook then says it
    skipped and runs no further."""
    if builder is None and name not in config.models:
        raise Skipped(f"{name} is not among this run's networks (MODELS={','.join(config.models)});"
                      f" add {name} to MODELS, or set MODELS = None for all of them")
    dataset = prepared.dataset
    if builder is not None:
        check_network(builder, dataset.num_classes, (*dataset.x_train.shape[1:], 1))
    set_seed(config.seed)
    return build_model(name, dataset.num_classes, precision=precision(), builder=builder)


def callbacks(name: str, config: RunConfig, prepared: Balanced) -> list[keras.callbacks.Callback]:
    """What the run adds to a recipe's callbacks: with MINUTES, a time limit (the network's
    share of the run), and the run folder's history, TensorBoard logs and a backup."""
    found = run_callbacks(config.run_dir / "training" / name)
    if (seconds := config.budget()) is not None:
        dataset = prepared.dataset
        validation = max(1, round(len(dataset.x_train) * recipe(config).validation_fraction))
        found.insert(0, TimeLimit(seconds, after=len(dataset.x_test) / validation))
    return found


def evaluate(name: str, model: keras.Model, training: TrainResult, config: RunConfig,
             prepared: Balanced, code: Callable | None = None) -> Evaluation:
    """Score the trained network once on the untouched test split and write its metrics (with
    how it trained) to `metrics/<name>.json`; `code`, your network's function, is kept with
    them. With SEEDS > 1, the same network and recipe train again with the further seeds, only
    to be scored: the metrics carry every seed's scores (`seed_runs`)."""
    keep_earlier(config, name)
    record = {"seed": config.seed, "balance": prepared.method,
              "recipe": training.recipe.as_dict() if training.recipe else None,
              **({"code": anatomy.function_source(code)} if code is not None else {})}
    if config.seeds > 1:
        record["seed_runs"] = [{"seed": config.seed, **_scores(model, prepared)}, *(
            {"seed": seed, **_scores(_again(model, training, prepared, seed), prepared)}
            for seed in range(config.seed + 1, config.seed + config.seeds))]
    return recipe_steps.evaluated(name, model, training, prepared.dataset,
                                  metrics_dir=config.run_dir / "metrics", **record)


def _scores(model: keras.Model, prepared: Balanced) -> dict:
    scored = evaluate_model(model, prepared.dataset)
    return {"accuracy": scored["accuracy"], "macro_f1": scored["macro_f1"]}


def _again(model: keras.Model, training: TrainResult, prepared: Balanced,
           seed: int) -> keras.Model:
    """The same network and recipe trained with another seed (compiled as the first was)."""
    set_seed(seed)
    twin = keras.models.clone_model(model)  # the same layers, freshly initialised
    twin.compile(optimizer=type(model.optimizer).from_config(model.optimizer.get_config()),
                 loss=model.loss, metrics=["accuracy"])
    data = training_data(prepared.dataset, training.recipe, class_weight=prepared.class_weight,
                         seed=seed)
    fit(twin, data, training.recipe, verbose=0)
    return twin


def save(name: str, model: keras.Model, training: TrainResult, evaluation: Evaluation,
         config: RunConfig, prepared: Balanced) -> Trained:
    """Save the trained network as `models/<name>.keras` (with its classes, framing and
    metrics in `<name>.json`) for the comparison, the reading notebook and the web page."""
    path = recipe_steps.save(model, evaluation, prepared.dataset,
                             config.run_dir / "models" / name)
    return Trained(name, model, training, evaluation, path)


def keep_earlier(config: RunConfig, name: str) -> None:
    """In JupyterLab's folder (outputs/lab), a network trained again does not overwrite the
    last training's results: its metrics, model and history move to `earlier/<time>-<name>/`."""
    if config.run_dir != paths.outputs_dir() / "lab":
        return
    found = [path for path in (config.run_dir / "metrics" / f"{name}.json",
                               config.run_dir / "models" / f"{name}.keras",
                               config.run_dir / "models" / f"{name}.json") if path.exists()]
    if not found:
        return
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(found[0].stat().st_mtime))
    to = config.run_dir / "earlier" / f"{stamp}-{name}"
    for path in found:
        (to / path.parent.name).mkdir(parents=True, exist_ok=True)
        path.replace(to / path.parent.name / path.name)


def show_source(function: Callable):
    """A function's source as a highlighted listing, for a notebook to show what it calls."""
    return _listing(anatomy.function_source(function))


def network_code(name: str):
    """The Keras code that builds network `name`, as a highlighted listing for a notebook:
    the source of `helpers.learn.models`, shown rather than copied (`anatomy.source`)."""
    return _listing(anatomy.source(name))


def _listing(code: str):
    from IPython.display import Code

    return Code(code, language="python")


def saved_history(config: RunConfig, name: str) -> dict | None:
    """The per-epoch history network `name` saved in this run, or None when it was not trained
    (another notebook of the run reads it instead of training it again)."""
    path = config.run_dir / "metrics" / f"{name}.json"
    if name not in config.models or not path.exists():
        return None
    metrics = load_metrics(path)
    return metrics.get("history") if metrics.get("dataset") == config.dataset else None


def _note_left_out(message: str) -> None:
    if "left out" in message:
        print(message)


def ablation(config: RunConfig) -> list[dict]:
    """The method's choices measured on this run's dataset (`helpers.learn.ablation.run`),
    written to `ablation.json` for the report's discussion."""
    rows = ablation_study.run(load(config), seed=config.seed, progress=_note_left_out,
                              arms=ablation_study.arms_for(config.balance),
                              budget=config.budget(), epochs=config.epochs)
    write_json(config.run_dir / "ablation.json",
               {"network": ablation_study.NETWORK, "epochs": sorted({r["epochs"] for r in rows}),
                "minutes": config.minutes,
                "rows": rows})
    return rows


def how_trained(result: TrainResult) -> str:
    """How the network was trained, said from the objects that trained it (the compiled
    optimizer, the callbacks, the batches and augmentation layers), then how it went."""
    from helpers.learn.described import training_text

    epochs = result.recipe.epochs if result.recipe is not None else None
    return f"**How it was trained.** {training_text(result.facts, epochs)}\n\n" \
           f"{training_summary(result)}"


def training_summary(result: TrainResult) -> str:
    """How a training went: epochs run, why it stopped, the best epoch, time and speed."""
    epochs = result.epochs_run
    why = {"early stopping": "stopped early: its validation accuracy had stopped improving",
           "time limit": "was stopped by its time limit before early stopping acted",
           "epochs": "ran every epoch the recipe allowed"}[result.stopped_by]
    return (f"Trained {epochs} epoch{'s' if epochs != 1 else ''} in {result.seconds:.1f} s "
            f"({result.images_per_second:,.0f} images/s) on {result.train_images:,} images, "
            f"{result.validation_images:,} held out for validation; it {why}. The best "
            f"validation accuracy came in epoch {result.best_epoch}.")


def saved_metrics(config: RunConfig, *, required: bool = False) -> list[dict]:
    """The metrics of every model this run trained, in the order of ARCHITECTURES, then the
    network of notebook 11 (`OWN_NETWORK`); with `required`, an error that says what to run
    when there are none.

    Results for another dataset left in the same folder (e.g. outputs/lab after switching
    DATASET) are not mixed in.
    """
    found = {p.stem: load_metrics(p) for p in (config.run_dir / "metrics").glob("*.json")}
    names = [name for name in ARCHITECTURES if name in config.models] + [OWN_NETWORK]
    metrics = [found[name] for name in names
               if name in found and found[name].get("dataset") == config.dataset]
    if required and not metrics:
        raise DataError(f"no metrics in {config.run_dir / 'metrics'}; run the CNN notebooks "
                        "first, in this session (or `make report`; on Colab "
                        "`!python -m helpers.report --kernel python3`)")
    return metrics


def best_model(config: RunConfig) -> Path:
    """The saved model of this run's most accurate network."""
    best = max(saved_metrics(config, required=True), key=lambda m: m["accuracy"])
    return config.run_dir / "models" / f"{best['model']}.keras"


def best_network(config: RunConfig):
    """This run's most accurate network, loaded, with its test metrics: `(model, metrics)`."""
    best = max(saved_metrics(config, required=True), key=lambda m: m["accuracy"])
    model, _ = load_model(config.run_dir / "models" / f"{best['model']}.keras")
    return model, best


def score_summary(evaluation) -> str:
    """The test scores a network notebook prints above its classification report: accuracy,
    macro and weighted F1 and macro ROC AUC, each shown to three places and never rounded up
    to a perfect 1."""
    keys = ("accuracy", "macro_f1", "weighted_f1", "macro_roc_auc")
    return ", ".join(f"{k.replace('_', ' ')} **{stats.score_text(evaluation[k])}**"
                     for k in keys if k in evaluation and evaluation[k] is not None)


def conclusions(metrics: list[dict]) -> str:
    """A few sentences drawn from the numbers: best model, spread, cost, typical confusions."""
    if not metrics:
        return "No model was trained in this run."
    ranked = sorted(metrics, key=lambda m: m["accuracy"], reverse=True)
    best, worst = ranked[0], ranked[-1]
    within = (f" (95% interval {stats.percent(best['accuracy_interval'])})"
              if best.get("accuracy_interval") else "")
    f1_within = (f", interval {stats.percent(best['macro_f1_interval'])}"
                 if best.get("macro_f1_interval") else "")
    lines = [f"**{best['model']}** reached the highest test accuracy, "
             f"{best['accuracy']:.1%}{within} (macro F1 {best['macro_f1']:.3f}{f1_within}), "
             f"with {best['parameters']:,} parameters."]
    if tests := stats.against_best(metrics):
        lines.append(stats.best_verdict(tests))
    if len(ranked) > 1:
        spread = 100 * (best["accuracy"] - worst["accuracy"])
        lines.append(f"The networks' accuracies span {spread:.1f} points (lowest: "
                     f"{worst['model']}, {worst['accuracy']:.1%}).")
        smallest = min(metrics, key=lambda m: m["parameters"])
        if smallest is not best:
            lines.append(f"The smallest network, {smallest['model']} "
                         f"({smallest['parameters']:,} parameters), scored "
                         f"{smallest['accuracy']:.1%}.")
        fastest = max(metrics, key=lambda m: m.get("images_per_second", 0))
        lines.append(f"{fastest['model']} trained fastest "
                     f"({fastest.get('images_per_second', 0):,.0f} images/s).")
    pairs = [p for m in ranked[:1] for p in m.get("most_confused", [])[:3]]
    if pairs:
        confused = ", ".join(f"{p['true']}→{p['predicted']} ({p['count']})" for p in pairs)
        lines.append(f"{best['model']}'s most frequent confusions are {confused}.")
    gap = best.get("macro_f1", best["accuracy"]) - best["accuracy"]
    if abs(gap) > 0.02:
        lines.append(f"Macro F1 differs from accuracy by {gap:+.1%}: the classes are not served "
                     "equally well.")
    return " ".join(lines)
