"""How a network was trained, read off the objects that trained it, and said in words.

`facts(model, callbacks, data)` reads the compiled optimizer (its class, rate or schedule,
weight decay, moving average), the loss, the callbacks that could stop the training or change
its rate, the batch size, the class weights, the augmentation layers, and the device and
precision (the model's dtype policy) it trained in; `training_text` and
`augmentation_text` turn those facts into the sentences the notebooks and the report print;
`training_course` says from the saved metrics which networks converged: early stopping acted,
the validation accuracy (on the held-out tenth of the training images) not beating its best for
the patience's epochs; the rest ran out of time or of epochs.
Nothing here is typed from what the recipe was meant to be: change the optimizer or a callback
in a notebook and the text changes with it.
"""

from __future__ import annotations

import math

import keras

from helpers.learn.hardware import device_text

# Keras' class names as a reader knows them, with the paper a report cites for them.
OPTIMIZERS = {"Adam": "Adam", "AdamW": "AdamW", "SGD": "SGD", "RMSprop": "RMSprop",
              "Nadam": "Nadam", "Adagrad": "Adagrad", "Adadelta": "Adadelta", "Lion": "Lion"}


def inner(optimizer) -> keras.optimizers.Optimizer:
    return getattr(optimizer, "inner_optimizer", optimizer)  # a loss-scaling wrapper's own


def optimizer_facts(optimizer) -> dict:
    """The optimizer as compiled, before any callback has changed its rate."""
    unwrapped = inner(optimizer)
    config = unwrapped.get_config()
    rate = config["learning_rate"]
    found = {"optimizer": type(unwrapped).__name__}
    if isinstance(rate, dict):  # a schedule, serialised
        found["schedule"] = {**rate.get("config", {}), "name": rate.get("class_name")}
    else:
        found["learning_rate"] = float(f"{rate:.6g}")  # float32's 0.0010000000474 is 0.001
    for key in ("momentum", "weight_decay", "nesterov"):
        if config.get(key):
            found[key] = config[key]
    if config.get("use_ema"):
        found["ema_momentum"] = config["ema_momentum"]
    return found


def loss_facts(loss) -> dict:
    if isinstance(loss, str):
        return {"loss": loss}
    if isinstance(loss, keras.losses.Loss):
        config = loss.get_config()
        return {"loss": config.get("name", type(loss).__name__),
                **({"label_smoothing": config["label_smoothing"]}
                   if config.get("label_smoothing") else {})}
    return {"loss": getattr(loss, "__name__", type(loss).__name__)}


def callback_facts(callbacks) -> list[dict]:
    """The callbacks that decide when the training stops or how its rate moves."""
    found = []
    for c in callbacks:
        if isinstance(c, keras.callbacks.EarlyStopping):
            found.append({"callback": "EarlyStopping", "monitor": c.monitor,
                          "patience": c.patience, "min_delta": float(c.min_delta),
                          "restore_best_weights": c.restore_best_weights})
        elif isinstance(c, keras.callbacks.ReduceLROnPlateau):
            found.append({"callback": "ReduceLROnPlateau", "monitor": c.monitor,
                          "factor": c.factor, "patience": c.patience,
                          "min_delta": abs(float(c.min_delta)), "min_lr": c.min_lr})
        elif type(c).__name__ == "TimeLimit":  # helpers.learn.train's
            found.append({"callback": "TimeLimit", "seconds": round(c.seconds, 1)})
    return found


def augmentation_facts(layers) -> list[dict]:
    """Each random transformation of the augmentation and its range, from its layer."""
    if layers is None:
        return []
    found = []
    for layer in layers.layers:
        config = layer.get_config()
        name = type(layer).__name__
        if name == "RandomRotation":
            found.append({"layer": name, "degrees": round(_high(config["factor"]) * 360, 3)})
        elif name == "RandomTranslation":
            found.append({"layer": name, "height": _high(config["height_factor"]),
                          "width": _high(config["width_factor"])})
        elif name == "RandomShear":
            found.append({"layer": name, "degrees": round(
                math.degrees(math.atan(_high(config["x_factor"]))), 3),
                "vertical_degrees": round(math.degrees(math.atan(_high(config["y_factor"]))), 3)})
        elif name == "RandomZoom":
            found.append({"layer": name, "height": _high(config["height_factor"]),
                          "width": _high(config["width_factor"])})
        elif name == "RandomFlip":
            found.append({"layer": name, "mode": config["mode"]})
        else:
            found.append({"layer": name})
    return found


