"""The report's account of the training: how each network was trained (§2.5, written from the
facts `helpers.learn.described` read off the objects that trained it) and how its training
went: whether it converged, ran out of time or of epochs (the discussion).

"Converged" means what the run measured: early stopping acted, the validation accuracy (on the
held-out tenth of the training images) not beating its best for the patience's epochs.
"""

from __future__ import annotations

from helpers.learn.described import augmentation_text, rate_text, stopping_text


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _per_network(metrics: list[dict], say) -> str:
    """One text when every network was trained alike, else each text with its networks."""
    said: dict[str, list[str]] = {}
    for m in metrics:
        said.setdefault(say(m), []).append(m["model"])
    if len(said) == 1:
        return next(iter(said))
    return "; ".join(f"{_listed(names)}: {text}" for text, names in said.items())


def _cap(m: dict) -> int | None:
    return (m.get("recipe") or {}).get("epochs")


def parameter_rows(metrics: list[dict]) -> list[tuple[str, str]]:
    """The training settings as they ran, one row each, from every network's saved facts."""
    trained = [m for m in metrics if m.get("training")]
    if not trained:
        return []

    def loss(m: dict) -> str:
        found = m["training"]
        smoothing = (f", label smoothing {found['label_smoothing']:g}"
                     if found.get("label_smoothing") else "")
        weights = ", weighted per class" if found.get("class_weights") else ""
        return found.get("loss", "?").replace("_", " ") + smoothing + weights

    return [
        ("optimiser and learning rate", _per_network(trained, lambda m: rate_text(m["training"]))),
        ("loss", _per_network(trained, loss)),
        ("batch size", _per_network(trained, lambda m: str(m["training"].get("batch_size")))),
        ("stopping and rate changes",
         _per_network(trained, lambda m: stopping_text(m["training"], _cap(m)))),
        ("augmentation (training images only)",
         _per_network(trained, lambda m: augmentation_text(m["training"].get("augmentation")))),
        ("precision", _per_network(trained, lambda m: m["training"].get("mixed_precision", "?"))),
    ]


def epochs_run(metrics: list[dict]) -> str:
    """Each network's epochs and, in brackets, the epoch whose weights it kept."""
    return ", ".join(f"{m['model']} {m.get('epochs', '?')} ({m.get('best_epoch', '?')})"
                     for m in metrics)


def _patience(m: dict) -> int | None:
    return next((c["patience"] for c in (m.get("training") or {}).get("callbacks", [])
                 if c.get("callback") == "EarlyStopping"), None)


def training_course(metrics: list[dict]) -> str:
    """Which networks converged (early stopping acted), which the time limit or their most
    epochs ended first, and so what the comparison compares."""
    ran = [m for m in metrics if m.get("epochs") and m.get("stopped_by")]
    if not ran:
        return ""
    groups: dict[str, list[dict]] = {}
    for m in ran:
        groups.setdefault(m["stopped_by"], []).append(m)
    patience = sorted({p for m in ran if (p := _patience(m))})
    rule = (f"its validation accuracy (on the held-out tenth of the training images) had not "
            f"beaten its best for {' or '.join(str(p) for p in patience)} epochs"
            if patience else "its validation accuracy had stopped improving")
    parts = []
    if done := groups.get("early stopping"):
        who = (f"every network ({len(done)})" if len(done) == len(ran) > 1 else
               _listed([m["model"] for m in done]))
        parts.append(f"early stopping ended the training of {who} once {rule}: converged, in "
                     "the sense this run measures ("
                     + ", ".join(f"{m['model']} after {m['epochs']} epochs, best {m['best_epoch']}"
                                 for m in done) + ")")
    if timed := groups.get("time limit"):
        parts.append(f"the time limit ended the training of {_listed([m['model'] for m in timed])}"
                     " first (" + ", ".join(f"{m['model']} after {m['epochs']} epochs in "
                                           f"{m['training_seconds'] / 60:.1f} minutes, best "
                                           f"{m['best_epoch']}" for m in timed)
                     + "): not converged")
    if capped := groups.get("epochs"):
        parts.append(f"the epochs the recipe allowed ran out for "
                     f"{_listed([m['model'] for m in capped])} before early stopping acted ("
                     + ", ".join(f"{m['model']} {m['epochs']}, best {m['best_epoch']}"
                                 for m in capped) + "): not converged")
    text = "; ".join(parts) + "."
    text = text[0].upper() + text[1:]
    unfinished = [m for m in ran if m["stopped_by"] != "early stopping"]
    if not unfinished:
        return text + (" The comparison therefore ranks converged networks, each at its best "
                       "validation epoch, not how fast each learns.")
    rising = [m["model"] for m in unfinished if m["best_epoch"] == m["epochs"]]
    text += (f" For {_listed([m['model'] for m in unfinished])} the comparison ranks what "
             "was reached in the time or epochs given (at equal time where a budget set it), "
             "not what the network can reach")
    if rising:
        text += (f"; {_listed(rising)} still improved in {'its' if len(rising) == 1 else 'their'}"
                 " last epoch")
    return text + "."
