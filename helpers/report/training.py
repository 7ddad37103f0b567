"""The report's table of how each network was trained (§2.5), written from the facts
`helpers.learn.described` read off the objects that trained it; networks trained alike share
a line."""

from __future__ import annotations

from helpers.learn.described import augmentation_text, listed, rate_text, stopping_text


def _per_network(metrics: list[dict], say) -> str:
    """One text when every network was trained alike, else each text with its networks."""
    said: dict[str, list[str]] = {}
    for m in metrics:
        said.setdefault(say(m), []).append(m["model"])
    if len(said) == 1:
        return next(iter(said))
    return "; ".join(f"{listed(names)}: {text}" for text, names in said.items())


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
        ("stopping and rate changes", stopping(trained)),
        ("augmentation (training images only)",
         _per_network(trained, lambda m: augmentation_text(m["training"].get("augmentation")))),
        ("device and precision", _per_network(trained, lambda m: device_text(m["training"]))),
        ("validation", _per_network(trained, validation)),
    ]


def device_text(found: dict) -> str:
    """What trained a network and in which Keras dtype policy, e.g. "NVIDIA H100 80GB HBM3
    (GPU), mixed_float16"; the policy alone where the facts predate the device."""
    precision = found.get("mixed_precision", "?")
    return f"{found['device']}, {precision}" if found.get("device") else precision


def stopping(trained: list[dict]) -> str:
    """What ended the trainings and moved their rates; a time limit (each notebook's minutes,
    in the budget's row) is said once, not per network."""
    def without_limit(m: dict) -> str:
        found = {**m["training"], "callbacks": [c for c in m["training"].get("callbacks", [])
                                               if c.get("callback") != "TimeLimit"]}
        return stopping_text(found, _cap(m))

    text = _per_network(trained, without_limit)
    if any(c.get("callback") == "TimeLimit" for m in trained
           for c in m["training"].get("callbacks", [])):
        text += ("; within a time limit per network (its minutes above: no epoch is begun that "
                 "would not end within it)")
    return text


def validation(m: dict) -> str:
    """The held-out part of the training split, as the recipe took it."""
    fraction = (m.get("recipe") or {}).get("validation_fraction")
    share = f"a stratified {fraction:.0%}" if fraction else "a stratified part"
    count = f" ({m['validation_images']:,} images)" if m.get("validation_images") else ""
    return f"{share} of the training split{count}, never the test split"