def _high(factor) -> float:
    return float(max(abs(f) for f in factor)) if isinstance(factor, list | tuple) \
        else abs(float(factor))


def facts(model: keras.Model, callbacks, data, optimizer: dict | None = None) -> dict:
    """Everything that describes how `model` was trained (plain values, saved with its
    metrics). `optimizer` is `optimizer_facts` taken before the training changed the rate."""
    return {**(optimizer or optimizer_facts(model.optimizer)), **loss_facts(model.loss),
            "batch_size": data.batch_size, "callbacks": callback_facts(callbacks),
            "class_weights": bool(data.class_weight),
            "augmentation": augmentation_facts(data.augmentation),
            "mixed_precision": model.dtype_policy.name, "device": device_text()}


def _number(value: float) -> str:
    return f"{value:g}"


def rate_text(found: dict) -> str:
    """The optimizer and how its rate moves, e.g. "Adam, learning rate 0.001"."""
    name = OPTIMIZERS.get(found.get("optimizer"), found.get("optimizer", "?"))
    extras = []
    if found.get("momentum"):
        extras.append(f"momentum {_number(found['momentum'])}"
                      + (" (Nesterov)" if found.get("nesterov") else ""))
    if found.get("weight_decay"):
        extras.append(f"weight decay {_number(found['weight_decay'])}")
    schedule = found.get("schedule")
    if schedule and schedule.get("name") == "CosineDecay":
        warm = schedule.get("warmup_steps") or 0
        start = schedule["initial_learning_rate"]
        peak = schedule.get("warmup_target") or start
        rate = (f"learning rate rising from {_number(start)} to {_number(peak)} over the first "
                f"{warm:,} steps, then falling along a cosine to "
                f"{_number(peak * schedule.get('alpha', 0.0))} over {schedule['decay_steps']:,} "
                "steps" if warm else
                f"learning rate {_number(start)} falling along a cosine to "
                f"{_number(start * schedule.get('alpha', 0.0))} over "
                f"{schedule['decay_steps']:,} steps")
    elif schedule:
        rate = f"learning rate by {schedule.get('name')}"
    else:
        rate = f"learning rate {_number(found.get('learning_rate', float('nan')))}"
    text = ", ".join([name, rate, *extras])
    if found.get("ema_momentum"):
        text += (", a moving average of the weights (momentum "
                 f"{_number(found['ema_momentum'])}) replacing them at the end")
    return text


def _epochs(n: int) -> str:
    return f"{n} epoch{'s' if n != 1 else ''}"


def _by(callback: dict) -> str:
    """The least change that counts as an improvement, where it is more than a rounding."""
    delta = callback.get("min_delta") or 0.0
    if delta <= 1e-4:
        return ""
    if "accuracy" in callback.get("monitor", ""):
        return f" by more than {100 * delta:g} points"
    return f" by more than {_number(delta)}"


def stopping_text(found: dict, epochs: int | None = None) -> str:
    """What ends the training and what changes its rate, from the callbacks."""
    parts = []
    for c in found.get("callbacks", []):
        kind = c["callback"]
        watched = c.get("monitor", "").replace("val_", "validation ")
        if kind == "ReduceLROnPlateau":
            parts.append(f"the rate multiplied by {_number(c['factor'])} whenever the {watched} "
                         f"has not improved{_by(c)} for {_epochs(c['patience'])} (to no less "
                         f"than {_number(c['min_lr'])})")
        elif kind == "EarlyStopping":
            parts.append(f"the training stops once the {watched} has not improved{_by(c)} for "
                         f"{_epochs(c['patience'])}"
                         + (", the weights of its best epoch kept"
                            if c["restore_best_weights"] else ""))
        elif kind == "TimeLimit":
            parts.append(f"a time limit of {c['seconds'] / 60:.1f} minutes (no epoch is begun "
                         "that would not end within it)")
    if epochs:
        parts.append(f"at most {_epochs(epochs)}")
    return "; ".join(parts) if parts else "every epoch run, no callback stopping it early"


def augmentation_text(found: list[dict]) -> str:
    """The augmentation's transformations and ranges, e.g. "rotation up to ±10°, ..."."""
    if not found:
        return "none"
    said = []
    for layer in found:
        name = layer["layer"]
        if name == "RandomRotation":
            said.append(f"rotation up to ±{layer['degrees']:g}°")
        elif name == "RandomTranslation":
            said.append(f"shift up to ±{layer['width']:.0%} of the width and "
                        f"±{layer['height']:.0%} of the height")
        elif name == "RandomShear":
            said.append(f"shear up to ±{layer['degrees']:g}°"
                        + (f" horizontally, ±{layer['vertical_degrees']:g}° vertically"
                           if layer["vertical_degrees"] else " (horizontal only)"))
        elif name == "RandomZoom":
            said.append(f"zoom up to ±{layer['height']:.0%}")
        elif name == "RandomFlip":
            said.append(f"flips ({layer['mode']})")
        else:
            said.append(name)
    return ", ".join(said)


def training_text(found: dict, epochs: int | None = None) -> str:
    """One paragraph on how a network was trained, from its `facts`."""
    loss = found.get("loss", "?").replace("_", " ")
    smoothing = (f" with label smoothing {_number(found['label_smoothing'])}"
                 if found.get("label_smoothing") else "")
    weights = " weighted per class (class weights)" if found.get("class_weights") else ""
    return (f"{rate_text(found)}; {loss}{smoothing}{weights}; batches of "
            f"{found.get('batch_size', '?')}; {stopping_text(found, epochs)}. Augmentation: "
            f"{augmentation_text(found.get('augmentation', []))}.")


def _span(values: list[int]) -> str:
    low, high = min(values), max(values)
    return f"{low}" if low == high else f"{low} to {high}"


def listed(names: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def epochs_run(metrics: list[dict]) -> str:
    """Each network's epochs and, in brackets, the epoch whose weights it kept."""
    return ", ".join(f"{m['model']} {m.get('epochs', '?')} ({m.get('best_epoch', '?')})"
                     for m in metrics)


def _stopping(m: dict) -> dict | None:
    return next((c for c in (m.get("training") or {}).get("callbacks", [])
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
    rules = sorted({(c["patience"], _by(c)) for m in ran if (c := _stopping(m))})
    rule = ("its validation accuracy (on the held-out tenth of the training images) had not "
            "beaten its best" + " or ".join(f"{by} for {_epochs(patience)}"
                                           for patience, by in rules)
            if rules else "its validation accuracy had stopped improving")
    parts = []
    if done := groups.get("early stopping"):
        who = (f"every network ({len(done)})" if len(done) == len(ran) > 1 else
               listed([m["model"] for m in done]))
        parts.append(f"early stopping ended the training of {who} once {rule}: converged, in "
                     "the sense this run measures ("
                     + ", ".join(f"{m['model']} after {m['epochs']} epochs, best {m['best_epoch']}"
                                 for m in done) + ")")
    if timed := groups.get("time limit"):
        parts.append(f"the time limit ended the training of {listed([m['model'] for m in timed])}"
                     " first (" + ", ".join(f"{m['model']} after {m['epochs']} epochs in "
                                           f"{m['training_seconds'] / 60:.1f} minutes, best "
                                           f"{m['best_epoch']}" for m in timed)
                     + "): not converged")
    if capped := groups.get("epochs"):
        parts.append(f"the epochs the recipe allowed ran out for "
                     f"{listed([m['model'] for m in capped])} before early stopping acted ("
                     + ", ".join(f"{m['model']} {m['epochs']}, best {m['best_epoch']}"
                                 for m in capped) + "): not converged")
    text = "; ".join(parts) + "."
    text = text[0].upper() + text[1:]
    unfinished = [m for m in ran if m["stopped_by"] != "early stopping"]
    if not unfinished:
        return text + (" The comparison therefore ranks converged networks, each at its best "
                       "validation epoch, not how fast each learns.")
    rising = [m["model"] for m in unfinished if m["best_epoch"] == m["epochs"]]
    text += (f" For {listed([m['model'] for m in unfinished])} the comparison ranks what "
             "was reached in the time or epochs given (where a budget set the time, it "
             "was shared in proportion to each network's measured time per epoch, but the "
             f"networks ran {_span([m['epochs'] for m in ran])} epochs), not what the network "
             "can reach")
    if rising:
        text += (f"; {listed(rising)} still improved in {'its' if len(rising) == 1 else 'their'}"
                 " last epoch")
    return text + "."
